package billing

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// wholesaleActor is the actor recorded on what RunWholesale writes.
const wholesaleActor = "wholesale"

// WholesaleReport says what one RunWholesale did.
type WholesaleReport struct {
	Period Period `json:"period"`
	// Settled is true when this run settled the period's pooled tiers (false: an earlier run
	// did); Pools are the period's pools either way.
	Settled bool          `json:"settled"`
	Pools   []PoolSummary `json:"pools"`
	// Issued are the wholesale invoices this run issued; AlreadyIssued counts those an earlier
	// run issued (a re-run issues nothing new).
	Issued        []string        `json:"issued"`
	AlreadyIssued int             `json:"already_issued"`
	Skipped       []WholesaleSkip `json:"skipped,omitempty"`
}

// WholesaleSkip is a partner whose period was not invoiced, and why (nothing is lost: the cost
// stays on the journal's channel balances and the statement).
type WholesaleSkip struct {
	Partner  string          `json:"partner"`
	Currency string          `json:"currency,omitempty"`
	Amount   decimal.Decimal `json:"amount"`
	Reason   string          `json:"reason"`
}

// WholesaleInvoiceID is the deterministic id of the wholesale invoice of a partner for a period
// in a currency: a re-run finds it issued.
func WholesaleInvoiceID(issuer, buyer string, p Period, currency string) string {
	return ledger.DeterministicID("whinv", issuer, buyer, p.From.UTC().Format(time.RFC3339), p.To.UTC().Format(time.RFC3339), currency)
}

// RunWholesale closes a period of the channel: first it settles the period's pooled wholesale
// tiers (once: the settlement is recorded), then every partner whose Settlement is "invoice"
// receives from its parent an invoice for its cost of the period — the cost_of_sales the
// journal holds for it in the period, which is its commission statement's cost, pool
// settlement included. The invoice is numbered in the parent's invoice series, taxed by the tax
// rules (reverse charge between businesses across jurisdictions), posted, snapshot and
// rendered like any invoice. Partners settling by "self_billing" get nothing (the statement is
// their document). Run it after the period ended and after the cycle issued the period's
// customer invoices; a period that has not ended, or that overlaps another closed period
// without being it, is ErrConflict. Re-running issues nothing new.
// The Store must answer Journal (ledger.Store does).
func (s *Service) RunWholesale(ctx context.Context, period Period) (WholesaleReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := WholesaleReport{Period: period, Issued: []string{}}
	if err := s.recover(ctx); err != nil {
		return rep, err
	}
	if err := s.ready(); err != nil {
		return rep, err
	}
	now := s.cfg.Now().UTC()
	switch {
	case period.From.IsZero() || !period.From.Before(period.To):
		return rep, fmt.Errorf("wholesale run: period %s..%s is empty: %w", period.From, period.To, ErrInvalid)
	case now.Before(period.To):
		return rep, fmt.Errorf("wholesale run: period ends %s, after now (%s): its invoices are not all issued: %w",
			period.To.Format(time.RFC3339), now.Format(time.RFC3339), ErrConflict)
	}
	if other, ok := s.wholesale.overlapping(period); ok {
		// A document's settlement posting has one id: settling it twice would overwrite it,
		// and its cost would be invoiced twice.
		return rep, fmt.Errorf("wholesale run: period %s..%s overlaps the closed period %s..%s: %w", period.From.Format(time.RFC3339),
			period.To.Format(time.RFC3339), other.From.Format(time.RFC3339), other.To.Format(time.RFC3339), ErrConflict)
	}
	jr, ok := s.cfg.Store.(journalReader)
	if !ok {
		return rep, fmt.Errorf("wholesale run: the ledger store cannot list journal entries: %w", ErrUnsupported)
	}
	if err := s.settle(ctx, period, now, &rep); err != nil {
		return rep, err
	}
	return rep, s.issueWholesale(ctx, jr, period, now, &rep)
}

// settle settles the period's pools unless an earlier run did: the difference postings
// first, then the settlement event (the commit point; deterministic ids and times, so a run
// interrupted in between rewrites the same postings).
func (s *Service) settle(ctx context.Context, period Period, now time.Time, rep *WholesaleReport) error {
	if st, ok := s.wholesale.settled[WholesaleAggregateOf(period)]; ok {
		rep.Pools = st.Pools
		return nil
	}
	st, txs, err := s.settlePools(ctx, period)
	if err != nil {
		return fmt.Errorf("wholesale run: %w", err)
	}
	ev, err := settlementEvent(st, now, wholesaleActor)
	if err != nil {
		return fmt.Errorf("wholesale run: %w", err)
	}
	if err := s.writeIssue(ctx, nil, txs, nil, []ledger.Event{ev}); err != nil {
		s.broken = err
		return fmt.Errorf("wholesale run: settle pools: %w", err)
	}
	if err := s.wholesale.apply(ev); err != nil {
		s.broken = err
		return err
	}
	rep.Settled, rep.Pools = true, st.Pools
	return nil
}

// issueWholesale issues the period's wholesale invoices (see RunWholesale) in one write, in the
// cycle's crash-safe order (writeIssue).
func (s *Service) issueWholesale(ctx context.Context, jr journalReader, period Period, now time.Time, rep *WholesaleReport) (err error) {
	defer func() {
		if err != nil {
			s.broken = err
		}
	}()
	var (
		numbers []ledger.Event
		txs     []ledger.Transaction
		docs    []ledger.Document
		commit  []ledger.Event
		issued  []*Invoice
	)
	for _, a := range s.state.Accounts() {
		if a.Settlement != SettlementInvoice || (a.Kind != KindReseller && a.Kind != KindDistributor) {
			continue
		}
		if !HasChannelTerms(a) {
			rep.Skipped = append(rep.Skipped, WholesaleSkip{Partner: a.ID, Amount: decimal.Zero, Reason: "no channel terms: it pays no parent"})
			continue
		}
		parent, ok := s.state.Account(a.Parent)
		if !ok {
			return fmt.Errorf("wholesale run: parent %s of %s: %w", a.Parent, a.ID, ErrNotFound)
		}
		lines, err := jr.Journal(ctx, ledger.JournalQuery{Party: string(a.Kind) + ":" + a.ID, Period: ledger.Period{From: period.From, To: period.To}})
		if err != nil {
			return fmt.Errorf("wholesale run: journal of %s: %w", a.ID, err)
		}
		byCur, err := s.wholesaleLines(a, lines)
		if err != nil {
			return err
		}
		for _, cur := range sortedKeys(byCur) {
			inv, skip, err := s.buildWholesale(parent, a, period, cur, byCur[cur])
			if err != nil {
				return err
			}
			if skip != nil {
				rep.Skipped = append(rep.Skipped, *skip)
				continue
			}
			if prev, ok := s.docs[inv.ID]; ok && prev.Status != StatusDraft {
				rep.AlreadyIssued++
				continue
			}
			number, ev, err := s.numbering.Next(parent, DocInvoice, inv.ID, now, wholesaleActor)
			if err != nil {
				return fmt.Errorf("wholesale run: number the invoice of %s to %s: %w", parent.ID, a.ID, err)
			}
			issuedAt := now
			if ev != nil {
				if err := s.numbering.Apply(*ev); err != nil {
					return fmt.Errorf("wholesale run: number %s: %w", inv.ID, err)
				}
				numbers = append(numbers, *ev)
			} else if at, ok := s.numbering.AssignedAt(DocInvoice, inv.ID); ok {
				issuedAt = at // an interrupted run: the same instant, so rewritten rows are identical
			}
			if err := inv.Issue(number, issuedAt, a.PaymentTermsDays); err != nil {
				return fmt.Errorf("wholesale run: %w", err)
			}
			tx, err := InvoiceTransaction(inv)
			if err != nil {
				return fmt.Errorf("wholesale run: journal of %s: %w", number, err)
			}
			clear, err := wholesaleClearing(inv, purposeWholesaleClear, issuedAt, false)
			if err != nil {
				return err
			}
			snap, err := SnapshotEvent(inv, s.docSeq[inv.ID]+1, issuedAt, wholesaleActor)
			if err != nil {
				return fmt.Errorf("wholesale run: snapshot of %s: %w", number, err)
			}
			txs = append(append(txs, tx), clear...)
			docs = append(docs, ToDocument(inv, s.docSeq[inv.ID]+1, issuedAt, wholesaleActor))
			commit = append(commit, snap)
			issued = append(issued, inv)
		}
	}
	if err := s.writeIssue(ctx, numbers, txs, docs, commit); err != nil {
		return fmt.Errorf("wholesale run: %w", err)
	}
	for _, inv := range issued {
		s.docs[inv.ID] = inv
		s.docSeq[inv.ID]++
		rep.Issued = append(rep.Issued, inv.ID)
	}
	return nil
}

// costGroup is the partner's cost of one plan charge (or line kind) in one currency.
type costGroup struct {
	key, plan, charge string
	kind              LineKind
	amount            decimal.Decimal
	quantity          decimal.Decimal
	lines             map[rowKey]bool
}

// wholesaleLines groups a partner's split cost_of_sales entries of the period by currency and
// plan charge. Quantities (calls, seats, units) count each priced customer line once: + for an
// invoice line, − for a void; credit notes take back amounts, not quantities.
func (s *Service) wholesaleLines(a *Account, journal []ledger.JournalLine) (map[string][]*costGroup, error) {
	own := string(a.Kind) + ":" + a.ID + ":" + RoleCostOfSales
	groups := map[string]map[string]*costGroup{}
	for _, l := range journal {
		if l.Account != own || (l.Kind != TxRevenueSplit && l.Kind != TxRevenueSplitVoid) {
			continue
		}
		doc, ok := s.docs[l.InvoiceID]
		no, err := strconv.Atoi(strings.TrimPrefix(l.LineID, "line:"))
		if !ok || err != nil || no < 1 || no > len(doc.Lines) {
			return nil, fmt.Errorf("wholesale run: %s: journal tx %s entry %d names %s %s, not a document line: %w",
				a.ID, l.TxID, l.Index, l.InvoiceID, l.LineID, ErrConflict)
		}
		dl := doc.Lines[no-1]
		plan, charge, kind := dl.PlanID, dl.ChargeID, dl.Kind
		if doc.Kind == DocCreditNote {
			if orig, ok := s.docs[doc.RefersTo]; ok {
				if ref, err := strconv.Atoi(dl.Ref); err == nil && ref >= 1 && ref <= len(orig.Lines) {
					ol := orig.Lines[ref-1]
					plan, charge, kind = ol.PlanID, ol.ChargeID, ol.Kind
				}
			}
		}
		key := plan + "\x00" + charge
		if plan == "" {
			key = "\x00" + string(kind)
		}
		if groups[l.Currency] == nil {
			groups[l.Currency] = map[string]*costGroup{}
		}
		g, ok := groups[l.Currency][key]
		if !ok {
			g = &costGroup{key: key, plan: plan, charge: charge, kind: kind, amount: decimal.Zero, quantity: decimal.Zero, lines: map[rowKey]bool{}}
			groups[l.Currency][key] = g
		}
		g.amount = g.amount.Add(l.Amount)
		rk := rowKey{doc: doc.ID, line: no, void: l.Kind == TxRevenueSplitVoid}
		if !g.lines[rk] && doc.Kind == DocInvoice && (dl.Kind == LineUsage || dl.Kind == LineRecurring || dl.Kind == LineOneTime) {
			if rk.void {
				g.quantity = g.quantity.Sub(dl.Quantity)
			} else {
				g.quantity = g.quantity.Add(dl.Quantity)
			}
		}
		g.lines[rk] = true
	}
	out := map[string][]*costGroup{}
	for cur, m := range groups {
		for _, g := range m {
			out[cur] = append(out[cur], g)
		}
		sort.Slice(out[cur], func(i, j int) bool { return out[cur][i].key < out[cur][j].key })
	}
	return out, nil
}

// buildWholesale builds the draft wholesale invoice of one partner in one currency, or the
// reason it is skipped (nothing owed, or a net credit, which a credit note must settle).
func (s *Service) buildWholesale(issuer, buyer *Account, period Period, currency string, groups []*costGroup) (*Invoice, *WholesaleSkip, error) {
	cur, err := rating.LookupCurrency(currency)
	if err != nil {
		return nil, nil, fmt.Errorf("wholesale run: %s: currency %q: %v: %w", buyer.ID, currency, err, ErrInvalid)
	}
	tt, err := s.cfg.Taxes.Treatment(issuer, buyer)
	if err != nil {
		return nil, nil, fmt.Errorf("wholesale run: %w", err)
	}
	inv := &Invoice{ID: WholesaleInvoiceID(issuer.ID, buyer.ID, period, currency), Kind: DocInvoice, Status: StatusDraft,
		Issuer: PartyOf(issuer), Buyer: PartyOf(buyer), Currency: currency, Period: period, Boundary: period.To,
		Catalog: s.CatalogVersion(), Credited: decimal.Zero}
	total := decimal.Zero
	for _, g := range groups {
		if g.amount.IsZero() {
			continue
		}
		l := Line{No: len(inv.Lines) + 1, Kind: LineWholesale, PlanID: g.plan, ChargeID: g.charge, Window: period,
			Description: wholesaleDescription(g), Quantity: g.quantity, Allowance: decimal.Zero, UnitPrice: decimal.Zero,
			Exact: g.amount, Amount: g.amount}
		tt.apply(&l, cur, rating.RoundHalfUp)
		inv.Lines = append(inv.Lines, l)
		total = total.Add(g.amount)
	}
	if len(inv.Lines) == 0 || !total.IsPositive() {
		reason := "nothing owed in the period"
		if total.IsNegative() {
			reason = "the period nets to a credit: settle it with a credit note on an earlier wholesale invoice"
		}
		return nil, &WholesaleSkip{Partner: buyer.ID, Currency: currency, Amount: total, Reason: reason}, nil
	}
	inv.Taxes = tt.summary(inv.Lines)
	inv.Subtotal, inv.Tax, inv.Total = decimal.Zero, decimal.Zero, decimal.Zero
	for _, l := range inv.Lines {
		inv.Subtotal, inv.Tax, inv.Total = inv.Subtotal.Add(l.Net), inv.Tax.Add(l.Tax), inv.Total.Add(l.Gross)
	}
	inv.Notes = append(inv.Notes, fmt.Sprintf("Wholesale: %s's cost of its customers' lines from %s to %s",
		buyer.ID, period.From.UTC().Format("2006-01-02"), period.To.UTC().Format("2006-01-02")))
	if tt.ReverseCharge {
		inv.Notes = append(inv.Notes, ReverseChargeNote)
	}
	if err := CheckTotals(inv); err != nil {
		return nil, nil, fmt.Errorf("wholesale run: %w", err)
	}
	return inv, nil, nil
}

func wholesaleDescription(g *costGroup) string {
	what := string(g.kind)
	if g.plan != "" {
		what = g.plan + " · " + g.charge
	}
	n := len(g.lines)
	if n == 1 {
		return fmt.Sprintf("%s: cost of 1 customer line", what)
	}
	return fmt.Sprintf("%s: cost of %d customer lines", what, n)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
