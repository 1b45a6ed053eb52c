package billing_test

import (
	"errors"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// TestPlanVersionsWithTheExampleCatalog uses examples/catalog.yaml, where api-pro version 1 is
// in force until 1 July 2026 and version 2 (with seats and an onboarding fee) after it.
func TestPlanVersionsWithTheExampleCatalog(t *testing.T) {
	day := billingtest.Day
	cat, err := rating.LoadFile("../examples/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	l := billingtest.NewLog(t, cat)
	l.Channel(stT0)
	l.Must(l.CreateAccount(billing.Account{ID: "JP", Kind: billing.KindCustomer, Parent: "R", Name: "Tokyo",
		Currency: "JPY", TaxJurisdiction: "JP", BillingDay: 1}, stT0, "t"))
	// Started on version 1 with its 14-day trial; kept on version 1 after version 2 comes out.
	l.Must(l.CreateSubscription(billing.NewSubscription{ID: "A", Account: "C", PlanID: "api-pro", Start: day(2026, 6, 10)}, day(2026, 6, 10), "t"))
	a, _ := l.Subscription("A")
	if tm := a.TermsAt(day(2026, 8, 1)); tm.PlanVersion != 1 || !a.TrialEnd.Equal(day(2026, 6, 24)) {
		t.Fatalf("terms in August %+v, trial end %s: want version 1 kept, trial to 24 June", tm, a.TrialEnd)
	}
	// Moving to the same plan id picks the version in force: a migration to version 2.
	l.Must(l.ChangePlan(billing.PlanChange{Subscription: "A", PlanID: "api-pro", Timing: billing.TimingPeriodEnd, Effective: day(2026, 7, 15)}, day(2026, 7, 15), "t"))
	if tm := a.TermsAt(day(2026, 8, 10)); tm.PlanVersion != 2 {
		t.Fatalf("terms after the migration %+v, want version 2", tm)
	}
	_, items, err := l.Items(a, day(2026, 8, 10))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, stLine(it))
	}
	want := []string{ // version 2's fees in advance; its onboarding fee is not billed on a plan change
		"usage api-pro/ [07-10,08-10) 0/0 x1 commitment",
		"recurring api-pro/platform [08-10,09-10) 31/31 x1",
		"recurring api-pro/seats [08-10,09-10) 31/31 x1",
	}
	if len(got) != len(want) {
		t.Fatalf("items %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("items %v, want %v", got, want)
		}
	}
	if items[0].PlanVersion != 1 || items[1].PlanVersion != 2 {
		t.Fatalf("usage billed under version %d, fee under %d; want 1 then 2", items[0].PlanVersion, items[1].PlanVersion)
	}
	// JPY buyer, EUR plan; JPY plan on calendar billing, with the JPLAUNCH coupon before it starts.
	if _, err := l.CreateSubscription(billing.NewSubscription{ID: "B", Account: "JP", PlanID: "api-pro", Start: day(2026, 6, 10)}, stT0, "t"); !errors.Is(err, billing.ErrCurrencyMismatch) {
		t.Fatalf("EUR plan for a JPY buyer: %v", err)
	}
	if _, err := l.CreateSubscription(billing.NewSubscription{ID: "B", Account: "JP", PlanID: "compute-jp", Coupon: "JPLAUNCH", Start: day(2026, 3, 1)}, stT0, "t"); !errors.Is(err, rating.ErrCouponNotYetValid) {
		t.Fatalf("coupon before its validity: %v", err)
	}
	l.Must(l.CreateSubscription(billing.NewSubscription{ID: "B", Account: "JP", PlanID: "compute-jp", Coupon: "JPLAUNCH", Seats: decimal.NewFromInt(1), Start: day(2026, 4, 20)}, stT0, "t"))
	b, _ := l.Subscription("B")
	_, items, err = l.Items(b, day(2026, 4, 20))
	if err != nil || len(items) != 1 || items[0].Days != 11 || items[0].PeriodDays != 30 || items[0].Coupon != "JPLAUNCH" || items[0].CouponPeriod != 0 {
		t.Fatalf("first JPY stub: %+v, %v; want support fee 11/30 days with the coupon's period 0", items, err)
	}
}
