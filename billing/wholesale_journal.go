package billing

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// A wholesale invoice (parent → channel partner) bills what the revenue split already booked:
// the partner's cost is the parent's revenue and sits on the parent's channel_receivable. So
// the invoice is posted like any invoice (buyer receivable, issuer revenue and tax), plus a
// clearing that takes the revenue back out of the issuer's revenue and off its channel
// receivable: revenue is counted once (by the split), and what the partner owes moves from the
// uninvoiced channel balance to an invoiced receivable that payments and dunning handle like a
// customer's. Voids and credit notes of a wholesale invoice reverse the clearing pro rata.

// Transaction kinds and purposes of the wholesale clearing.
const (
	TxWholesaleClear        = "wholesale_clear"
	TxWholesaleClearVoid    = "wholesale_clear_void"
	purposeWholesaleClear   = "wholesale_clear"
	purposeWholesaleUnclear = "wholesale_clear_void"
)

// LineWholesale is a wholesale invoice's line: the partner's cost of a period's customer lines
// of one plan charge.
const LineWholesale LineKind = "wholesale"

// isWholesale reports whether a document is a wholesale invoice or a credit note of one.
// Called with the lock held.
func (s *Service) isWholesale(inv *Invoice) bool {
	if inv.Kind == DocCreditNote {
		if orig, ok := s.docs[inv.RefersTo]; ok {
			inv = orig
		}
	}
	return inv.Kind == DocInvoice && len(inv.Lines) > 0 && inv.Lines[0].Kind == LineWholesale
}

// wholesaleClearing is the clearing of a wholesale document at `at`: debit the issuer's
// revenue and credit its channel_receivable (the counterparty in LineID) with the Subtotal; a
// credit note's negative Subtotal posts the reverse, and reverse (a void) flips the signs.
func wholesaleClearing(inv *Invoice, purpose string, at time.Time, reverse bool) ([]ledger.Transaction, error) {
	amount := inv.Subtotal
	kind := TxWholesaleClear
	if reverse {
		amount, kind = amount.Neg(), TxWholesaleClearVoid
	}
	if amount.IsZero() {
		return nil, nil
	}
	tx := ledger.Transaction{
		ID:          TransactionID(purpose, inv.ID),
		Time:        at.UTC(),
		Kind:        kind,
		Description: fmt.Sprintf("%s %s to %s: channel revenue invoiced", inv.Kind, inv.Number, inv.Buyer.ID),
		Entries: []ledger.Entry{
			{Account: AccountCode(inv.Issuer, RoleRevenue), Amount: amount, Currency: inv.Currency, InvoiceID: inv.ID},
			{Account: AccountCode(inv.Issuer, RoleChannelReceivable), Amount: amount.Neg(), Currency: inv.Currency, InvoiceID: inv.ID,
				LineID: string(inv.Buyer.Kind) + ":" + inv.Buyer.ID},
		},
	}
	if err := tx.Validate(); err != nil {
		return nil, fmt.Errorf("wholesale clearing of %s: %w: %w", inv.Number, ErrInvalid, err)
	}
	return []ledger.Transaction{tx}, nil
}

// WholesaleAggregate prefixes the events of a period's channel settlement
// ("wholesale:<from>/<to>"): seq 1 records the pooled settlement (the commit point of
// settling; wholesale invoices are documents with their own snapshots).
const WholesaleAggregate = "wholesale:"

// EventPoolsSettled is the type of a period's settlement event.
const EventPoolsSettled = "pools_settled"

// WholesaleAggregateOf names a period's settlement aggregate.
func WholesaleAggregateOf(p Period) string {
	return WholesaleAggregate + p.From.UTC().Format(time.RFC3339) + "/" + p.To.UTC().Format(time.RFC3339)
}

// wholesaleBook is the settled pools, rebuilt from events by load.
type wholesaleBook struct {
	settled map[string]*PoolSettlement     // by aggregate
	lines   map[string]map[int]settledLine // document id -> line no -> settled costs
}

func newWholesaleBook() wholesaleBook {
	return wholesaleBook{settled: map[string]*PoolSettlement{}, lines: map[string]map[int]settledLine{}}
}

// apply records a settlement event.
func (b *wholesaleBook) apply(ev ledger.Event) error {
	if b.settled == nil {
		*b = newWholesaleBook()
	}
	if ev.Type != EventPoolsSettled {
		return fmt.Errorf("%s: unknown wholesale event type %q: %w", ev.Key(), ev.Type, ErrInvalid)
	}
	var st PoolSettlement
	if err := json.Unmarshal(ev.Data, &st); err != nil {
		return fmt.Errorf("%s: decode settlement: %v: %w", ev.Key(), err, ErrInvalid)
	}
	b.settled[ev.Aggregate] = &st
	for _, l := range st.Lines {
		if b.lines[l.Doc] == nil {
			b.lines[l.Doc] = map[int]settledLine{}
		}
		b.lines[l.Doc][l.No] = l
	}
	return nil
}

// overlapping returns a closed period that overlaps p without being p.
func (b *wholesaleBook) overlapping(p Period) (Period, bool) {
	for _, st := range b.settled {
		q := st.Period
		if q.From.Before(p.To) && p.From.Before(q.To) && !(q.From.Equal(p.From) && q.To.Equal(p.To)) {
			return q, true
		}
	}
	return Period{}, false
}

// applySettled replaces the lines of a split as issued with their settled costs, if any.
func (b *wholesaleBook) applySettled(sp *InvoiceSplit) {
	byNo := b.lines[sp.InvoiceID]
	if len(byNo) == 0 {
		return
	}
	for i, l := range sp.Lines {
		if sl, ok := byNo[l.No]; ok && len(sl.Costs) == len(l.Shares)-1 {
			sp.Lines[i] = resplit(l, sl)
		}
	}
}

// settlementEvent records a period's settlement.
func settlementEvent(st *PoolSettlement, now time.Time, actor string) (ledger.Event, error) {
	return newStateEvent(WholesaleAggregateOf(st.Period), 1, EventPoolsSettled, st.Period.To, now, actor, st)
}
