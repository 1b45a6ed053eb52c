package billing

import (
	"sort"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// Term is a subscription's service term: how long one commitment lasts before it renews (or,
// without auto-renewal, ends).
type Term string

// The terms.
const (
	TermNone    Term = "none"    // open-ended: runs until cancelled
	TermMonthly Term = "monthly" // one month from the start, renewed monthly when AutoRenew
	TermAnnual  Term = "annual"  // one year from the start, renewed yearly when AutoRenew
)

// Timing says when a change takes effect.
type Timing string

// The timings.
const (
	// TimingNow takes effect at the command's Effective instant (its recording time when zero).
	TimingNow Timing = "now"
	// TimingPeriodEnd takes effect at the end of the billing period containing Effective: the
	// next boundary, so the current period is billed as it was sold.
	TimingPeriodEnd Timing = "period_end"
)

// NewSubscription is the CreateSubscription command.
type NewSubscription struct {
	ID      string
	Account string // a customer account
	PlanID  string
	// Seats is the quantity per-seat charges multiply; zero means 1. Whole numbers only.
	Seats  decimal.Decimal
	Coupon string // "" for none
	Start  time.Time
	// TrialDays overrides the plan's trial (nil: the plan's TrialDays; 0: no trial).
	TrialDays *int
	Term      Term // "" means none
	AutoRenew bool
}

// PlanChange is the ChangePlan command. Prorate (Timing now only) credits the old plan's
// recurring fees for the rest of the period and charges the new plan's.
type PlanChange struct {
	Subscription string
	PlanID       string
	Timing       Timing // "" means now
	Effective    time.Time
	Prorate      bool
}

// SeatChange is the ChangeSeats command, with ChangePlan's timing and proration rules; only the
// per-seat recurring charges are credited and charged again.
type SeatChange struct {
	Subscription string
	Seats        decimal.Decimal
	Timing       Timing
	Effective    time.Time
	Prorate      bool
}

// Cancellation is the Cancel command. Now ends the subscription at Effective and credits the
// unused part of the recurring fee billed in advance; period_end ends it at the next boundary.
type Cancellation struct {
	Subscription string
	Timing       Timing
	Effective    time.Time
}

// SubscriptionStatus is where a subscription stands at one instant.
type SubscriptionStatus string

// The statuses (see Subscription.StatusAt).
const (
	SubPending   SubscriptionStatus = "pending" // before its start
	SubTrialing  SubscriptionStatus = "trialing"
	SubActive    SubscriptionStatus = "active"
	SubSuspended SubscriptionStatus = "suspended"
	SubEnded     SubscriptionStatus = "ended"
)

// Subscription is a customer's subscription as its events built it. It is owned by the State:
// read it, never modify it (the next Apply would disagree with what was written).
type Subscription struct {
	ID      string
	Account string
	Start   time.Time
	// TrialEnd is the first paid instant: Start when there is no trial, earlier than planned
	// when the trial was ended by Activate.
	TrialEnd  time.Time
	Term      Term
	AutoRenew bool
	// BillingDay is the account's billing day when the subscription was created: changing an
	// account's billing day later moves only new subscriptions (a moved calendar would need a
	// proration nobody asked for).
	BillingDay int
	Coupon     string
	CouponAt   time.Time
	// PlanID, PlanVersion and Seats are the latest terms recorded, scheduled ones included; use
	// TermsAt for the terms in force at an instant.
	PlanID      string
	PlanVersion int
	Seats       decimal.Decimal
	// End is when the subscription stops (zero: open-ended): a cancellation, or the term's end
	// without auto-renewal. Cancelled tells the two apart.
	End       time.Time
	Cancelled bool
	// LastBilled is the latest boundary recorded as billed; changes dated at or before it are
	// backdated.
	LastBilled time.Time

	seq        uint64
	createdAt  time.Time // the created event's recording time, to the second: orders an account's subscriptions
	history    []SubscriptionEvent
	changes    []termChange // the created event first, then by (At, Seq)
	grids      []grid       // by From
	suspension []suspendMark
	plannedEnd time.Time // the end known in advance (term end, period-end cancel): cuts in-advance windows
	cancelNow  bool      // End came from an immediate cancellation, which credits the unused fee
	billed     map[int64]string
	// billedThrough is the latest boundary up to which every boundary is billed (zero: none).
	billedThrough time.Time
}

// Terms are what a subscription is sold at, at one instant.
type Terms struct {
	PlanID        string
	PlanVersion   int
	BillingPeriod rating.BillingPeriod
	Seats         decimal.Decimal
}

// termChange is a plan or seat change on the timeline.
type termChange struct {
	At      time.Time
	Seq     uint64
	Plan    bool // a plan change (splits usage); otherwise a seat change
	Prorate bool
	Now     bool  // timing now (a period-end change sits on a boundary and prorates nothing)
	Delta   Terms // what the change sets: plan fields, or Seats
	Terms   Terms // the terms after the change, recomputed whenever the timeline changes
}

type suspendMark struct {
	At        time.Time
	Seq       uint64
	Suspended bool
}

// History returns every event of the subscription in seq order (a copy), for audit.
func (s *Subscription) History() []SubscriptionEvent {
	return append([]SubscriptionEvent(nil), s.history...)
}

// Seq is the seq of the subscription's last event.
func (s *Subscription) Seq() uint64 { return s.seq }

// TermsAt returns the terms in force at t (the first terms before the start).
func (s *Subscription) TermsAt(t time.Time) Terms {
	i := s.changeIndex(t)
	return s.changes[i].Terms
}

// changeIndex returns the index of the last change in force at t (0 before any change).
func (s *Subscription) changeIndex(t time.Time) int {
	i := sort.Search(len(s.changes), func(i int) bool { return s.changes[i].At.After(t) })
	return max(i-1, 0)
}

// Suspended reports whether the subscription is suspended at t.
func (s *Subscription) Suspended(t time.Time) bool {
	on := false
	for _, m := range s.suspension {
		if m.At.After(t) {
			break
		}
		on = m.Suspended
	}
	return on
}

// StatusAt says where the subscription stands at t.
func (s *Subscription) StatusAt(t time.Time) SubscriptionStatus {
	switch {
	case t.Before(s.Start):
		return SubPending
	case !s.End.IsZero() && !t.Before(s.End):
		return SubEnded
	case s.Suspended(t):
		return SubSuspended
	case t.Before(s.TrialEnd):
		return SubTrialing
	}
	return SubActive
}

// AcceptsUsage reports whether usage dated t may be recorded against the subscription: it has
// started, not ended, and is not suspended (suspension is the dunning tool: it stops service,
// not fees).
func (s *Subscription) AcceptsUsage(t time.Time) bool {
	st := s.StatusAt(t)
	return st == SubTrialing || st == SubActive
}

// IsBilled reports whether the boundary has been recorded as billed, and by which invoice.
func (s *Subscription) IsBilled(boundary time.Time) (string, bool) {
	inv, ok := s.billed[boundary.UnixNano()]
	return inv, ok
}

// BilledThrough is the latest boundary up to which every boundary of the subscription has been
// billed (zero when none has): Due(sub, sub.BilledThrough(), asOf) lists what is still owed.
func (s *Subscription) BilledThrough() time.Time { return s.billedThrough }

// gridAt returns the calendar stretch in force at t.
func (s *Subscription) gridAt(t time.Time) grid {
	i := sort.Search(len(s.grids), func(i int) bool { return s.grids[i].From.After(t) })
	return s.grids[max(i-1, 0)]
}

// PeriodAt returns the billing period containing t (a calendar stub's full period for the
// days before the first billing day).
func (s *Subscription) PeriodAt(t time.Time) Period { return s.gridAt(t).periodAt(t) }

// NextBoundary returns the end of the billing period containing t: where period_end changes
// take effect.
func (s *Subscription) NextBoundary(t time.Time) time.Time { return s.PeriodAt(t).To }

// isGridBoundary reports whether b ends a billing period.
func (s *Subscription) isGridBoundary(b time.Time) bool {
	return b.After(s.Start) && s.PeriodAt(b.Add(-time.Nanosecond)).To.Equal(b)
}
