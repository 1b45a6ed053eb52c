package chdb_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/chdb"
	"github.com/shopspring/decimal"
)

func BenchmarkLedgerInsert(b *testing.B) {
	for _, bc := range []struct {
		fsync bool
		batch int
	}{{true, 10_000}, {true, 100_000}, {false, 100_000}} {
		fsync, batch := bc.fsync, bc.batch
		b.Run(fmt.Sprintf("backend=chdb/fsync=%t/batch=%d", fsync, batch), func(b *testing.B) {
			s := openFresh(b, func(c *chdb.Config) { c.NoFsync = !fsync })
			defer s.Close()
			rows := fixtureUsage(batch)
			for j := range rows {
				// Realistic magnitudes: the fixture's 31-digit quantities take the
				// encoder's big.Int path, which real meters rarely need.
				rows[j].Quantity = decimal.New(int64(j%100_000), -3)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// New identities each round, so the table grows like real ingestion.
				b.StopTimer()
				for j := range rows {
					rows[j].EventID = fmt.Sprintf("ev-%d-%d", i, j)
				}
				b.StartTimer()
				if err := s.WriteUsage(ctx, rows); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// consumption holds the 10M-row database, loaded once per test binary.
var consumption struct {
	once sync.Once
	s    *chdb.Store
	err  error
}

// The consumption benchmark's data and query match ledger/clickhouse's, so
// the two backends' figures compare: 10M events of 10k accounts over 91 days
// from September 2026, one account's October by day, meter and region.
const (
	consumptionRows     = 10_000_000
	consumptionAccounts = 10_000
	consumptionDays     = 91
)

func loadConsumption(b *testing.B) *chdb.Store {
	consumption.once.Do(func() {
		s := openFresh(b)
		start := time.Now()
		from := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
		if err := s.LoadSyntheticUsage(context.Background(), consumptionRows, consumptionAccounts, from, consumptionDays); err != nil {
			consumption.err = err
			return
		}
		b.Logf("loaded %d usage rows in %s", consumptionRows, time.Since(start).Round(time.Millisecond))
		consumption.s = s
	})
	if consumption.err != nil {
		b.Fatalf("load consumption data: %v", consumption.err)
	}
	return consumption.s
}

func BenchmarkLedgerConsumption(b *testing.B) {
	b.Run(fmt.Sprintf("backend=chdb/rows=%d", consumptionRows), func(b *testing.B) {
		s := loadConsumption(b)
		ctx := context.Background()
		q := ledger.ConsumptionQuery{Account: "acct-42", GroupBy: "region",
			Period: ledger.Period{From: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}}
		rows, err := s.Consumption(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		// 1000 events per account spread evenly over 91 days: October holds ~31/91.
		var events uint64
		for _, r := range rows {
			events += r.Events
		}
		if want := consumptionRows / consumptionAccounts * 31 / consumptionDays; events < uint64(want)*8/10 || events > uint64(want)*12/10 {
			b.Fatalf("consumption of %s found %d events in %d rows, want ~%d", q.Account, events, len(rows), want)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := s.Consumption(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/query")
	})
}
