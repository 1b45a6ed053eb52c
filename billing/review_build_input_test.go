package billing_test

// Build-level cases of the review findings on the invoice builder: the inputs the cycle passes
// (Item.Invoiced keys) and the policies documented in docs/billing.md, "Discounts, coupon,
// commitment".

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// rbBuild builds one EUR invoice of K at boundary over the review catalog.
func rbBuild(t *testing.T, boundary time.Time, items ...billing.Item) (*billing.Invoice, error) {
	t.Helper()
	cat, err := rating.Load("rb", []byte(rbCatalog))
	if err != nil {
		t.Fatal(err)
	}
	taxes, err := billing.LoadTaxRules("testdata/taxes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return billing.Build(billing.InvoiceInput{ID: "INV-K", Catalog: cat, Taxes: taxes, Boundary: boundary,
		Period: billing.Period{From: boundary.AddDate(0, -1, 0), To: boundary},
		Issuer: &billing.Account{ID: "R", Kind: billing.KindReseller, Name: "Reseller", Currency: "EUR", TaxJurisdiction: "FR"},
		Buyer:  &billing.Account{ID: "K", Kind: billing.KindCustomer, Name: "Cust", Currency: "EUR", TaxJurisdiction: "FR"},
		Items:  items})
}

// rbLines prints kind/ref:amount of every line.
func rbLines(inv *billing.Invoice) string {
	var out []string
	for _, l := range inv.Lines {
		out = append(out, string(l.Kind)+"/"+l.ChargeID+l.Ref+":"+l.Amount.StringFixed(2))
	}
	return strings.Join(out, " ")
}

// rbItem is an item of subscription S for October 2026, coupon FIVE3 period 0.
func rbItem(kind billing.ItemKind, plan, charge string, invoiced map[string]string, usage string) billing.Item {
	oct := month(2026, time.October)
	it := billing.Item{Subscription: "S", Kind: kind, PlanID: plan, PlanVersion: 1, ChargeID: charge, Window: oct, Period: oct,
		Coupon: "FIVE3", CouponAt: oct.From}
	if kind == billing.ItemRecurring {
		it.Days, it.PeriodDays = oct.Days(), oct.Days()
	}
	if usage != "" {
		it.Usage = map[string]decimal.Decimal{"calls": dec(usage)}
	}
	if invoiced != nil {
		it.Invoiced = map[string]decimal.Decimal{}
		for k, v := range invoiced {
			it.Invoiced[k] = dec(v)
		}
	}
	return it
}

// TestReviewBuildFixedCouponBudget: a fixed coupon's amount is one budget per coupon period,
// spent in invoice order. With Invoiced["coupon:<code>"] (what earlier invoices of the period
// took) the rest is exact; without it Build infers from the items whether the period's start
// invoice already carried it.
func TestReviewBuildFixedCouponBudget(t *testing.T) {
	cases := []struct {
		name  string
		at    time.Time
		items []billing.Item
		want  string
	}{
		{"advance fee takes what it can", day(2026, 10, 1),
			[]billing.Item{rbItem(billing.ItemRecurring, "fee3", "base", nil, "")},
			"recurring/base:3.00 coupon/FIVE3:-3.00"},
		{"usage takes the rest of the period's amount", day(2026, 11, 1),
			[]billing.Item{rbItem(billing.ItemUsage, "fee3", "", map[string]string{"coupon:FIVE3": "-3.00"}, "10")},
			"usage/calls:10.00 coupon/FIVE3:-2.00"},
		{"nothing left", day(2026, 11, 1),
			[]billing.Item{rbItem(billing.ItemUsage, "fee20", "", map[string]string{"coupon:FIVE3": "-5.00"}, "10")},
			"usage/calls:10.00"},
		{"a trial period: nothing taken yet", day(2026, 11, 1),
			[]billing.Item{rbItem(billing.ItemUsage, "fee20", "", map[string]string{"coupon:FIVE3": "0"}, "10")},
			"usage/calls:10.00 coupon/FIVE3:-5.00"},
		{"without the key, a fee plan's usage gets none", day(2026, 11, 1),
			[]billing.Item{rbItem(billing.ItemUsage, "fee20", "", nil, "10")},
			"usage/calls:10.00"},
		{"without the key, a usage-only plan's usage gets it", day(2026, 11, 1),
			[]billing.Item{rbItem(billing.ItemUsage, "calls-only", "", nil, "10")},
			"usage/calls:10.00 coupon/FIVE3:-5.00"},
		{"without the key, late usage gets none", day(2026, 12, 1),
			[]billing.Item{rbItem(billing.ItemUsageAdjustment, "calls-only", "", map[string]string{"calls": "3.00"}, "13")},
			"usage_adjustment/calls:10.00"},
		{"late usage takes the rest", day(2026, 12, 1),
			[]billing.Item{rbItem(billing.ItemUsageAdjustment, "calls-only", "", map[string]string{"calls": "3.00", "coupon:FIVE3": "-3.00"}, "13")},
			"usage_adjustment/calls:10.00 coupon/FIVE3:-2.00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := rbBuild(t, tc.at, tc.items...)
			if err != nil {
				t.Fatal(err)
			}
			if got := rbLines(inv); got != tc.want {
				t.Errorf("lines\n %s\nwant\n %s", got, tc.want)
			}
			checkInvoiceAddsUp(t, inv)
		})
	}
	for _, bad := range []billing.Item{
		rbItem(billing.ItemUsage, "fee20", "", map[string]string{"coupon:FIVE3": "1.00"}, "10"),
		rbItem(billing.ItemRecurring, "fee20", "base", map[string]string{"coupon:FIVE3": "-1.001"}, ""),
		rbItem(billing.ItemUsageAdjustment, "disc", "", map[string]string{"calls": "3.00", "discount:five-off-calls": "2.00"}, "13"),
	} {
		_, err := rbBuild(t, day(2026, 11, 1), bad)
		if !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), "invoiced[") {
			t.Errorf("%s item with invoiced %v: err %v, want ErrInvalid naming the key", bad.Kind, bad.Invoiced, err)
		}
	}
}

// TestReviewBuildLateFixedDiscount: a usage adjustment takes what its window's fixed charge
// discount has left, from Invoiced["discount:<id>"] when the cycle passes it, else re-derived
// from Invoiced[charge].
func TestReviewBuildLateFixedDiscount(t *testing.T) {
	adj := func(plan, qty string, invoiced map[string]string) billing.Item {
		it := rbItem(billing.ItemUsageAdjustment, plan, "", invoiced, qty)
		it.Coupon = ""
		return it
	}
	cases := []struct {
		name string
		item billing.Item
		want string
	}{
		{"re-derived: 3.00 taken of 5", adj("disc", "13", map[string]string{"calls": "3.00"}),
			"usage_adjustment/calls:10.00 discount/callsfive-off-calls:-2.00"},
		{"re-derived: used up before", adj("disc", "20", map[string]string{"calls": "8.00"}),
			"usage_adjustment/calls:12.00"},
		{"from the key", adj("disc", "13", map[string]string{"calls": "3.00", "discount:five-off-calls": "-1.00"}),
			"usage_adjustment/calls:10.00 discount/callsfive-off-calls:-4.00"},
		{"percentage of the adjustment, then the fixed rest", adj("disc-mixed", "13", map[string]string{"calls": "3.00"}),
			"usage_adjustment/calls:10.00 discount/callsten-pct-calls:-1.00 discount/callsfive-off-calls:-2.30"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := rbBuild(t, day(2026, 12, 1), tc.item)
			if err != nil {
				t.Fatal(err)
			}
			if got := rbLines(inv); got != tc.want {
				t.Errorf("lines\n %s\nwant\n %s", got, tc.want)
			}
			checkInvoiceAddsUp(t, inv)
		})
	}
}

// TestReviewBuildPlanDiscountPerSubscription: a plan-level discount is part of the plan's price,
// so each subscription of the plan gets it, whether or not it shares an invoice with another.
func TestReviewBuildPlanDiscountPerSubscription(t *testing.T) {
	a := rbItem(billing.ItemRecurring, "plan-off", "base", nil, "")
	a.Coupon = ""
	b := a
	b.Subscription = "T"
	for _, n := range []int{1, 2} {
		inv, err := rbBuild(t, day(2026, 10, 1), []billing.Item{a, b}[:n]...)
		if err != nil {
			t.Fatal(err)
		}
		off := decimal.Zero
		for _, l := range inv.Lines {
			if l.Kind == billing.LineDiscount {
				off = off.Add(l.Amount)
			}
		}
		if want := dec("-2").Mul(decimal.NewFromInt(int64(n))); !off.Equal(want) {
			t.Errorf("%d subscriptions of plan-off on one invoice: discount %s, want %s: %s", n, off, want, rbLines(inv))
		}
	}
}
