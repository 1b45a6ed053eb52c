package chdb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/chdb"
	"github.com/shopspring/decimal"
)

// BenchmarkPeriodUsage is ledger/clickhouse's benchmark of the same name on the embedded
// engine: one month of 100,000 accounts × 5 meters (500,000 usage rows), read whole and with all
// 100,000 accounts in the filter.
//
//	go test -run '^$' -bench BenchmarkPeriodUsage -benchtime 3x -count 3 ./ledger/chdb/
func BenchmarkPeriodUsage(b *testing.B) {
	const accounts, meters = 100_000, 5
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	period := ledger.Period{From: from, To: from.AddDate(0, 1, 0)}
	s := openFresh(b, func(c *chdb.Config) { c.NoFsync = true })
	defer s.Close()
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
		b.Run(fmt.Sprintf("backend=chdb/rows=%d/%s", len(rows), tc.name), func(b *testing.B) {
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
