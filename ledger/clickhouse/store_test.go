package clickhouse_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

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
