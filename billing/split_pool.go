package billing

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// Pooled wholesale tiers (a channel price list entry with `pooled: true`): a level's cost of a
// usage charge in a period is the entry's model applied once to the total quantity of every
// customer line it pays for in that period, shared back to the lines by largest remainder
// (rating.PoolCharge). A customer invoice is split when it is issued, before the period's other
// invoices exist, so at issue each pooled line is costed alone (the provisional cost, as any
// price-list line); once the period is over, the settlement prices every pool over the period's
// invoices together and posts, per document, the difference between the settled and the
// provisional costs. The settled costs do not depend on the order invoices were issued in, and
// the pool's membership is frozen (a period is settled once, after it ended).

// Transaction purpose of the settlement postings.
const purposePool = "pool"

// PoolSummary is one settled pool: a paying level's charge over the period.
type PoolSummary struct {
	Payer       Party           `json:"payer"`
	Payee       Party           `json:"payee"`
	PlanID      string          `json:"plan_id"`
	PlanVersion int             `json:"plan_version"`
	ChargeID    string          `json:"charge_id"`
	Currency    string          `json:"currency"`
	Lines       int             `json:"lines"`
	Quantity    decimal.Decimal `json:"quantity"` // the pool's total: what reached the tiers
	Amount      decimal.Decimal `json:"amount"`   // the model at Quantity, rounded once
}

// settledLine is one document line's settled costs, one per paying level; Pooled marks the
// levels whose cost is a pool share.
type settledLine struct {
	Doc    string            `json:"doc"`
	No     int               `json:"no"`
	Costs  []decimal.Decimal `json:"costs"`
	Pooled []bool            `json:"pooled"`
}

// PoolSettlement is a period's settlement: its pools and the invoice lines they re-costed.
type PoolSettlement struct {
	Period Period        `json:"period"`
	Pools  []PoolSummary `json:"pools"`
	Lines  []settledLine `json:"lines"`
}

// wholesalePoolKey identifies one pool: a paying level, the charge it pays for, the currency.
type wholesalePoolKey struct {
	payer, plan, charge, currency string
	version                       int
}

type wholesalePool struct {
	summary PoolSummary
	model   rating.Model
	cur     rating.Currency
	mode    rating.RoundingMode
	members []rating.PoolMember
	level   map[string]int // member id -> the payer's level index in the member's split
}

// poolDoc is one issued customer invoice of the period with its split as issued.
type poolDoc struct {
	inv   *Invoice
	sp    *InvoiceSplit
	terms []channelTerms
	cur   rating.Currency
}

// memberID names a document line inside a pool.
func memberID(doc string, no int) string { return doc + "#" + strconv.Itoa(no) }

// settlePools prices the period's pools and returns the settlement with the postings of the
// differences: one transaction per document whose split changed, at the document's own issue
// time (so each difference sits in the same statement period as the line it corrects). Credit
// notes already issued against a re-costed invoice are re-split like it. Called with the lock
// held.
func (s *Service) settlePools(ctx context.Context, period Period) (*PoolSettlement, []ledger.Transaction, error) {
	docs, err := s.poolDocs(ctx, period)
	if err != nil {
		return nil, nil, err
	}
	pools := map[wholesalePoolKey]*wholesalePool{}
	var keys []wholesalePoolKey
	for _, d := range docs {
		for i, l := range d.sp.Lines {
			line := &d.inv.Lines[i]
			for j, t := range d.terms {
				if !pooledLine(line, l.Shares[j], t) {
					continue
				}
				k := wholesalePoolKey{payer: d.sp.Levels[j].ID, plan: line.PlanID, version: line.PlanVersion, charge: line.ChargeID, currency: d.inv.Currency}
				p, ok := pools[k]
				if !ok {
					plan, ok := s.Catalog().PlanVersion(line.PlanID, line.PlanVersion)
					if !ok {
						return nil, nil, fmt.Errorf("settle pooled tiers: %s line %d: plan %q version %d: %w", d.inv.Number, l.No, line.PlanID, line.PlanVersion, ErrNotFound)
					}
					ch, ok := plan.Charge(line.ChargeID)
					if !ok {
						return nil, nil, fmt.Errorf("settle pooled tiers: %s line %d: charge %q: %w", d.inv.Number, l.No, line.ChargeID, ErrNotFound)
					}
					p = &wholesalePool{model: rating.ChargeModel(plan, ch, t.buy), cur: d.cur, mode: plan.Rounding, level: map[string]int{},
						summary: PoolSummary{Payer: d.sp.Levels[j], Payee: d.sp.Levels[j+1], PlanID: line.PlanID, PlanVersion: line.PlanVersion,
							ChargeID: line.ChargeID, Currency: d.inv.Currency}}
					pools[k] = p
					keys = append(keys, k)
				}
				id := memberID(d.inv.ID, l.No)
				p.members = append(p.members, rating.PoolMember{ID: id, Quantity: line.Quantity})
				p.level[id] = j
			}
		}
	}
	fixed := map[string]map[int]decimal.Decimal{} // member id -> level -> pooled cost
	sort.Slice(keys, func(a, b int) bool { return fmt.Sprint(keys[a]) < fmt.Sprint(keys[b]) })
	st := &PoolSettlement{Period: period, Pools: []PoolSummary{}, Lines: []settledLine{}}
	for _, k := range keys {
		p := pools[k]
		res, err := rating.PoolCharge(p.model, p.members, p.cur, p.mode)
		if err != nil {
			return nil, nil, fmt.Errorf("settle pooled tiers of %s for %s (%s/%s): %w: %w", k.payer, k.plan, k.charge, k.currency, ErrInvalid, err)
		}
		p.summary.Lines, p.summary.Quantity, p.summary.Amount = len(res.Shares), res.Total, res.Amount
		st.Pools = append(st.Pools, p.summary)
		for _, sh := range res.Shares {
			if fixed[sh.ID] == nil {
				fixed[sh.ID] = map[int]decimal.Decimal{}
			}
			fixed[sh.ID][p.level[sh.ID]] = sh.Amount
		}
	}
	var txs []ledger.Transaction
	for _, d := range docs {
		settled := d.sp
		changed := false
		for i, l := range d.sp.Lines {
			f := fixed[memberID(d.inv.ID, l.No)]
			if len(f) == 0 {
				continue
			}
			sl := settleLine(d.inv.ID, l, f, d.terms, d.cur)
			st.Lines = append(st.Lines, sl)
			if !changed {
				settled = cloneSplit(d.sp)
				changed = true
			}
			settled.Lines[i] = resplit(l, sl)
		}
		if !changed {
			continue
		}
		tx, ok, err := deltaTransaction(d.sp, settled, d.inv.IssuedAt)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			txs = append(txs, tx)
		}
		for _, cnID := range s.credited[d.inv.ID] {
			cn := s.docs[cnID]
			if cn == nil || cn.Status == StatusVoid || cn.Status == StatusDraft {
				continue
			}
			before, err := SplitCredit(cn, d.sp)
			if err != nil {
				return nil, nil, err
			}
			after, err := SplitCredit(cn, settled)
			if err != nil {
				return nil, nil, err
			}
			if tx, ok, err := deltaTransaction(before, after, cn.IssuedAt); err != nil {
				return nil, nil, err
			} else if ok {
				txs = append(txs, tx)
			}
		}
	}
	return st, txs, nil
}

// poolDocs are the period's issued customer invoices (void ones excluded: their usage costs
// nobody anything), sorted by id, each with its split as posted (split_posted.go: the journal's
// costs, read once per paying party for the whole period).
func (s *Service) poolDocs(ctx context.Context, period Period) ([]poolDoc, error) {
	var invs []*Invoice
	for _, inv := range s.docs {
		if inv.Kind == DocInvoice && inv.Buyer.Kind == KindCustomer && (inv.Status == StatusIssued || inv.Status == StatusPaid) &&
			period.Contains(inv.IssuedAt) {
			invs = append(invs, inv)
		}
	}
	sort.Slice(invs, func(i, j int) bool { return invs[i].ID < invs[j].ID })
	var out []poolDoc
	var payers []Party
	for _, inv := range invs {
		sp, terms, err := s.splitTerms(inv)
		if err != nil {
			return nil, fmt.Errorf("settle pooled tiers: %w", err)
		}
		if sp == nil {
			continue
		}
		cur, err := currencyOf(inv)
		if err != nil {
			return nil, err
		}
		out = append(out, poolDoc{inv: inv, sp: sp, terms: terms, cur: cur})
		payers = append(payers, sp.Levels[:len(sp.Levels)-1]...)
	}
	jr, ok := s.cfg.Store.(journalReader)
	if !ok || len(out) == 0 {
		return out, nil
	}
	from := period.From.UTC().Truncate(time.Second)
	pc, err := readPostedCosts(ctx, jr, payers, ledger.Period{From: from, To: period.To.UTC()})
	if err != nil {
		return nil, fmt.Errorf("settle pooled tiers: %w", err)
	}
	for i := range out {
		out[i].sp = pc.apply(out[i].sp)
	}
	return out, nil
}

// pooledLine reports whether a level pays for a line through a pool: a usage line it re-priced
// with its buy list whose entry pools, with a non-negative quantity (a negative correction is
// costed alone).
func pooledLine(l *Line, sh Share, t channelTerms) bool {
	return l.Kind == LineUsage && t.buy != nil && sh.Basis == BasisPriceList && !l.Quantity.IsNegative() &&
		t.buy.PooledEntry(l.PlanID, l.PlanVersion, l.ChargeID)
}

// settleLine re-costs one line: pooled levels take their pool share; a price-list or platform
// level keeps its cost (it depends on the quantity or the net, not on what the level sells at);
// a margin level is re-derived from what it now sells at, as at issue.
func settleLine(doc string, l SplitLine, fixed map[int]decimal.Decimal, terms []channelTerms, cur rating.Currency) settledLine {
	sl := settledLine{Doc: doc, No: l.No, Costs: make([]decimal.Decimal, len(terms)), Pooled: make([]bool, len(terms))}
	sells := l.Net
	for j, t := range terms {
		c, pooled := fixed[j]
		switch {
		case pooled:
		case t.buy == nil && !t.platform:
			keep := decimal.NewFromInt(100).Sub(t.margin)
			c = cur.Round(sells.Mul(keep).Div(decimal.NewFromInt(100)), rating.RoundHalfUp)
		default:
			c = l.Shares[j].Cost
		}
		sl.Costs[j], sl.Pooled[j] = c, pooled
		sells = c
	}
	return sl
}

// resplit is a split line with settled costs.
func resplit(l SplitLine, sl settledLine) SplitLine {
	basis := make([]string, len(sl.Costs))
	for j := range basis {
		basis[j] = l.Shares[j].Basis
		if sl.Pooled[j] {
			basis[j] = BasisPooled
		}
	}
	l.Shares = sharesOf(l.Net, sl.Costs, basis)
	return l
}

func cloneSplit(sp *InvoiceSplit) *InvoiceSplit {
	c := *sp
	c.Lines = append([]SplitLine(nil), sp.Lines...)
	return &c
}

// deltaTransaction posts what moves from a split as posted to its settled version: per line
// and level, the difference of the costs (cost_of_sales, revenue, channel balances, as
// SplitTransaction), id TransactionID("pool", document id), at the document's issue time.
func deltaTransaction(before, after *InvoiceSplit, at time.Time) (ledger.Transaction, bool, error) {
	d := cloneSplit(after)
	for i := range d.Lines {
		shares := append([]Share(nil), d.Lines[i].Shares...)
		for j := range shares {
			shares[j].Cost = after.Lines[i].Shares[j].Cost.Sub(before.Lines[i].Shares[j].Cost)
		}
		d.Lines[i].Shares = shares
	}
	entries := splitEntries(d)
	if len(entries) == 0 {
		return ledger.Transaction{}, false, nil
	}
	tx := ledger.Transaction{
		ID:          TransactionID(purposePool, after.InvoiceID),
		Time:        at.UTC(),
		Kind:        TxRevenueSplit,
		Description: fmt.Sprintf("pooled wholesale tiers settled for %s %s", after.Kind, after.Number),
		Entries:     entries,
	}
	if err := tx.Validate(); err != nil {
		return ledger.Transaction{}, false, fmt.Errorf("pool settlement of %s %s: %w: %w", after.Kind, after.Number, ErrInvalid, err)
	}
	return tx, true, nil
}
