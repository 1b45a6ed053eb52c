package clickhouse_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/shopspring/decimal"
)

// BenchmarkPeriodUsage measures the invoice cycle's bulk read: one month of usage of 100,000
// accounts × 5 meters (500,000 rows, one subscription per account), read whole and with all
// 100,000 accounts in the filter (which splits into several queries). The rows go in through
// WriteUsage; the first answer is checked before timing.
//
//	go test -run '^$' -bench BenchmarkPeriodUsage -benchtime 5x -count 3 ./ledger/clickhouse/
func BenchmarkPeriodUsage(b *testing.B) {
	srv := clickhousetest.Start(b)
	const accounts, meters = 100_000, 5
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	period := ledger.Period{From: from, To: from.AddDate(0, 1, 0)}
	s := open(b, srv)
	ctx := context.Background()
	names := make([]string, accounts)
	rows := make([]ledger.Usage, 0, accounts*meters)
	for a := range names {
		names[a] = fmt.Sprintf("acct-%06d", a)
		for m := 0; m < meters; m++ {
			at := from.Add(time.Duration((a*meters+m)%(29*86400)) * time.Second)
			rows = append(rows, ledger.Usage{Source: "bench", EventID: fmt.Sprintf("%d-%d", a, m), Account: names[a],
				Subscription: "sub-" + names[a], Meter: fmt.Sprintf("meter-%d", m), Quantity: decimal.New(int64(a*7+m), -3),
				EventTime: at, IngestTime: at})
		}
	}
	start := time.Now()
	if err := s.WriteUsage(ctx, rows); err != nil {
		b.Fatalf("load: %v", err)
	}
	b.Logf("loaded %d rows in %s", len(rows), time.Since(start).Round(time.Millisecond))
	for _, tc := range []struct {
		name   string
		filter []string
	}{{"accounts=all", nil}, {"accounts=100000", names}} {
		b.Run(fmt.Sprintf("backend=server/rows=%d/%s", len(rows), tc.name), func(b *testing.B) {
			q := ledger.PeriodUsageQuery{Period: period, Accounts: tc.filter}
			got, err := s.PeriodUsage(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			if len(got) != len(rows) || got[0].Account != names[0] || !got[len(got)-1].Quantity.Equal(rows[len(rows)-1].Quantity) {
				b.Fatalf("answer has %d rows (want %d), first %+v", len(got), len(rows), got[0])
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.PeriodUsage(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/query")
		})
	}
}
