package mediation_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
)

// TestOutOfBoundsIsRejectedNotRetried: a quantity with more fraction digits than the ledger
// stores is rejected with its bytes; it used to fail every write of its batch, so the partition
// never advanced. The rest of the batch is accepted.
func TestOutOfBoundsIsRejectedNotRetried(t *testing.T) {
	ledger := mediationtest.NewLedger()
	p, _ := newPipeline(t, ledger, ledger)
	ts := "2026-11-24T11:00:00Z"
	batch := messages(0, 0,
		event("e1", "api_calls", "cust-a", ts, `{"quantity":"0.0000000000001"}`),             // 13 fraction digits
		event("e2", "api_calls", "cust-a", ts, `{"quantity":"123456789012345678901234567"}`), // 27 integer digits
		event("e3", "api_calls", "cust-a", ts, `{"quantity":"0.000000000001"}`),              // 12: fits
		event("e4", "api_calls", "cust-a", ts, `{"quantity":1500}`),
		// unique_count meters get no per-event delta: only the usage row's check can catch this
		event("e5", "users", "cust-a", ts, `{"quantity":"1.0000000000001","attributes":{"user_id":"u1"}}`),
	)
	if err := p.Handle(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	s := p.Counters().Snapshot()
	if s.Accepted != 2 || s.Rejected[mediation.ReasonOutOfBounds] != 3 {
		t.Fatalf("counters = %+v, want 2 accepted and 3 out_of_bounds", s)
	}
	for _, r := range ledger.Rejected() {
		if !strings.Contains(r.Detail, "digits") || len(r.Value) == 0 {
			t.Errorf("reject %+v: want a detail naming the digits and the original bytes", r)
		}
	}
}

// TestOutOfBoundsAmountRollsBackTotals: with an amount scale of 2, a delta of 1.001 cannot be
// stored; the record is rejected and the running total is as if it never came, so the next
// record's delta is priced from the same total.
func TestOutOfBoundsAmountRollsBackTotals(t *testing.T) {
	run := func(bounds mediation.Bounds, raws ...[]byte) *mediationtest.Ledger {
		t.Helper()
		ledger := mediationtest.NewLedger()
		dir := mediationtest.NewDirectory()
		dir.Add("cust-a", mediation.Enrichment{Account: "acct-a", Subscription: "sub-a", PlanID: "pro", PlanVersion: 1})
		p, err := mediation.New(mediation.Config{Catalog: loadCatalog(t), Directory: dir, Sink: ledger, Bounds: bounds,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Assigned(context.Background(), topic, []int{0}); err != nil {
			t.Fatal(err)
		}
		if err := p.Handle(context.Background(), messages(0, 0, raws...)); err != nil {
			t.Fatal(err)
		}
		return ledger
	}
	ts := "2026-11-24T11:00:00Z"
	tight := mediation.Bounds{Precision: 38, QuantityScale: 12, AmountScale: 2}
	// 1000 calls are free; 1000.5 → 0.5 billable at 0.002 = 0.001: three fraction digits.
	// e3 then fills tier 1 exactly (billable 10000): had e2's 0.5 stayed in the running total,
	// e3 would enter tier 2 and carry its flat fee of 5.
	got := run(tight,
		event("e1", "api_calls", "cust-a", ts, `{"quantity":1000}`),
		event("e2", "api_calls", "cust-a", ts, `{"quantity":"0.5"}`),
		event("e3", "api_calls", "cust-a", ts, `{"quantity":10000}`))
	want := run(mediation.DefaultBounds,
		event("e1", "api_calls", "cust-a", ts, `{"quantity":1000}`),
		event("e3", "api_calls", "cust-a", ts, `{"quantity":10000}`))
	if n := len(got.Rejected()); n != 1 || got.Rejected()[0].Reason != mediation.ReasonOutOfBounds {
		t.Fatalf("rejected %+v, want e2 as out_of_bounds", got.Rejected())
	}
	amount := func(l *mediationtest.Ledger, id string) string {
		for _, d := range l.Deltas() {
			if d.UsageID == mediation.UsageID("acme-gw", id) {
				return d.Amount.String()
			}
		}
		return "missing"
	}
	if a, b := amount(got, "e3"), amount(want, "e3"); a != b {
		t.Errorf("e3's delta %s after the rejected e2, want %s as if e2 never came", a, b)
	}
}
