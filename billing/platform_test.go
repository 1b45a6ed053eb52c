package billing_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/shopspring/decimal"
)

func TestPlatformFee(t *testing.T) {
	ctx := context.Background()
	for _, percent := range []string{"5", "12.5", "0"} {
		t.Run(percent+"%", func(t *testing.T) {
			pct := decimal.RequireFromString(percent)
			w := poolWorld(t, ledgertest.NewMemStore(), func(c *billing.Config) {
				c.PlatformFee = &billing.PlatformFee{Account: "MKT", Percent: pct}
			})
			runWholesale(t, w)
			fees := decimal.Zero
			for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}) {
				if inv.Buyer.Kind != billing.KindCustomer {
					continue
				}
				sp, err := w.svc.Split(inv.ID)
				if err != nil || sp == nil {
					t.Fatalf("split of %s: %v %v", inv.Number, sp, err)
				}
				if last := sp.Levels[len(sp.Levels)-1]; last.ID != "MKT" {
					t.Fatalf("%s: last level %s, want the platform MKT", inv.Number, last.ID)
				}
				for _, l := range sp.Lines {
					fee := l.Shares[len(l.Shares)-1].Margin
					exact := l.Net.Mul(pct).Div(decimal.NewFromInt(100))
					if fee.Sub(exact).Abs().GreaterThan(decimal.RequireFromString("0.005")) {
						t.Errorf("%s line %d: fee %s on net %s, want %s %% of it (%s) to the cent", inv.Number, l.No, fee, l.Net, pct, exact)
					}
					sum := decimal.Zero
					for _, sh := range l.Shares {
						sum = sum.Add(sh.Margin)
					}
					if !sum.Equal(l.Net) {
						t.Errorf("%s line %d: shares sum to %s, net %s", inv.Number, l.No, sum, l.Net)
					}
					fees = fees.Add(fee)
				}
			}
			// The platform's revenue is the fees, paid by the vendor (the level that keeps the rest).
			mkt, v := journalTotals(t, w.store, "vendor:MKT"), journalTotals(t, w.store, "vendor:V")
			if !mkt[billing.RoleRevenue].Neg().Equal(fees) || !v[billing.RoleCostOfSales].Equal(fees) {
				t.Errorf("platform revenue %s, vendor cost %s, Σ fees %s", mkt[billing.RoleRevenue].Neg(), v[billing.RoleCostOfSales], fees)
			}
			if pct.IsPositive() && !fees.IsPositive() {
				t.Error("no fee was taken")
			}
			all, err := w.store.(ledger.Reader).Balances(ctx, ledger.BalanceQuery{AsOf: billingtest.Day(2030, 1, 1)})
			if err != nil {
				t.Fatal(err)
			}
			sum := decimal.Zero
			for _, b := range all {
				sum = sum.Add(b.Amount)
			}
			if !sum.IsZero() {
				t.Errorf("journal sums to %s", sum)
			}
		})
	}
}

func TestPlatformFeeMisconfigured(t *testing.T) {
	for _, tc := range []struct {
		name string
		fee  billing.PlatformFee
		want error
	}{
		{"unknown account", billing.PlatformFee{Account: "NOPE", Percent: decimal.NewFromInt(5)}, billing.ErrNotFound},
		{"customer account", billing.PlatformFee{Account: "K1", Percent: decimal.NewFromInt(5)}, billing.ErrInvalid},
		{"over 100 %", billing.PlatformFee{Account: "MKT", Percent: decimal.NewFromInt(101)}, billing.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := poolWorld(t, ledgertest.NewMemStore(), nil)
			fee := tc.fee
			w.svc = openConfigured(w, func(c *billing.Config) { c.PlatformFee = &fee })
			inv := invoiceOf(t, w.svc, "K1", billingtest.Day(2026, 11, 2))
			if _, err := w.svc.Split(inv.ID); !errors.Is(err, tc.want) {
				t.Errorf("Split = %v, want %v", err, tc.want)
			}
		})
	}
}
