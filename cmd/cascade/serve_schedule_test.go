package main

import (
	"context"
	"log/slog"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/cmd/cascade/internal/config"
)

// TestServeSchedulerRuns: a cycle and a dunning run are counted for /metrics, a dunning
// trigger while a run holds the guard is skipped, and a cycle issues what is due.
func TestServeSchedulerRuns(t *testing.T) {
	svc, clock := dirWorld(t)
	cfg := &config.Config{}
	cfg.Dunning.Steps = []config.DunningStep{{Name: "r", Days: 1, Action: "reminder"}}
	s := &server{svc: svc, cfg: cfg, now: clock.Now, log: slog.New(slog.DiscardHandler), stats: &serveStats{}}
	sc := &serveScheduler{s: s}
	ctx := context.Background()

	clock.Set(billingtest.Day(2026, 11, 2))
	if err := sc.runCycle(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	sc.runDunning(ctx)
	sc.dunMu.Lock() // a run in progress
	sc.runDunning(ctx)
	sc.dunMu.Unlock()

	st := s.stats
	if len(svc.Invoices(billing.InvoiceFilter{Buyer: "C"})) == 0 {
		t.Fatal("the cycle issued nothing")
	}
	checks := []struct {
		name      string
		got, want int64
	}{
		{"cycle runs", st.cycleRuns.Load(), 1},
		{"cycle failures", st.cycleFailures.Load(), 0},
		{"invoices issued", st.invoicesIssued.Load(), int64(len(svc.Invoices(billing.InvoiceFilter{Buyer: "C"})))},
		{"dunning runs (the second trigger skipped)", st.dunningRuns.Load(), 1},
		{"dunning failures", st.dunningFailures.Load(), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}
