package billing_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// BenchmarkRunDunning measures the daily steady state: every invoice issued, none with a step
// due, and a tenth of the buyers suspended and still overdue (their logs are read, their
// balances asked for, nothing is written).
func BenchmarkRunDunning(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("invoices=%d", n), func(b *testing.B) {
			ctx := context.Background()
			clock := &svcClock{t: billingtest.Day(2026, 9, 30)}
			taxes, err := billing.LoadTaxRules("testdata/taxes.yaml")
			if err != nil {
				b.Fatal(err)
			}
			svc, err := billing.New(billing.Config{Store: ledgertest.NewMemStore(), Catalog: billingtest.Catalog(b), Taxes: taxes,
				CatalogVersion: "bench", Now: clock.Now})
			if err != nil || svc.Load(ctx) != nil {
				b.Fatal(err)
			}
			cmds := []billing.Command{
				svcAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"}),
				svcAccount(billing.Account{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist", Currency: "EUR", TaxJurisdiction: "DE"}),
				svcAccount(billing.Account{ID: "R", Kind: billing.KindReseller, Parent: "D", Name: "Reseller", Currency: "EUR", TaxJurisdiction: "FR"}),
			}
			for i := 1; i <= n; i++ {
				id := fmt.Sprintf("K%d", i)
				cmds = append(cmds, svcAccount(billing.Account{ID: id, Kind: billing.KindCustomer, Parent: "R", Name: id, Currency: "EUR",
					TaxJurisdiction: "FR", BillingDay: 1, PaymentTermsDays: 30}),
					svcSubscribe(billing.NewSubscription{ID: fmt.Sprintf("S%d", i), Account: id, PlanID: "basic", Start: billingtest.Day(2026, 10, 1)}))
			}
			if err := svc.Do(ctx, cmds...); err != nil {
				b.Fatal(err)
			}
			clock.Set(billingtest.Day(2026, 10, 1))
			if _, err := svc.RunCycle(ctx, billingtest.Day(2026, 10, 1)); err != nil {
				b.Fatal(err)
			}
			late := billing.DunningPolicy{Steps: billing.DefaultDunningSteps(), Accounts: map[string][]billing.DunningStep{}}
			for i := 1; i <= n; i++ {
				if i%10 != 0 {
					late.Accounts[fmt.Sprintf("K%d", i)] = nil // exempt
				}
			}
			at := billingtest.Day(2026, 11, 25) // past the +21 suspension
			clock.Set(at)
			if rep, err := svc.RunDunning(ctx, at, late); err != nil || rep.Suspensions != n/10 {
				b.Fatalf("set-up run: %d suspensions, %v", rep.Suspensions, err)
			}
			at = at.AddDate(0, 0, 1)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				rep, err := svc.RunDunning(ctx, at, late)
				if err != nil || len(rep.Records) != 0 {
					b.Fatalf("steady state recorded %d steps, %v", len(rep.Records), err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
		})
	}
}
