package clickhouse_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
)

// BenchmarkLedgerInsert measures WriteUsage throughput: one call of batch rows per iteration,
// validation included. The same rows are written every iteration (a replay), which costs the
// server the same as new rows.
func BenchmarkLedgerInsert(b *testing.B) {
	srv := clickhousetest.Start(b)
	b.Run("backend=server", func(b *testing.B) {
		for _, batch := range []int{10_000, 100_000} {
			b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
				s := open(b, srv, func(c *clickhouse.Config) { c.BatchSize = batch })
				rows := faultRows("bench", batch)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := s.WriteUsage(ctx, rows); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	})
}

// BenchmarkLedgerConsumption measures the consumption query of one customer over one month
// (per day, meter and region) with 10M usage rows in the table, loaded once server-side.
func BenchmarkLedgerConsumption(b *testing.B) {
	srv := clickhousetest.Start(b)
	const rows, accounts = 10_000_000, 10_000
	from := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	s := open(b, srv)
	start := time.Now()
	if err := s.LoadSyntheticUsage(context.Background(), rows, accounts, from, 91); err != nil {
		b.Fatalf("load: %v", err)
	}
	b.Logf("loaded %d rows in %s", rows, time.Since(start).Round(time.Millisecond))
	q := ledger.ConsumptionQuery{Account: "acct-42", GroupBy: "region",
		Period: ledger.Period{From: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}}
	b.Run(fmt.Sprintf("backend=server/rows=%d", rows), func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			got, err := s.Consumption(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			if len(got) == 0 {
				b.Fatal("consumption returned no rows")
			}
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
	})
}
