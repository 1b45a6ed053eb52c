package billing_test

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// stBusyWorld runs a bit of every command, so replay has every event type to rebuild.
func stBusyWorld(t testing.TB) *billingtest.Log {
	day := billingtest.Day
	l := stWorld(t)
	l.Must(l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro", Prorate: true}, day(2026, 3, 25), "t"))
	l.Must(l.ChangeSeats(billing.SeatChange{Subscription: "S1", Seats: decimal.NewFromInt(4), Timing: billing.TimingPeriodEnd}, day(2026, 3, 26), "t"))
	l.Must(l.Suspend("S1", day(2026, 3, 27), day(2026, 3, 27), "dunning"))
	l.Must(l.Resume("S1", day(2026, 3, 29), day(2026, 3, 29), "dunning"))
	l.Must(l.Billed("S1", stApr10, "INV-2", stApr10, "cycle"))
	l.Must(l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "annual", Timing: billing.TimingPeriodEnd}, day(2026, 4, 20), "t"))
	l.Must(l.Activate("T1", day(2026, 3, 15), day(2026, 3, 15), "t"))
	l.Must(l.CreateSubscription(billing.NewSubscription{ID: "CP", Account: "K", PlanID: "quarterly", Coupon: "HALF", Start: stMar10, Term: billing.TermAnnual}, stMar10, "t"))
	l.Must(l.Cancel(billing.Cancellation{Subscription: "CP"}, day(2026, 5, 5), "t"))
	c, _ := l.Account("C")
	moved := *c
	moved.PaymentTermsDays = 14
	l.Must(l.UpdateAccount(moved, day(2026, 5, 1), "t"))
	return l
}

func TestReplayGivesTheSameState(t *testing.T) {
	l := stBusyWorld(t)
	// The ledger returns events sorted by (aggregate, seq), not in the order they were written.
	evs := append([]ledger.Event(nil), l.Events...)
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].Aggregate != evs[j].Aggregate {
			return evs[i].Aggregate < evs[j].Aggregate
		}
		return evs[i].Seq < evs[j].Seq
	})
	fresh := billing.NewState(billingtest.Catalog(t))
	billingtest.Apply(t, fresh, evs)
	if !reflect.DeepEqual(stSnapshot(l.State), stSnapshot(fresh)) {
		t.Fatalf("replayed state differs:\n%+v\nvs\n%+v", stSnapshot(l.State), stSnapshot(fresh))
	}
	until := billingtest.Day(2028, 1, 1)
	for _, sub := range l.Subscriptions() {
		again, _ := fresh.Subscription(sub.ID)
		due := l.Due(sub, sub.Start.AddDate(0, 0, -1), until)
		if !stEqualTimes(due, fresh.Due(again, sub.Start.AddDate(0, 0, -1), until)) || len(due) == 0 {
			t.Fatalf("%s: due differs after replay (%d boundaries)", sub.ID, len(due))
		}
		for _, b := range due {
			u1, i1, e1 := l.Items(sub, b)
			u2, i2, e2 := fresh.Items(again, b)
			if e1 != nil || e2 != nil || u1 != u2 || !reflect.DeepEqual(i1, i2) {
				t.Fatalf("%s at %s: items differ after replay (%v, %v)", sub.ID, b, e1, e2)
			}
		}
	}
	if l.Redemptions("HALF") != 1 || fresh.Redemptions("HALF") != 1 {
		t.Fatalf("coupon redemptions %d / %d, want 1", l.Redemptions("HALF"), fresh.Redemptions("HALF"))
	}
}

func TestApplyRejectsCorruptHistory(t *testing.T) {
	l := stBusyWorld(t)
	var stLast, acc ledger.Event
	for _, ev := range l.Events {
		if ev.Aggregate == "subscription:S1" {
			stLast = ev
		}
		if ev.Aggregate == "account:C" {
			acc = ev
		}
	}
	gap := stLast
	gap.Seq += 2
	unknown := stLast
	unknown.Seq++
	unknown.Type = "teleported"
	garbled := stLast
	garbled.Seq++
	garbled.Data = []byte("{not json")
	orphan := stLast
	orphan.Aggregate, orphan.Seq = "subscription:NEW", 2
	tests := []struct {
		name string
		ev   ledger.Event
		kind error
		says string
	}{
		{"a gap", gap, billing.ErrConflict, "subscription:S1: seq " + stItoa(gap.Seq) + ", want " + stItoa(stLast.Seq+1)},
		{"a repeat", stLast, billing.ErrConflict, "subscription:S1: seq " + stItoa(stLast.Seq)},
		{"an account repeat", acc, billing.ErrConflict, "account:C: seq " + stItoa(acc.Seq)},
		{"an unknown type", unknown, billing.ErrInvalid, "teleported"},
		{"a payload that does not decode", garbled, billing.ErrInvalid, "decode"},
		{"a change before created", orphan, billing.ErrConflict, "subscription:NEW: seq 2, want 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := stSnapshot(l.State)
			err := l.Apply(tt.ev)
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.kind, tt.says)
			}
			if !reflect.DeepEqual(before, stSnapshot(l.State)) {
				t.Fatal("a refused event changed the state")
			}
		})
	}
	if err := l.Apply(ledger.Event{Aggregate: "series:R:invoice", Seq: 9, Type: "number_assigned"}); err != nil {
		t.Fatalf("another aggregate's event: %v, want it ignored", err)
	}
}

func stItoa(n uint64) string { return decimal.NewFromUint64(n).String() }
