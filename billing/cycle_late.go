package billing

import (
	"fmt"
	"sort"
	"strings"
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
	issued  map[string]time.Time                     // subscription -> when its last invoice was issued
	// taken sums, per subscription and line window, what discounts and coupons already took:
	// "discount:<id>" (charge discounts, by usage window) and "coupon:<code>" (by billing
	// period). Build grants a fixed discount or coupon amount once per window from it.
	taken map[string]map[windowKey]map[string]decimal.Decimal
}

type invoicedWindow struct {
	window     Period
	boundary   time.Time                  // the boundary of the invoice that first billed the window
	amounts    map[string]decimal.Decimal // charge -> Σ rounded amounts invoiced
	quantities map[string]decimal.Decimal // meter -> total quantity last invoiced
	commitment bool                       // a minimum-commitment true-up was billed for the window
}

// invoicedUsage indexes the usage lines of every issued (not void) invoice.
func (s *Service) invoicedUsage() *invoicedIndex {
	idx := &invoicedIndex{windows: map[string]map[windowKey]*invoicedWindow{}, issued: map[string]time.Time{},
		taken: map[string]map[windowKey]map[string]decimal.Decimal{}}
	invs := make([]*Invoice, 0, len(s.docs))
	for _, inv := range s.docs {
		if inv.Kind == DocInvoice && (inv.Status == StatusIssued || inv.Status == StatusPaid) {
			invs = append(invs, inv)
		}
	}
	sort.Slice(invs, func(i, j int) bool {
		if !invs[i].IssuedAt.Equal(invs[j].IssuedAt) {
			return invs[i].IssuedAt.Before(invs[j].IssuedAt)
		}
		return invs[i].Boundary.Before(invs[j].Boundary)
	})
	for _, inv := range invs {
		idx.add(inv)
	}
	return idx
}

// add records what an invoice bills; the cycle also adds each invoice it builds, so the later
// invoices of a catch-up run see it.
func (x *invoicedIndex) add(inv *Invoice) {
	for _, l := range inv.Lines {
		switch {
		case l.Subscription == "":
		case l.Kind == LineDiscount && l.ChargeID != "":
			x.take(l.Subscription, l.Window, DiscountKeyPrefix+l.Ref, l.Amount)
		case l.Kind == LineCoupon:
			x.take(l.Subscription, l.Window, CouponKeyPrefix+l.Ref, l.Amount)
		}
		usage := l.Kind == LineUsage || l.Kind == LineUsageAdjustment
		trueUp := l.Kind == LineCommitment && l.Ref == CommitmentRef
		if !usage && !trueUp || l.Subscription == "" {
			continue
		}
		if inv.IssuedAt.After(x.issued[l.Subscription]) {
			x.issued[l.Subscription] = inv.IssuedAt
		}
		byWin := x.windows[l.Subscription]
		if byWin == nil {
			byWin = map[windowKey]*invoicedWindow{}
			x.windows[l.Subscription] = byWin
		}
		w := byWin[keyOf(l.Window)]
		if w == nil {
			w = &invoicedWindow{window: l.Window, boundary: inv.Boundary,
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
	}
}

func (x *invoicedIndex) take(sub string, w Period, key string, amount decimal.Decimal) {
	byWin := x.taken[sub]
	if byWin == nil {
		byWin = map[windowKey]map[string]decimal.Decimal{}
		x.taken[sub] = byWin
	}
	m := byWin[keyOf(w)]
	if m == nil {
		m = map[string]decimal.Decimal{}
		byWin[keyOf(w)] = m
	}
	m[key] = m[key].Add(amount)
}

// candidates returns an adjustment item for every invoiced usage window of the subscription
// that ended at or before `before` and could still receive late events: mediation accepts an
// event up to the late window after its time, so a window matters while its end is after the
// subscription's last issue time minus the late window (events ingested since then). The item
// is the window's original usage item (plan version, price list, seats, coupon, commitment as
// they were billed), re-read from the subscription; fillUsage keeps those whose quantities changed.
func (x *invoicedIndex) candidates(st *State, sub *Subscription, before time.Time, lateWindow time.Duration) ([]Item, error) {
	last, ok := x.issued[sub.ID]
	if !ok {
		return nil, nil
	}
	since := last.Add(-lateWindow)
	var wins []*invoicedWindow
	for _, w := range x.windows[sub.ID] {
		if !w.window.To.After(before) && w.window.To.After(since) {
			wins = append(wins, w)
		}
	}
	sort.Slice(wins, func(i, j int) bool { return wins[i].window.From.Before(wins[j].window.From) })
	var out []Item
	for _, w := range wins {
		orig, err := st.usageItemsAt(sub, w.boundary)
		if err != nil {
			return nil, fmt.Errorf("late usage of subscription %s for %s: %w", sub.ID, formatRange(w.window), err)
		}
		for _, it := range orig {
			if keyOf(it.Window) != keyOf(w.window) {
				continue
			}
			it.Kind = ItemUsageAdjustment
			it.Invoiced = make(map[string]decimal.Decimal, len(w.amounts))
			for k, v := range w.amounts {
				it.Invoiced[k] = v
			}
			it.Commitment = it.Commitment && w.commitment
			out = append(out, it)
		}
	}
	return out, nil
}

// changed reports whether an adjustment candidate may bill something: its own quantities
// differ from what was invoiced, or it has a pooled charge (a late event of another member
// changes this member's share of the group amount; Build bills the share minus what was
// invoiced and drops a zero difference).
func (x *invoicedIndex) changed(it Item) bool {
	w := x.windows[it.Subscription][keyOf(it.Window)]
	if w == nil || len(it.Pools) > 0 {
		return true
	}
	for meter, q := range it.Usage {
		if !q.Equal(w.quantities[meter]) {
			return true
		}
	}
	return false
}

// invoiced returns what has been invoiced for an adjustment item's window so far, including by
// the invoices built earlier in the same cycle: per charge, the true-up, and what each charge
// discount took (Build's "discount:<id>" keys).
func (x *invoicedIndex) invoiced(it Item) map[string]decimal.Decimal {
	w := x.windows[it.Subscription][keyOf(it.Window)]
	out := map[string]decimal.Decimal{}
	if w != nil {
		for k, v := range w.amounts {
			out[k] = v
		}
	}
	for k, v := range x.taken[it.Subscription][keyOf(it.Window)] {
		if strings.HasPrefix(k, DiscountKeyPrefix) {
			out[k] = v
		}
	}
	return out
}

// couponTaken returns what the item's coupon already took in the item's billing period (Build's
// "coupon:<code>" key), also by invoices built earlier in the same cycle; 0 when nothing.
func (x *invoicedIndex) couponTaken(it Item) decimal.Decimal {
	return x.taken[it.Subscription][keyOf(it.Period)][CouponKeyPrefix+it.Coupon]
}

// usageItemsAt rebuilds the usage items a subscription owed at a boundary it has already been
// billed at (Items returns nothing for billed boundaries): what a late-usage adjustment re-rates.
func (s *State) usageItemsAt(sub *Subscription, boundary time.Time) ([]Item, error) {
	b := boundary.UTC()
	acc, ok := s.AccountAt(sub.Account, b)
	if !ok {
		return nil, fmt.Errorf("account %s: %w", sub.Account, ErrNotFound)
	}
	if !b.After(sub.Start) {
		return nil, nil
	}
	ib := itemBuilder{s: s, sub: sub, priceList: acc.PriceList}
	closed := sub.PeriodAt(b.Add(-time.Nanosecond))
	ib.usage(closed, Period{From: laterOf(closed.From, sub.Start), To: b})
	var out []Item
	for _, it := range ib.items {
		if it.Kind == ItemUsage {
			out = append(out, it)
		}
	}
	return out, nil
}
