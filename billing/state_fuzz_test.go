package billing_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
)

// FuzzApply feeds Apply arbitrary payloads and types for the next seq of an existing
// subscription and a new one: it must never panic, and an event it refuses must change nothing.
func FuzzApply(f *testing.F) {
	l := stBusyWorld(f)
	for _, ev := range l.Events {
		f.Add(ev.Type, ev.Data, false)
	}
	f.Add("billed", []byte(`{"boundary":"2026-04-10T00:00:00Z","invoice":"X"}`), false)
	f.Add("created", []byte(`{"account":"C","plan_id":"basic","seats":"1","start":"2026-03-10T00:00:00Z","billing_period":{"every":0,"unit":"month"}}`), true)
	f.Fuzz(func(t *testing.T, typ string, data []byte, fresh bool) {
		l := stWorld(t)
		before := stSnapshot(l.State)
		ev := ledger.Event{Aggregate: "subscription:S1", Seq: 3, Type: typ, Data: data,
			At: billingtest.Day(2026, 3, 20), RecordedAt: billingtest.Day(2026, 3, 20)}
		if fresh {
			ev.Aggregate, ev.Seq = "subscription:NEW", 1
		}
		if err := l.Apply(ev); err != nil {
			if !reflect.DeepEqual(before, stSnapshot(l.State)) {
				t.Fatalf("refused event changed the state: %v", err)
			}
			return
		}
		// An accepted event leaves a state every query can still answer.
		for _, sub := range l.Subscriptions() {
			for _, b := range l.Due(sub, time.Time{}, billingtest.Day(2027, 1, 1)) {
				_, _, _ = l.Items(sub, b)
			}
		}
	})
}
