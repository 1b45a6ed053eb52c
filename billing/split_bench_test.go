package billing_test

import (
	"strconv"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/shopspring/decimal"
)

// BenchmarkSplit measures what the revenue split adds to issuing one invoice: a split of a
// typical invoice (fees re-priced with buy lists, a coupon spread) and its posting.
func BenchmarkSplit(b *testing.B) {
	cat := splitCatalog(b)
	for _, lines := range []int{4, 20} {
		b.Run("lines="+strconv.Itoa(lines), func(b *testing.B) {
			var ls []billing.Line
			for i := range lines - 1 {
				charge, qty, net := "base", int64(1), "31"
				if i%2 == 1 {
					charge, qty, net = "seat", 3, "30"
				}
				ls = append(ls, billing.Line{Kind: billing.LineRecurring, PlanID: "basic", PlanVersion: 1, ChargeID: charge,
					Quantity: decimal.NewFromInt(qty), Net: decimal.RequireFromString(net)})
			}
			ls = append(ls, billing.Line{Kind: billing.LineCoupon, Net: decimal.RequireFromString("-9.99")})
			in := billing.SplitInput{Invoice: handInvoice("EUR", ls...), Catalog: cat,
				Levels: splitChain(billing.Account{BuyPriceList: "res-buy"}, billing.Account{BuyPriceList: "dist-buy"})}
			b.ReportAllocs()
			for b.Loop() {
				sp, err := billing.Split(in)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := billing.SplitTransaction(sp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
