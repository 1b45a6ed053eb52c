package billing_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/shopspring/decimal"
)

// BenchmarkDueItems measures the cycle's per-subscription state work for a subscription of some
// age whose earlier boundaries are billed: list the boundaries due (from the start, or from
// BilledThrough as the cycle should), then the items of the one being billed.
func BenchmarkDueItems(b *testing.B) {
	for _, bc := range []struct {
		plan    string
		periods int
	}{{"basic", 1}, {"basic", 36}, {"daily", 1095}} {
		for _, from := range []string{"start", "billed_through"} {
			b.Run(fmt.Sprintf("plan=%s/periods=%d/from=%s", bc.plan, bc.periods, from), func(b *testing.B) {
				l := billingtest.NewLog(b, billingtest.Catalog(b))
				l.Channel(stT0)
				start := billingtest.Day(2026, 1, 10)
				l.Must(l.CreateSubscription(billing.NewSubscription{ID: "S", Account: "C", PlanID: bc.plan, Seats: decimal.NewFromInt(3), Start: start}, start, "t"))
				sub, _ := l.Subscription("S")
				asOf := billing.AddPeriods(start, sub.TermsAt(start).BillingPeriod, bc.periods)
				due := l.Due(sub, time.Time{}, asOf)
				for _, d := range due[:len(due)-1] {
					l.Must(l.Billed("S", d, "INV", d, "cycle"))
				}
				l.Must(l.ChangeSeats(billing.SeatChange{Subscription: "S", Seats: decimal.NewFromInt(5), Prorate: true}, asOf.Add(-time.Hour), "t"))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					after := time.Time{}
					if from == "billed_through" {
						after = sub.BilledThrough()
					}
					var last time.Time
					for _, d := range l.Due(sub, after, asOf) {
						if !l.IsBilled("S", d) {
							last = d
						}
					}
					if _, items, err := l.Items(sub, last); err != nil || len(items) == 0 {
						b.Fatal(err, len(items))
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "subscriptions/s")
			})
		}
	}
}
