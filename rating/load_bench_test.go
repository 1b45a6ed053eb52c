package rating_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// catGenerated builds a valid catalog with n plans of four tiered charges each.
func catGenerated(n int) []byte {
	var b strings.Builder
	b.WriteString(catHeader + "plans:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `  - id: plan-%d
    product: api
    currency: EUR
    discounts: [{ id: d, percent: 5 }]
    charges:
      - { id: base, type: recurring, model: flat, amount: 49.00 }
      - { id: seats, type: recurring, per_seat: true, model: per_unit, unit_price: 12.5 }
      - id: calls
        type: usage
        meter: calls
        allowance: 1000
        model: graduated
        tiers:
          - { up_to: 10000, unit_price: 0.002 }
          - { up_to: 100000, unit_price: 0.0015, flat_fee: 5 }
          - { unit_price: 0.001 }
      - id: gb
        type: usage
        meter: gb
        model: volume
        tiers:
          - { up_to: 1000, unit_price: 0.023 }
          - { unit_price: 0.021 }
`, i)
	}
	return []byte(b.String())
}

func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		data := catGenerated(n)
		b.Run(fmt.Sprintf("plans=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := rating.Load("bench.yaml", data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "plans/s")
		})
	}
}

func BenchmarkQuote(b *testing.B) {
	c := catExample(b)
	at := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	for _, coupon := range []string{"", "WELCOME10"} {
		in := rating.QuoteInput{PlanID: "api-pro", At: at, Seats: decimal.NewFromInt(4), Coupon: coupon,
			Usage: map[string]decimal.Decimal{"api_calls": decimal.NewFromInt(2_500_000), "payment_volume": decimal.NewFromInt(150_000)}}
		b.Run(fmt.Sprintf("coupon=%t", coupon != ""), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Quote(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "quotes/s")
		})
	}
}
