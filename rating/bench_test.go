package rating_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// benchEvent is one pre-computed (period total before, event quantity) pair.
type benchEvent struct {
	before, q   decimal.Decimal
	beforeF, qF rating.Fixed
}

// benchEvents cycles the running total through every tier of the benchmark models (0..5000), with
// fractional event quantities, so that deltas cross tier bounds as real traffic does.
func benchEvents(tb testing.TB) []benchEvent {
	events := make([]benchEvent, 1024)
	before := decimal.Zero
	limit := decimal.NewFromInt(5000)
	for i := range events {
		q := decimal.New(int64(1+(i*7919)%90_000), -3) // 0.001 .. 90.000
		if before.GreaterThan(limit) {
			before = decimal.Zero
		}
		bf, ok1 := rating.FixedFromDecimal(before)
		qf, ok2 := rating.FixedFromDecimal(q)
		if !ok1 || !ok2 {
			tb.Fatalf("bench event %s, %s does not convert", before, q)
		}
		events[i] = benchEvent{before: before, q: q, beforeF: bf, qF: qf}
		before = before.Add(q)
	}
	return events
}

// benchModels are the models of BenchmarkTierDelta; graduated is the 4-tier model the issue's
// throughput target (≥ 5,000,000 deltas/s on one core, 0 allocs) is about.
func benchModels(tb testing.TB) []struct {
	name string
	m    rating.Model
} {
	four := tiersOf(
		[3]string{"100", "0.10", "0"},
		[3]string{"1000", "0.08", "2.50"},
		[3]string{"2500", "0.0625", "5"},
		[3]string{"", "0.05", "0"},
	)
	return []struct {
		name string
		m    rating.Model
	}{
		{"graduated/tiers=4", mustCompile(tb, rating.PriceSpec{Kind: rating.ModelGraduated, Tiers: four})},
		{"volume/tiers=4", mustCompile(tb, rating.PriceSpec{Kind: rating.ModelVolume, Tiers: four})},
		{"percentage/tiers=2/minmax=true", mustCompile(tb, rating.PriceSpec{Kind: rating.ModelPercentage,
			Tiers: tiersOf([3]string{"1000", "2.9", "0"}, [3]string{"", "1.5", "0.30"}), MinFee: qtyPtr("0.25"), MaxFee: qtyPtr("50")})},
		{"package/free=100", mustCompile(tb, rating.PriceSpec{Kind: rating.ModelPackage, UnitPrice: qty("4.99"), PackageSize: qty("250"), FreeUnits: qty("100")})},
	}
}

// BenchmarkTierDelta measures one incremental delta per iteration, on the decimal path and on the
// Fixed fast path. The fast path fails the benchmark if it ever declines, so the figure is never
// a fallback's.
func BenchmarkTierDelta(b *testing.B) {
	events := benchEvents(b)
	for _, bm := range benchModels(b) {
		b.Run(fmt.Sprintf("model=%s/path=decimal", bm.name), func(b *testing.B) {
			b.ReportAllocs()
			sum := decimal.Zero
			for i := 0; b.Loop(); i++ {
				e := &events[i&1023]
				sum = sum.Add(bm.m.Delta(e.before, e.q))
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			if sum.IsNegative() && !strings.HasPrefix(bm.name, "volume") {
				b.Fatalf("sum of deltas %s is negative", sum)
			}
		})
		b.Run(fmt.Sprintf("model=%s/path=fixed", bm.name), func(b *testing.B) {
			fm, ok := bm.m.(rating.FastModel)
			if !ok {
				b.Fatalf("%s has no fast form", bm.name)
			}
			b.ReportAllocs()
			var sum rating.Fixed
			for i := 0; b.Loop(); i++ {
				e := &events[i&1023]
				d, ok := fm.DeltaFixed(e.beforeF, e.qF)
				if !ok {
					b.Fatalf("fast path declined (%s, %s)", e.beforeF, e.qF)
				}
				sum += d
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			if sum < 0 && !strings.HasPrefix(bm.name, "volume") {
				b.Fatalf("sum of deltas %s is negative", sum)
			}
		})
	}
}
