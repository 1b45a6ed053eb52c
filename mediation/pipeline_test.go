package mediation_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
)

func TestPipelineBatch(t *testing.T) {
	ledger := mediationtest.NewLedger()
	p, _ := newPipeline(t, ledger, ledger)
	ctx := context.Background()
	ts := "2026-11-24T11:00:00Z"
	batch := messages(0, 100,
		event("e1", "api_calls", "cust-a", ts, `{"quantity":600}`),
		event("e2", "api_calls", "cust-a", ts, `{"quantity":"900.5"}`),
		event("e1", "api_calls", "cust-a", "2026-11-24T11:30:00Z", `{"quantity":600}`), // duplicate, other time
		event("e3", "api_calls", "cust-zz", ts, `{"quantity":1}`),                      // unknown subject
		event("e4", "nope", "cust-a", ts, `{"quantity":1}`),                            // unknown meter
		[]byte(`garbage`),
		event("e5", "egress", "cust-b", ts, `{"quantity":2000000000,"attributes":{"vm":"i-9","debug":"1"}}`),
		event("e6", "adjustments", "cust-b", ts, `{"quantity":-1}`), // credit below zero
	)
	if err := p.Handle(ctx, batch); err != nil {
		t.Fatal(err)
	}
	s := p.Counters().Snapshot()
	if s.Consumed != 8 || s.Accepted != 3 || s.Duplicate != 1 || s.RejectedTotal() != 4 {
		t.Fatalf("counters = %+v", s)
	}
	for _, r := range []string{mediation.ReasonUnknownSubject, mediation.ReasonUnknownMeter, mediation.ReasonDecode, mediation.ReasonNegativeTotal} {
		if s.Rejected[r] != 1 {
			t.Errorf("rejected[%s] = %d, want 1", r, s.Rejected[r])
		}
	}
	// The rejects carry their original bytes and offsets.
	for _, r := range ledger.Rejected() {
		if len(r.Value) == 0 || r.Offset < 100 || r.Detail == "" {
			t.Errorf("reject lacks bytes, offset or detail: %+v", r)
		}
	}
	// 600 + 900.5 calls with an allowance of 1000: 500.5 billable at 0.002.
	var calls, egress string
	for _, d := range ledger.Deltas() {
		switch d.Charge {
		case "calls":
			if d.Amount.Sign() > 0 {
				calls = d.Amount.String()
			}
		case "egress":
			egress = d.Amount.String()
		}
	}
	if calls != "1.001" || egress != "0.18" {
		t.Errorf("calls delta %s, egress delta %s; want 1.001 and 0.18", calls, egress)
	}
	for _, u := range ledger.Usage() {
		if u.Type == "egress" {
			if u.Quantity.String() != "2" || len(u.Attrs) != 1 || u.Attrs[0] != (mediation.Attr{Key: "instance_id", Value: "i-9"}) {
				t.Errorf("egress row not normalized: %s %v", u.Quantity, u.Attrs)
			}
		}
	}
}

// TestPipelineRedelivery: a batch whose sink write failed leaves no state behind, so its
// redelivery produces the same rows with the same ids; a redelivery after success is all
// duplicates.
func TestPipelineRedelivery(t *testing.T) {
	ledger := mediationtest.NewLedger()
	p, _ := newPipeline(t, ledger, ledger)
	ctx := context.Background()
	ts := "2026-11-24T11:00:00Z"
	batch := messages(1, 0,
		event("r1", "api_calls", "cust-a", ts, `{"quantity":1500}`),
		event("r2", "api_calls", "cust-a", ts, `{"quantity":10}`),
	)
	ledger.FailNext(1)
	if err := p.Handle(ctx, batch); !errors.Is(err, mediationtest.ErrInjected) {
		t.Fatalf("Handle = %v, want the injected failure", err)
	}
	if s := p.Counters().Snapshot(); s.Consumed != 0 || s.Failed != 1 {
		t.Fatalf("a failed batch was counted: %+v", s)
	}
	if err := p.Handle(ctx, batch); err != nil {
		t.Fatal(err)
	}
	first := ledger.Deltas()
	if err := p.Handle(ctx, batch); err != nil {
		t.Fatal(err)
	}
	s := p.Counters().Snapshot()
	if s.Consumed != 4 || s.Accepted != 2 || s.Duplicate != 2 {
		t.Fatalf("counters = %+v", s)
	}
	if len(ledger.Usage()) != 2 || len(ledger.Deltas()) != len(first) {
		t.Fatalf("redelivery changed the ledger: %d usage rows, %d deltas (had %d)", len(ledger.Usage()), len(ledger.Deltas()), len(first))
	}
	// 1500 − 1000 allowance = 500 at 0.002, then 10 more at 0.002.
	total := mediation.Number{}
	for _, d := range first {
		if d.Charge == "calls" {
			total = total.Add(d.Amount)
		}
	}
	if total.String() != "1.02" {
		t.Errorf("calls deltas sum to %s, want 1.02", total)
	}
}

// TestPipelineRestart: a new pipeline assigned the same partitions rebuilds dedup ids and
// running totals from the ledger, so it continues exactly where the first stopped.
func TestPipelineRestart(t *testing.T) {
	ledger := mediationtest.NewLedger()
	ctx := context.Background()
	ts := "2026-11-24T11:00:00Z"
	p1, _ := newPipeline(t, ledger, ledger)
	if err := p1.Handle(ctx, messages(0, 0, event("s1", "api_calls", "cust-c", ts, `{"quantity":11500}`))); err != nil {
		t.Fatal(err)
	}
	p2, _ := newPipeline(t, ledger, ledger) // restart: state comes from the ledger
	if err := p2.Handle(ctx, messages(0, 0,
		event("s1", "api_calls", "cust-c", ts, `{"quantity":11500}`), // redelivered after the crash
		event("s2", "api_calls", "cust-c", ts, `{"quantity":100}`),
	)); err != nil {
		t.Fatal(err)
	}
	if s := p2.Counters().Snapshot(); s.Duplicate != 1 || s.Accepted != 1 {
		t.Fatalf("after restart: %+v", s)
	}
	for _, d := range ledger.Deltas() {
		// s2 starts in tier 2 (billable 11500 − 1000 > 10000): 100 × 0.0015, no flat fee again.
		if d.Charge == "calls" && d.Before.String() == "11500" && d.Amount.String() != "0.15" {
			t.Errorf("s2 delta = %s, want 0.15 (totals not reloaded?)", d.Amount)
		}
	}
}

func TestPipelineUnassigned(t *testing.T) {
	p, _ := newPipeline(t, &mediationtest.Discard{}, nil)
	err := p.Handle(context.Background(), messages(7, 0, []byte(`{}`)))
	if err == nil {
		t.Fatal("Handle of an unassigned partition succeeded")
	}
	mixed := append(messages(0, 0, []byte(`{}`)), messages(1, 0, []byte(`{}`))...)
	if err := p.Handle(context.Background(), mixed); err == nil {
		t.Fatal("Handle of a batch mixing partitions succeeded")
	}
	if err := p.Revoked(context.Background(), topic, []int{0}); err != nil {
		t.Fatal(err)
	}
	if err := p.Handle(context.Background(), messages(0, 0, []byte(`{}`))); err == nil {
		t.Fatal("Handle of a revoked partition succeeded")
	}
}

func TestConfigValidate(t *testing.T) {
	cat := loadCatalog(t)
	dir := mediationtest.NewDirectory()
	tests := []struct {
		name string
		cfg  mediation.Config
	}{
		{"no catalog", mediation.Config{Directory: dir, Sink: &mediationtest.Discard{}}},
		{"no directory", mediation.Config{Catalog: cat, Sink: &mediationtest.Discard{}}},
		{"no sink", mediation.Config{Catalog: cat, Directory: dir}},
		{"late window past dedup window", mediation.Config{Catalog: cat, Directory: dir, Sink: &mediationtest.Discard{},
			DedupWindow: 1e9 * 3600, LateWindow: 1e9 * 7200}},
	}
	for _, tt := range tests {
		if _, err := mediation.New(tt.cfg); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
}

// TestPipelineConcurrentPartitions handles two partitions from two goroutines at once, as the
// source does; run with -race it checks the shared parts (catalog, rater, counters) are safe.
func TestPipelineConcurrentPartitions(t *testing.T) {
	ledger := mediationtest.NewLedger()
	p, _ := newPipeline(t, ledger, ledger)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for part, subject := range []string{"cust-a", "cust-c"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < 20; b++ {
				var raws [][]byte
				for i := 0; i < 10; i++ {
					raws = append(raws, event(fmt.Sprintf("%s-%d-%d", subject, b, i), "api_calls", subject, "2026-11-24T11:00:00Z", `{"quantity":150}`))
				}
				if err := p.Handle(context.Background(), messages(part, int64(b*10), raws...)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if s := p.Counters().Snapshot(); s.Accepted != 400 || s.Consumed != 400 {
		t.Fatalf("counters = %+v, want 400 accepted", s)
	}
	checkDeltasMatchQuotes(t, loadCatalog(t), ledger)
}
