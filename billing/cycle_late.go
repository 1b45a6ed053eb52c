package billing

import (
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// invoicedIndex is what issued invoices already billed for each (subscription, usage window):
// the amount per charge and the quantity per meter last invoiced. The cycle compares the
// ledger's current quantities with it to find usage that arrived after its period was
// invoiced (late events, mediation's "late_closed_period"), and bills the difference as an
// adjustment on the next invoice.
type invoicedIndex struct {
	windows map[string]map[windowKey]*invoicedWindow // subscription -> window -> what was billed
}

type invoicedWindow struct {
	window     Period
	plan       string
	version    int
	amounts    map[string]decimal.Decimal // charge -> Σ rounded amounts invoiced
	quantities map[string]decimal.Decimal // meter -> total quantity last invoiced
	lastIssued time.Time
	commitment bool // a minimum-commitment true-up was billed for the window
}

// invoicedUsage indexes the usage lines of every issued (not void) invoice.
func (s *Service) invoicedUsage() *invoicedIndex {
	idx := &invoicedIndex{windows: map[string]map[windowKey]*invoicedWindow{}}
	invs := make([]*Invoice, 0, len(s.docs))
	for _, inv := range s.docs {
		if inv.Kind == DocInvoice && (inv.Status == StatusIssued || inv.Status == StatusPaid) {
			invs = append(invs, inv)
		}
	}
	sort.Slice(invs, func(i, j int) bool { return invs[i].IssuedAt.Before(invs[j].IssuedAt) })
	for _, inv := range invs {
		for _, l := range inv.Lines {
			usage := l.Kind == LineUsage || l.Kind == LineUsageAdjustment
			trueUp := l.Kind == LineCommitment && l.Ref == CommitmentRef
			if !usage && !trueUp || l.Subscription == "" {
				continue
			}
			byWin := idx.windows[l.Subscription]
			if byWin == nil {
				byWin = map[windowKey]*invoicedWindow{}
				idx.windows[l.Subscription] = byWin
			}
			w := byWin[keyOf(l.Window)]
			if w == nil {
				w = &invoicedWindow{window: l.Window, plan: l.PlanID, version: l.PlanVersion,
					amounts: map[string]decimal.Decimal{}, quantities: map[string]decimal.Decimal{}}
				byWin[keyOf(l.Window)] = w
			}
			if trueUp {
				// Build re-computes the true-up after late usage and bills the difference.
				w.amounts[CommitmentRef] = w.amounts[CommitmentRef].Add(l.Amount)
				w.commitment = true
				continue
			}
			w.amounts[l.ChargeID] = w.amounts[l.ChargeID].Add(l.Amount)
			if l.Meter != "" {
				w.quantities[l.Meter] = l.Quantity.Add(l.Allowance)
			}
			w.lastIssued = inv.IssuedAt
		}
	}
	return idx
}

// candidates returns an adjustment item for every invoiced usage window of the subscription
// that ended at or before `before` and after `since` (the late window); fillUsage keeps those
// whose quantities changed.
func (x *invoicedIndex) candidates(sub string, before, since time.Time) []Item {
	var out []Item
	for _, w := range x.windows[sub] {
		if w.window.To.After(before) || !w.window.To.After(since) {
			continue
		}
		invoiced := make(map[string]decimal.Decimal, len(w.amounts))
		for k, v := range w.amounts {
			invoiced[k] = v
		}
		out = append(out, Item{Subscription: sub, Kind: ItemUsageAdjustment, PlanID: w.plan, PlanVersion: w.version,
			Window: w.window, Period: w.window, Invoiced: invoiced, Commitment: w.commitment})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Window.From.Before(out[j].Window.From) })
	return out
}

// changed reports whether an adjustment candidate's quantities differ from what was invoiced.
func (x *invoicedIndex) changed(it Item) bool {
	w := x.windows[it.Subscription][keyOf(it.Window)]
	if w == nil {
		return true
	}
	for meter, q := range it.Usage {
		if !q.Equal(w.quantities[meter]) {
			return true
		}
	}
	return false
}
