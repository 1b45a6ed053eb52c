package billing

import (
	"fmt"
	"slices"
	"time"

	"github.com/cascade-billing/cascade/rating"
)

// Due returns the boundaries in (after, until] at which the subscription owes an invoice, in
// time order: its start when it has no trial (in-advance fees and one-time charges), the end of
// its trial (the first paid period, prorated), each billing period's end, and its end. A
// subscription that ends at or before its start owes nothing.
//
// The cycle passes after = sub.BilledThrough() so that an old subscription costs the boundaries
// not yet billed, not one per period since its start.
func (s *State) Due(sub *Subscription, after, until time.Time) []time.Time {
	return sub.due(after, until)
}

func (sub *Subscription) due(after, until time.Time) []time.Time {
	after, until = after.UTC(), until.UTC()
	end := sub.End
	if !end.IsZero() && !end.After(sub.Start) {
		return nil
	}
	hi := until
	if !end.IsZero() && end.Before(hi) {
		hi = end
	}
	in := func(t time.Time) bool { return t.After(after) && !t.After(hi) }
	var out []time.Time
	if sub.TrialEnd.Equal(sub.Start) && in(sub.Start) {
		out = append(out, sub.Start)
	}
	if sub.TrialEnd.After(sub.Start) && (end.IsZero() || sub.TrialEnd.Before(end)) && in(sub.TrialEnd) {
		out = append(out, sub.TrialEnd)
	}
	for i, g := range sub.grids {
		top := hi
		if i+1 < len(sub.grids) && sub.grids[i+1].From.Before(top) {
			top = sub.grids[i+1].From
		}
		out = g.boundariesIn(out, after, top)
	}
	if !end.IsZero() && in(end) {
		out = append(out, end)
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
}

// isBoundary reports whether b is one of the subscription's due boundaries.
func (s *State) isBoundary(sub *Subscription, b time.Time) bool {
	due := sub.due(b.Add(-time.Nanosecond), b)
	return len(due) == 1 && due[0].Equal(b)
}

// Items returns what the subscription owes at one of its boundaries, and the usage period the
// boundary closes (From == To when it closes none: a start or a trial's end):
//   - usage, in arrears: one item per plan segment of the period ending at the boundary (an
//     immediate plan change splits it), Commitment set when the segment is the whole period,
//     paid from its first day, or the whole period up to an immediate cancellation (the
//     minimum commitment applies in full to a period cut by a cancel-now);
//   - proration, for immediate changes made with Prorate inside that period, and for an
//     immediate cancellation: a credit of the recurring fees charged for the days from the
//     change to the end of what was billed in advance (the terms last charged, not the terms
//     in force), and a charge of the new terms' for the same days;
//   - recurring fees in advance for the period starting at the boundary (none before the trial
//     ends, nor when the subscription ends there), cut at a known end (a term's end);
//   - one-time charges with the first paid period.
//
// A boundary already recorded as billed returns the usage period and no items.
func (s *State) Items(sub *Subscription, boundary time.Time) (usage Period, items []Item, err error) {
	b := boundary.UTC()
	if !s.isBoundary(sub, b) {
		return Period{}, nil, fmt.Errorf("items of subscription %s at %s: not a billing boundary: %w", sub.ID, fmtInstant(b), ErrInvalid)
	}
	acc, ok := s.AccountAt(sub.Account, b)
	if !ok {
		return Period{}, nil, fmt.Errorf("items of subscription %s: account %s: %w", sub.ID, sub.Account, ErrNotFound)
	}
	ib := itemBuilder{s: s, sub: sub, priceList: acc.PriceList}
	usage = Period{From: b, To: b}
	closes := b.After(sub.Start) && (sub.isGridBoundary(b) || b.Equal(sub.End))
	var closed Period
	if closes {
		closed = sub.PeriodAt(b.Add(-time.Nanosecond))
		usage = Period{From: laterOf(closed.From, sub.Start), To: b}
	}
	if _, billed := sub.IsBilled(b); billed {
		return usage, nil, nil
	}
	if closes {
		ib.usage(closed, usage)
		if err := ib.prorations(closed, usage); err != nil {
			return usage, nil, err
		}
	}
	if !b.Before(sub.TrialEnd) && (sub.End.IsZero() || b.Before(sub.End)) {
		if err := ib.inAdvance(b); err != nil {
			return usage, nil, err
		}
	}
	return usage, ib.items, nil
}

// itemBuilder collects one boundary's items.
type itemBuilder struct {
	s         *State
	sub       *Subscription
	priceList string
	items     []Item
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlierOf(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// plan returns the exact plan version of some terms.
func (ib *itemBuilder) plan(t Terms) (*rating.Plan, error) {
	if ib.s.cat == nil {
		return nil, fmt.Errorf("items of subscription %s: the state has no catalog: %w", ib.sub.ID, ErrInvalid)
	}
	p, ok := ib.s.cat.PlanVersion(t.PlanID, t.PlanVersion)
	if !ok {
		return nil, fmt.Errorf("items of subscription %s: plan %s version %d not in the catalog: %w", ib.sub.ID, t.PlanID, t.PlanVersion, ErrNotFound)
	}
	return p, nil
}

// item fills the fields every item of the subscription shares.
func (ib *itemBuilder) item(kind ItemKind, t Terms, window, period Period) Item {
	it := Item{Subscription: ib.sub.ID, Kind: kind, PlanID: t.PlanID, PlanVersion: t.PlanVersion,
		Window: window, Period: period, Seats: t.Seats, PriceList: ib.priceList}
	if ib.sub.Coupon != "" {
		it.Coupon, it.CouponAt, it.CouponPeriod = ib.sub.Coupon, ib.sub.CouponAt, ib.sub.couponPeriod(period.From)
	}
	return it
}

// usage adds one usage item per plan segment of the closed period.
func (ib *itemBuilder) usage(closed, usage Period) {
	from := usage.From
	for from.Before(usage.To) {
		t := ib.sub.TermsAt(from)
		to := usage.To
		for _, ch := range ib.sub.changes[1:] {
			if ch.Plan && ch.At.After(from) && ch.At.Before(to) {
				to = ch.At
			}
		}
		it := ib.item(ItemUsage, t, Period{From: from, To: to}, closed)
		// A period cut short by an immediate cancellation owes its whole minimum: the
		// commitment is for the period, and cancelling (even an hour before its end) only
		// credits the unused fee — the true-up then tops the period up to the minimum.
		cut := ib.sub.cancelNow && to.Equal(ib.sub.End)
		it.Commitment = from.Equal(closed.From) && (to.Equal(closed.To) || cut) && !ib.sub.TrialEnd.After(closed.From)
		ib.items = append(ib.items, it)
		from = to
	}
}

// billedWindow is the part of a period whose recurring fees were billed in advance: from the
// period's start (or the start, or the trial's end) to its end (or the known end).
func (ib *itemBuilder) billedWindow(p Period) Period {
	w := Period{From: laterOf(laterOf(p.From, ib.sub.Start), ib.sub.TrialEnd), To: p.To}
	if !ib.sub.plannedEnd.IsZero() {
		w.To = earlierOf(w.To, ib.sub.plannedEnd)
	}
	return w
}

// prorations adds credits and charges for the prorated immediate changes inside the closed
// period, and the credit of an immediate cancellation ending it. A credit gives back what the
// in-advance invoice (and the prorations after it) charged for the rest of the billed window —
// the terms last charged for those days, not the terms in force: a change made without
// Prorate moves the terms but charges nothing until the next period, so crediting its terms
// would give back a fee never paid. Each prorated change credits what was paid and charges its
// new terms from the change to the end of the billed window, so several changes in one period
// chain correctly. A change before the billed window (during a trial) needs none: the fee
// billed at the trial's end already used the new terms.
func (ib *itemBuilder) prorations(closed, usage Period) error {
	w := ib.billedWindow(closed)
	first := ib.sub.TermsAt(w.From)
	paid := paidTerms{flat: first, seats: first}
	for i, ch := range ib.sub.changes {
		if i == 0 || !ch.Now || !ch.Prorate || !ch.At.After(w.From) || !ch.At.Before(earlierOf(w.To, usage.To)) {
			continue
		}
		rest := Period{From: ch.At, To: w.To}
		if !ch.Plan {
			// A seat change re-prices the per-seat charges only; the flat ones stay as paid.
			if err := ib.recurring(ItemProrationCredit, paid.seats, rest, closed, seatCharges); err != nil {
				return err
			}
			if err := ib.recurring(ItemRecurring, ch.Terms, rest, closed, seatCharges); err != nil {
				return err
			}
			paid.seats = ch.Terms
			continue
		}
		if err := ib.credit(paid, rest, closed); err != nil {
			return err
		}
		if err := ib.recurring(ItemRecurring, ch.Terms, rest, closed, allCharges); err != nil {
			return err
		}
		paid = paidTerms{flat: ch.Terms, seats: ch.Terms}
	}
	if end := ib.sub.End; ib.sub.cancelNow && end.Equal(usage.To) && end.After(w.From) && end.Before(w.To) {
		return ib.credit(paid, Period{From: end, To: w.To}, closed)
	}
	return nil
}

// paidTerms are the terms the recurring fees of the rest of a billed window were last charged
// at: flat for the charges billed once per subscription, seats for the per-seat ones (a
// prorated seat change re-charges only those).
type paidTerms struct{ flat, seats Terms }

// credit gives back what was paid for the window: every recurring charge of one set of terms,
// or the flat and per-seat charges of each set when a prorated seat change split them.
func (ib *itemBuilder) credit(paid paidTerms, window, period Period) error {
	if sameTerms(paid.flat, paid.seats) {
		return ib.recurring(ItemProrationCredit, paid.flat, window, period, allCharges)
	}
	if err := ib.recurring(ItemProrationCredit, paid.flat, window, period, flatCharges); err != nil {
		return err
	}
	return ib.recurring(ItemProrationCredit, paid.seats, window, period, seatCharges)
}

func sameTerms(a, b Terms) bool {
	return a.PlanID == b.PlanID && a.PlanVersion == b.PlanVersion && a.BillingPeriod == b.BillingPeriod && a.Seats.Equal(b.Seats)
}

// chargeSet selects which recurring charges of a plan an item list covers.
type chargeSet int

const (
	allCharges  chargeSet = iota
	seatCharges           // per-seat charges only
	flatCharges           // every charge but the per-seat ones
)

func (c chargeSet) has(ch *rating.Charge) bool {
	switch c {
	case seatCharges:
		return ch.PerSeat
	case flatCharges:
		return !ch.PerSeat
	}
	return true
}

// recurring adds one item per recurring charge of the terms' plan in the set for the window,
// prorated by days against the whole period. A window of zero days (a change a few hours
// before a boundary) adds nothing: a zero line helps nobody.
func (ib *itemBuilder) recurring(kind ItemKind, t Terms, window, period Period, set chargeSet) error {
	if window.Days() == 0 {
		return nil
	}
	p, err := ib.plan(t)
	if err != nil {
		return err
	}
	for _, c := range p.Charges {
		if c.Kind != rating.ChargeRecurring || !set.has(c) {
			continue
		}
		it := ib.item(kind, t, window, period)
		it.ChargeID, it.Days, it.PeriodDays = c.ID, window.Days(), period.Days()
		ib.items = append(ib.items, it)
	}
	return nil
}

// inAdvance adds the recurring fees of the period starting at b (cut at a known end), and the
// one-time charges when b is the first paid boundary.
func (ib *itemBuilder) inAdvance(b time.Time) error {
	period := ib.sub.PeriodAt(b)
	window := Period{From: b, To: period.To}
	if !ib.sub.plannedEnd.IsZero() {
		window.To = earlierOf(window.To, ib.sub.plannedEnd)
	}
	t := ib.sub.TermsAt(b)
	if err := ib.recurring(ItemRecurring, t, window, period, allCharges); err != nil {
		return err
	}
	if !b.Equal(ib.sub.TrialEnd) {
		return nil
	}
	p, err := ib.plan(t)
	if err != nil {
		return err
	}
	for _, c := range p.Charges {
		if c.Kind == rating.ChargeOneTime {
			it := ib.item(ItemOneTime, t, window, period)
			it.ChargeID, it.Days, it.PeriodDays = c.ID, period.Days(), period.Days()
			ib.items = append(ib.items, it)
		}
	}
	return nil
}

// couponPeriod counts the billing periods between the coupon's redemption and the period
// starting at from: 0 for the period the redemption falls in.
func (sub *Subscription) couponPeriod(from time.Time) int {
	if !from.After(sub.CouponAt) {
		return 0
	}
	n := 0
	for i, g := range sub.grids {
		top := from
		if i+1 < len(sub.grids) && sub.grids[i+1].From.Before(top) {
			top = sub.grids[i+1].From
		}
		n += len(g.boundariesIn(nil, sub.CouponAt, top))
	}
	return n
}
