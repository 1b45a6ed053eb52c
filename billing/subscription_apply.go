package billing

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// applySubscription folds one event into its subscription. It trusts what commands validated
// (cross-references such as the account are not re-checked: on replay an account may sort
// after the subscriptions that reference it) but refuses anything that would corrupt the
// timeline: a wrong seq, an unknown type, a payload that does not decode.
func (s *State) applySubscription(id string, ev ledger.Event) error {
	sub := s.subs[id]
	next := uint64(1)
	if sub != nil {
		next = sub.seq + 1
	}
	if ev.Seq != next {
		return stateSeqError(ev, next)
	}
	var c SubscriptionChange
	if err := json.Unmarshal(ev.Data, &c); err != nil {
		return fmt.Errorf("apply %s: decode %s: %v: %w", ev.Key(), ev.Type, err, ErrInvalid)
	}
	at := ev.At.UTC()
	if ev.Type == EventCreated {
		if ev.Seq != 1 {
			return fmt.Errorf("apply %s: created at seq %d: %w", ev.Key(), ev.Seq, ErrInvalid)
		}
		created, err := subscriptionFromCreated(id, c)
		if err != nil {
			return fmt.Errorf("apply %s: %w", ev.Key(), err)
		}
		created.createdAt = ledger.TruncateTime(ev.RecordedAt)
		sub = created
	} else {
		if sub == nil {
			return fmt.Errorf("apply %s: %s before created: %w", ev.Key(), ev.Type, ErrInvalid)
		}
		if err := sub.fold(ev.Type, ev.Seq, at, c); err != nil {
			return fmt.Errorf("apply %s: %w", ev.Key(), err)
		}
	}
	sub.seq = ev.Seq
	sub.history = append(sub.history, SubscriptionEvent{Seq: ev.Seq, Type: ev.Type, At: at,
		RecordedAt: ev.RecordedAt.UTC(), Actor: ev.Actor, Change: c})
	if ev.Type == EventCreated {
		s.subs[id] = sub
		s.subsOf[sub.Account] = s.insertByCreation(s.subsOf[sub.Account], sub)
		if sub.Coupon != "" {
			s.redemptions[sub.Coupon]++
		}
	}
	return nil
}

// insertByCreation inserts sub into an account's subscription ids, kept in creation order:
// by the created event's recording time as the ledger stores it (to the second, so a live state
// and one replayed from the log agree), then by id. Replay applies aggregates in id order, not
// in the order they were written, so appending would make "the earliest created" mean "the
// lowest id" after a restart and change which subscription takes usage.
func (s *State) insertByCreation(ids []string, sub *Subscription) []string {
	i := sort.Search(len(ids), func(i int) bool {
		o := s.subs[ids[i]]
		if c := o.createdAt.Compare(sub.createdAt); c != 0 {
			return c > 0
		}
		return o.ID > sub.ID
	})
	return slices.Insert(ids, i, sub.ID)
}

func subscriptionFromCreated(id string, c SubscriptionChange) (*Subscription, error) {
	start := instantOf(c.Start)
	bp := c.BillingPeriod.billingPeriod()
	if start.IsZero() || c.Account == "" || c.PlanID == "" || c.Seats == nil {
		return nil, fmt.Errorf("created: account, plan_id, seats and start are required: %w", ErrInvalid)
	}
	if err := validBillingPeriod(bp); err != nil {
		return nil, fmt.Errorf("created: %w", err)
	}
	terms := Terms{PlanID: c.PlanID, PlanVersion: c.PlanVersion, BillingPeriod: bp, Seats: *c.Seats}
	sub := &Subscription{ID: id, Account: c.Account, Start: start, TrialEnd: instantOf(c.TrialEnd), Term: c.Term,
		AutoRenew: c.AutoRenew, BillingDay: c.BillingDay, Coupon: c.Coupon, PlanID: c.PlanID,
		PlanVersion: c.PlanVersion, Seats: *c.Seats, End: instantOf(c.End), plannedEnd: instantOf(c.End),
		changes: []termChange{{At: start, Seq: 1, Plan: true, Delta: terms, Terms: terms}},
		grids:   []grid{newGrid(start, bp, c.BillingDay)}, billed: map[int64]string{}}
	if sub.TrialEnd.IsZero() {
		sub.TrialEnd = start
	}
	if c.Coupon != "" {
		sub.CouponAt = start
	}
	return sub, nil
}

// fold applies one non-creating event to the subscription.
func (sub *Subscription) fold(typ string, seq uint64, at time.Time, c SubscriptionChange) error {
	switch typ {
	case EventPlanChanged:
		bp := c.BillingPeriod.billingPeriod()
		if c.PlanID == "" || validBillingPeriod(bp) != nil {
			return fmt.Errorf("plan_changed: plan_id and billing_period are required: %w", ErrInvalid)
		}
		if g := sub.gridAt(at); g.Every != bp {
			sub.grids = append(sub.grids, grid{From: at, Anchor: at, Every: bp})
			sort.SliceStable(sub.grids, func(i, j int) bool { return sub.grids[i].From.Before(sub.grids[j].From) })
		}
		sub.addChange(termChange{At: at, Seq: seq, Plan: true, Prorate: c.Prorate, Now: c.Timing != TimingPeriodEnd,
			Delta: Terms{PlanID: c.PlanID, PlanVersion: c.PlanVersion, BillingPeriod: bp}})
	case EventSeatsChanged:
		if c.Seats == nil {
			return fmt.Errorf("seats_changed: seats is required: %w", ErrInvalid)
		}
		sub.addChange(termChange{At: at, Seq: seq, Prorate: c.Prorate, Now: c.Timing != TimingPeriodEnd,
			Delta: Terms{Seats: *c.Seats}})
	case EventSuspended, EventResumed:
		sub.suspension = append(sub.suspension, suspendMark{At: at, Seq: seq, Suspended: typ == EventSuspended})
		sort.SliceStable(sub.suspension, func(i, j int) bool { return sub.suspension[i].At.Before(sub.suspension[j].At) })
	case EventCancelled:
		sub.End, sub.Cancelled = at, true
		if c.Timing == TimingPeriodEnd {
			sub.plannedEnd = at
		} else {
			sub.cancelNow = true
		}
	case EventActivated:
		sub.TrialEnd = at
	case EventBilled:
		b := instantOf(c.Boundary)
		if b.IsZero() {
			return fmt.Errorf("billed: boundary is required: %w", ErrInvalid)
		}
		sub.billed[b.UnixNano()] = c.Invoice
		if b.After(sub.LastBilled) {
			sub.LastBilled = b
		}
		sub.advanceBilledThrough()
	default:
		return fmt.Errorf("unknown subscription event type %q: %w", typ, ErrInvalid)
	}
	return nil
}

// addChange inserts a change in (At, Seq) order and recomputes the cumulative terms, since a
// change dated before a scheduled one changes what the scheduled one leads to.
func (sub *Subscription) addChange(ch termChange) {
	sub.changes = append(sub.changes, ch)
	sort.SliceStable(sub.changes, func(i, j int) bool { return sub.changes[i].At.Before(sub.changes[j].At) })
	cur := sub.changes[0].Terms
	for i := 1; i < len(sub.changes); i++ {
		d := sub.changes[i].Delta
		if sub.changes[i].Plan {
			cur.PlanID, cur.PlanVersion, cur.BillingPeriod = d.PlanID, d.PlanVersion, d.BillingPeriod
		} else {
			cur.Seats = d.Seats
		}
		sub.changes[i].Terms = cur
	}
	last := sub.changes[len(sub.changes)-1].Terms
	sub.PlanID, sub.PlanVersion, sub.Seats = last.PlanID, last.PlanVersion, last.Seats
}

// normSeats turns a command's seat count into the stored one: zero means 1, and only whole,
// positive counts are accepted.
func normSeats(d decimal.Decimal) (decimal.Decimal, error) {
	if d.IsZero() {
		return decimal.NewFromInt(1), nil
	}
	if d.IsNegative() || !d.Equal(d.Truncate(0)) {
		return decimal.Decimal{}, fmt.Errorf("seats %s: want a whole number of 1 or more: %w", d, ErrInvalid)
	}
	return d.Truncate(0), nil
}

// advanceBilledThrough moves billedThrough over every boundary billed without a gap. Changes
// only add or move boundaries after the last billed one, so a boundary at or before
// billedThrough never becomes unbilled.
func (sub *Subscription) advanceBilledThrough() {
	for {
		next, ok := sub.nextDue(sub.billedThrough)
		if !ok {
			return
		}
		if _, billed := sub.billed[next.UnixNano()]; !billed {
			return
		}
		sub.billedThrough = next
	}
}

// nextDue returns the first due boundary after t, looking ahead in growing windows (a daily
// plan finds it in a day, a plan billed every few years in a few steps).
func (sub *Subscription) nextDue(t time.Time) (time.Time, bool) {
	start := t
	if start.Before(sub.Start) {
		start = sub.Start.Add(-time.Nanosecond)
	}
	for _, days := range []int{2, 40, 400, 4000, 40000} {
		if due := sub.due(start, start.AddDate(0, 0, days)); len(due) > 0 {
			return due[0], true
		}
	}
	return time.Time{}, false
}
