package rowbinary_test

import (
	"fmt"
	"testing"

	"github.com/cascade-billing/cascade/ledger/internal/rowbinary"
	"github.com/shopspring/decimal"
)

// BenchmarkDecimal128 compares the allocation-free path (<= 18 digits) with
// the big.Int path that wide quantities take.
func BenchmarkDecimal128(b *testing.B) {
	for _, in := range []string{"123.456", "7000000000000000001.000000000001"} {
		d := decimal.RequireFromString(in)
		b.Run(fmt.Sprintf("digits=%d", d.NumDigits()), func(b *testing.B) {
			var e rowbinary.Encoder
			b.ReportAllocs()
			for b.Loop() {
				e.Reset()
				if err := e.Decimal128(d, 12); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
