package billing

import (
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// changeCtx is what every change command resolves first: the subscription, when the change
// takes effect, and the checks every change shares.
type changeCtx struct {
	sub *Subscription
	eff time.Time
	op  string
}

// resolve finds the subscription and the effective instant (Effective, or at when zero; the
// next boundary for period_end), and refuses a change before the start, at or after the end,
// or at or before the last billed boundary (ErrBackdated: that invoice already charged the old
// terms, and an invoice is never changed after the fact — a credit note is).
func (s *State) resolve(op, subID string, timing Timing, effective, at time.Time) (changeCtx, error) {
	sub, ok := s.subs[subID]
	if !ok {
		return changeCtx{}, fmt.Errorf("%s subscription %s: %w", op, subID, ErrNotFound)
	}
	c := changeCtx{sub: sub, op: fmt.Sprintf("%s subscription %s", op, subID)}
	eff := effective.UTC()
	if eff.IsZero() {
		eff = at.UTC()
	}
	if eff.Before(sub.Start) {
		return c, fmt.Errorf("%s: effective: %s is before the start %s: %w", c.op, fmtInstant(eff), fmtInstant(sub.Start), ErrInvalid)
	}
	if err := s.checkDate("effective", eff, at.UTC(), nil); err != nil {
		return c, fmt.Errorf("%s: %w", c.op, err) // an old subscription never billed could be changed decades back
	}
	switch timing {
	case "", TimingNow:
	case TimingPeriodEnd:
		eff = sub.NextBoundary(eff)
	default:
		return c, fmt.Errorf("%s: timing: %q: want now or period_end: %w", c.op, timing, ErrInvalid)
	}
	c.eff = eff
	if !sub.End.IsZero() && !eff.Before(sub.End) {
		return c, fmt.Errorf("%s: effective %s: the subscription ends at %s: %w", c.op, fmtInstant(eff), fmtInstant(sub.End), ErrConflict)
	}
	if !sub.LastBilled.IsZero() && !eff.After(sub.LastBilled) {
		return c, fmt.Errorf("%s: effective %s is not after %s, already invoiced: %w", c.op, fmtInstant(eff), fmtInstant(sub.LastBilled), ErrBackdated)
	}
	return c, nil
}

func fmtInstant(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// event builds the subscription's next event.
func (c changeCtx) event(typ string, at time.Time, actor string, data SubscriptionChange) ([]ledger.Event, error) {
	ev, err := newStateEvent(SubscriptionAggregate+c.sub.ID, c.sub.seq+1, typ, c.eff, at, actor, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.op, err)
	}
	return []ledger.Event{ev}, nil
}

// ChangePlan moves a subscription to another plan (or another version of its plan), now or at
// the period's end. The new plan must bill in the account's currency. A change now to a plan
// with another billing period is refused (ErrUnsupported) unless it falls on a boundary: a
// period cannot be split into two calendars.
func (s *State) ChangePlan(pc PlanChange, at time.Time, actor string) ([]ledger.Event, error) {
	c, err := s.resolve("change plan of", pc.Subscription, pc.Timing, pc.Effective, at)
	if err != nil {
		return nil, err
	}
	acc, ok := s.accounts[c.sub.Account]
	if !ok {
		return nil, fmt.Errorf("%s: account %s: %w", c.op, c.sub.Account, ErrNotFound)
	}
	plan, err := s.planAt(pc.PlanID, c.eff, acc)
	if err != nil {
		return nil, fmt.Errorf("%s: plan: %w", c.op, err)
	}
	cur := c.sub.TermsAt(c.eff)
	if cur.PlanID == plan.ID && cur.PlanVersion == plan.Version {
		return nil, fmt.Errorf("%s: plan: already on %s version %d at %s: %w", c.op, plan.ID, plan.Version, fmtInstant(c.eff), ErrConflict)
	}
	if plan.BillingPeriod != cur.BillingPeriod && !c.sub.PeriodAt(c.eff).From.Equal(c.eff) {
		return nil, fmt.Errorf("%s: plan %s bills every %d %s, the current plan every %d %s: change at period_end: %w",
			c.op, plan.ID, plan.BillingPeriod.Every, plan.BillingPeriod.Unit, cur.BillingPeriod.Every, cur.BillingPeriod.Unit, ErrUnsupported)
	}
	timing := pc.Timing
	if timing == "" {
		timing = TimingNow
	}
	return c.event(EventPlanChanged, at, actor, SubscriptionChange{PlanID: plan.ID, PlanVersion: plan.Version,
		BillingPeriod: periodSpecOf(plan.BillingPeriod), Timing: timing, Prorate: pc.Prorate && timing == TimingNow})
}

// ChangeSeats changes the seat count per-seat charges multiply, with ChangePlan's timing rules.
func (s *State) ChangeSeats(sc SeatChange, at time.Time, actor string) ([]ledger.Event, error) {
	c, err := s.resolve("change seats of", sc.Subscription, sc.Timing, sc.Effective, at)
	if err != nil {
		return nil, err
	}
	if sc.Seats.IsZero() {
		return nil, fmt.Errorf("%s: seats: want 1 or more (cancel to stop): %w", c.op, ErrInvalid)
	}
	seats, err := normSeats(sc.Seats)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.op, err)
	}
	if c.sub.TermsAt(c.eff).Seats.Equal(seats) {
		return nil, fmt.Errorf("%s: seats: already %s at %s: %w", c.op, seats, fmtInstant(c.eff), ErrConflict)
	}
	timing := sc.Timing
	if timing == "" {
		timing = TimingNow
	}
	return c.event(EventSeatsChanged, at, actor, SubscriptionChange{Seats: decimalPtr(seats), Timing: timing,
		Prorate: sc.Prorate && timing == TimingNow})
}

// Suspend stops the subscription accepting usage from effective on. It does not stop recurring
// fees: suspension is the dunning tool for a buyer who does not pay, not a pause.
func (s *State) Suspend(subID string, effective, at time.Time, actor string) ([]ledger.Event, error) {
	return s.suspend(subID, true, effective, at, actor)
}

// Resume ends a suspension from effective on.
func (s *State) Resume(subID string, effective, at time.Time, actor string) ([]ledger.Event, error) {
	return s.suspend(subID, false, effective, at, actor)
}

func (s *State) suspend(subID string, on bool, effective, at time.Time, actor string) ([]ledger.Event, error) {
	op, typ := "suspend", EventSuspended
	if !on {
		op, typ = "resume", EventResumed
	}
	sub, ok := s.subs[subID]
	if !ok {
		return nil, fmt.Errorf("%s subscription %s: %w", op, subID, ErrNotFound)
	}
	// Suspension does not change what is invoiced, so it is not held to the last billed
	// boundary; only to the start, the end and the suspension timeline's order.
	c := changeCtx{sub: sub, op: op + " subscription " + subID, eff: effective.UTC()}
	if c.eff.IsZero() {
		c.eff = at.UTC()
	}
	switch {
	case c.eff.Before(sub.Start):
		return nil, fmt.Errorf("%s: effective %s is before the start %s: %w", c.op, fmtInstant(c.eff), fmtInstant(sub.Start), ErrInvalid)
	case !sub.End.IsZero() && !c.eff.Before(sub.End):
		return nil, fmt.Errorf("%s: effective %s: the subscription ends at %s: %w", c.op, fmtInstant(c.eff), fmtInstant(sub.End), ErrConflict)
	}
	if err := s.checkDate("effective", c.eff, at.UTC(), nil); err != nil {
		return nil, fmt.Errorf("%s: %w", c.op, err)
	}
	if n := len(sub.suspension); n > 0 && c.eff.Before(sub.suspension[n-1].At) {
		return nil, fmt.Errorf("%s: effective %s is before the last suspension change at %s: %w", c.op, fmtInstant(c.eff), fmtInstant(sub.suspension[n-1].At), ErrConflict)
	}
	if sub.Suspended(c.eff) == on {
		state := "not suspended"
		if on {
			state = "already suspended"
		}
		return nil, fmt.Errorf("%s: %s at %s: %w", c.op, state, fmtInstant(c.eff), ErrConflict)
	}
	return c.event(typ, at, actor, SubscriptionChange{})
}

// Cancel ends the subscription: now (at Effective) with a credit for the unused part of the
// recurring fee billed in advance and a final invoice for the usage up to the end, or at the
// end of the current period. Cancelling a cancelled (or scheduled-to-end) subscription is a
// conflict.
func (s *State) Cancel(cn Cancellation, at time.Time, actor string) ([]ledger.Event, error) {
	if sub, ok := s.subs[cn.Subscription]; ok && sub.Cancelled {
		return nil, fmt.Errorf("cancel subscription %s: already cancelled, ends at %s: %w", sub.ID, fmtInstant(sub.End), ErrConflict)
	}
	c, err := s.resolve("cancel", cn.Subscription, cn.Timing, cn.Effective, at)
	if err != nil {
		return nil, err
	}
	timing := cn.Timing
	if timing == "" {
		timing = TimingNow
	}
	return c.event(EventCancelled, at, actor, SubscriptionChange{Timing: timing})
}

// Activate ends a trial early: the first paid period starts at effective.
func (s *State) Activate(subID string, effective, at time.Time, actor string) ([]ledger.Event, error) {
	c, err := s.resolve("activate", subID, TimingNow, effective, at)
	if err != nil {
		return nil, err
	}
	if !c.eff.Before(c.sub.TrialEnd) {
		return nil, fmt.Errorf("%s: not in trial at %s (the trial ends %s): %w", c.op, fmtInstant(c.eff), fmtInstant(c.sub.TrialEnd), ErrConflict)
	}
	return c.event(EventActivated, at, actor, SubscriptionChange{})
}

// Billed records that an invoice covering the boundary was issued; invoiceID "" records a
// boundary that owed nothing (no document), which still closes it to backdated changes.
// Recording the same invoice again returns no event (a re-run); another invoice for a billed
// boundary is a conflict — it would be a duplicate invoice.
func (s *State) Billed(subID string, boundary time.Time, invoiceID string, at time.Time, actor string) ([]ledger.Event, error) {
	sub, ok := s.subs[subID]
	if !ok {
		return nil, fmt.Errorf("record billing of subscription %s: %w", subID, ErrNotFound)
	}
	b := boundary.UTC()
	op := fmt.Sprintf("record billing of subscription %s at %s", subID, fmtInstant(b))
	if inv, ok := sub.IsBilled(b); ok {
		if inv == invoiceID {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: already billed by invoice %q: %w", op, inv, ErrConflict)
	}
	if !s.isBoundary(sub, b) {
		return nil, fmt.Errorf("%s: not a billing boundary of the subscription: %w", op, ErrInvalid)
	}
	c := changeCtx{sub: sub, op: op, eff: b}
	return c.event(EventBilled, at, actor, SubscriptionChange{Boundary: instantPtr(b), Invoice: invoiceID})
}
