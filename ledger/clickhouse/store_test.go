package clickhouse_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// dbSeq gives every store in a test binary its own database on the shared server.
var dbSeq atomic.Int64

// open returns a store on a fresh database of srv.
func open(t testing.TB, srv *clickhousetest.Server, mutate ...func(*clickhouse.Config)) *clickhouse.Store {
	t.Helper()
	cfg := clickhouse.Config{Addr: srv.Addr, Database: fmt.Sprintf("ledger_test_%d", dbSeq.Add(1))}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := clickhouse.New(cfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	srv := clickhousetest.Start(t)
	ledgertest.RunConformance(t, func(t *testing.T) ledger.Store { return open(t, srv) })
}

func TestUsageBatcherFlushesToServer(t *testing.T) {
	srv := clickhousetest.Start(t)
	s := open(t, srv, func(c *clickhouse.Config) { c.BatchSize = 1000; c.MaxPendingBatches = 2 })
	b, err := s.UsageBatcher()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rows := faultRows("batcher", 5500)
	for i := 0; i < len(rows); i += 700 {
		if err := b.Add(ctx, rows[i:min(i+700, len(rows))]...); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	oracle := ledgertest.NewMemStore()
	if err := oracle.WriteUsage(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if got, want := answers(t, s), answers(t, oracle); got != want {
		t.Errorf("after Close the server holds:\n%.300s\nwant:\n%.300s", got, want)
	}
}

// TestSyntheticUsageLoads generates a few synthetic rows on a ledger with every migration
// applied (the generator names the columns it fills; the later rated_* ones stay empty) and
// reads them back: benchmarks rely on it.
func TestSyntheticUsageLoads(t *testing.T) {
	srv := clickhousetest.Start(t)
	s := open(t, srv)
	ctx := context.Background()
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if err := s.LoadSyntheticUsage(ctx, 1000, 10, from, 1); err != nil {
		t.Fatal(err)
	}
	q := ledger.UsageQuery{Account: "acct-3", Period: ledger.Period{From: from, To: from.AddDate(0, 0, 1)}}
	got, err := s.UsageTotals(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	events := uint64(0)
	for _, g := range got {
		events += g.Events
	}
	if events != 100 {
		t.Errorf("acct-3 holds %d synthetic events (%+v), want 100 of 1000 over 10 accounts", events, got)
	}
	if rated, err := s.RatedTotals(ctx, q); err != nil || len(rated) != 0 {
		t.Errorf("synthetic rows carry no rated deltas: got %+v, %v", rated, err)
	}
}
