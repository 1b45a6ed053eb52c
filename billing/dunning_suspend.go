package billing

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// suspendable lists the buyer's subscriptions a suspension at t would stop: running (active or
// in trial) and with no suspension change after t. One already suspended — by an operator or
// by dunning of another invoice — is left alone, so resumption never undoes someone else's.
func suspendable(st *State, buyer string, t time.Time) []string {
	var out []string
	for _, sub := range st.AccountSubscriptions(buyer) {
		if s := sub.StatusAt(t); s != SubActive && s != SubTrialing {
			continue
		}
		if n := len(sub.suspension); n > 0 && sub.suspension[n-1].At.After(t) {
			continue
		}
		out = append(out, sub.ID)
	}
	return out
}

// suspend takes a suspension step. The subscriptions are planned under the state's lock, the
// notice and audit entries written, then one Service.Do unit suspends them and records the
// step in a single ledger write; if the state changed in between, the unit is refused and the
// next run plans again.
func (r *dunningRun) suspend(ctx context.Context, di dunningInvoice, st DunningStep) error {
	buyer := di.inv.Buyer.ID
	var plan []string
	if err := r.s.View(func(v *State) error { plan = suspendable(v, buyer, r.now); return nil }); err != nil {
		return err
	}
	d, err := di.data()
	if err != nil {
		return err
	}
	d.Step, d.Days, d.Subscriptions = st.Name, st.Days, plan
	note, err := renderNotification(NotifySuspension, "invoice:"+di.inv.ID, st.Name, di.buyer, d, r.now)
	if err != nil {
		return err
	}
	rec := DunningRecord{Type: EventSuspended, Step: st.Name, Action: st.Action, Days: st.Days,
		Scheduled: di.inv.DueAt.AddDate(0, 0, st.Days), Subscriptions: plan, Notification: note.ID}
	ev, err := r.event(di, &rec)
	if err != nil {
		return err
	}
	if err := r.prepare(ctx, note, r.auditStep(rec)); err != nil {
		return err
	}
	err = r.s.Do(ctx, func(v *State, at time.Time) ([]ledger.Event, error) {
		if got := suspendable(v, buyer, r.now); !slices.Equal(got, plan) {
			return nil, fmt.Errorf("suspend %s: subscriptions changed while planning (%v, now %v): %w", buyer, plan, got, ErrConflict)
		}
		var evs []ledger.Event
		for _, sub := range plan {
			e, err := v.Suspend(sub, r.now, at, r.actor)
			if err != nil {
				return nil, err
			}
			evs = append(evs, e...)
		}
		return append(evs, ev), nil
	})
	if err != nil {
		return err
	}
	r.done(rec)
	return nil
}

// resumeAll gives back what dunning suspended to every buyer who owes no overdue invoice any
// more. A subscription is resumed only while the suspension dunning made is still the last
// change (an operator who resumed and suspended it again keeps it suspended).
func (r *dunningRun) resumeAll(ctx context.Context, invs []dunningInvoice) {
	byID := map[string]*dunningInvoice{}
	for i := range invs {
		byID[invs[i].inv.ID] = &invs[i]
	}
	open := map[string][]string{} // buyer -> invoice ids with an open suspension
	for id, l := range r.logs {
		if di, ok := byID[id]; ok && len(l.open) > 0 {
			open[di.inv.Buyer.ID] = append(open[di.inv.Buyer.ID], id)
		}
	}
	for i := range invs {
		di := &invs[i]
		if _, ok := open[di.inv.Buyer.ID]; ok && di.inv.Status == StatusIssued && di.inv.Overdue(r.now) {
			if r.fill(di); di.owes() {
				delete(open, di.inv.Buyer.ID) // still overdue: the suspension stays
			}
		}
	}
	buyers := make([]string, 0, len(open))
	for b := range open {
		buyers = append(buyers, b)
	}
	sort.Strings(buyers)
	for _, b := range buyers {
		ids := open[b]
		sort.Strings(ids)
		if err := r.resume(ctx, byID, ids); err != nil {
			r.rep.Failed = append(r.rep.Failed, DunningFailure{Invoice: ids[0], Buyer: b, Err: fmt.Errorf("resume %s: %w", b, err)})
		}
	}
}

// resumable is the part of a log's open suspension that is still dunning's.
func resumable(v *State, l *dunningLog, now time.Time) []string {
	var out []string
	for _, id := range l.open {
		sub, ok := v.Subscription(id)
		if !ok || !sub.Suspended(l.openAt) {
			continue
		}
		if n := len(sub.suspension); n > 0 && sub.suspension[n-1].Suspended && sub.suspension[n-1].At.Equal(l.openAt) &&
			(sub.End.IsZero() || now.Before(sub.End)) {
			out = append(out, id)
		}
	}
	return out
}

// resume resumes one buyer's dunning suspensions and records "resumed" on each invoice that
// made one, in one Service.Do unit.
func (r *dunningRun) resume(ctx context.Context, byID map[string]*dunningInvoice, ids []string) error {
	plans := make([][]string, len(ids))
	if err := r.s.View(func(v *State) error {
		for i, id := range ids {
			plans[i] = resumable(v, r.logs[id], r.now)
		}
		return nil
	}); err != nil {
		return err
	}
	recs := make([]DunningRecord, len(ids))
	evs := make([]ledger.Event, len(ids))
	for i, id := range ids {
		recs[i] = DunningRecord{Type: EventResumed, Subscriptions: plans[i], Reason: "no overdue invoice left"}
		ev, err := r.event(*byID[id], &recs[i])
		if err != nil {
			return err
		}
		evs[i] = ev
		if err := r.prepare(ctx, nil, r.auditStep(recs[i])); err != nil {
			return err
		}
	}
	err := r.s.Do(ctx, func(v *State, at time.Time) ([]ledger.Event, error) {
		var out []ledger.Event
		for i, id := range ids {
			if got := resumable(v, r.logs[id], r.now); !slices.Equal(got, plans[i]) {
				return nil, fmt.Errorf("resume for invoice %s: subscriptions changed while planning: %w", id, ErrConflict)
			}
			for _, sub := range plans[i] {
				e, err := v.Resume(sub, r.now, at, r.actor)
				if err != nil {
					return nil, err
				}
				out = append(out, e...)
			}
		}
		return append(out, evs...), nil
	})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		r.done(rec)
	}
	return nil
}
