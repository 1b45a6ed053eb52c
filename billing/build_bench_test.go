package billing_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// BenchmarkBuild prices a typical invoice (graduated usage with a discount, two fees in
// advance, VAT) for 1 and 10 subscriptions; the invoice cycle calls Build once per buyer.
func BenchmarkBuild(b *testing.B) {
	f := newBuildFix(b)
	oct, nov := month(2026, time.October), month(2026, time.November)
	for _, subs := range []int{1, 10} {
		var items []billing.Item
		for s := 0; s < subs; s++ {
			id := fmt.Sprintf("S%03d", s)
			items = append(items,
				usage(id, "api-pro", oct, oct, true, map[string]string{"api_calls": "2345678"}),
				recurring(id, "api-pro", "platform", nov, nov, 0),
				recurring(id, "api-pro", "seats", nov, nov, 3))
		}
		in := f.input("acme", oct, items...)
		b.Run(fmt.Sprintf("subscriptions=%d", subs), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := billing.Build(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
		})
	}
}
