package billing_test

// Review findings on the invoice builder (discounts, coupon, commitment), each reproduced through
// the Service as the reviewer found it, plus Build-level cases for the inputs the cycle passes.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

const rbCatalog = `
vendors: [{id: v1, name: Vendor One}]
products: [{id: p1, vendor: v1, name: Product One}]
meters:
  - {id: calls, name: Calls, unit: call, aggregation: sum}
plans:
  - id: committed
    product: p1
    name: Committed
    currency: EUR
    billing_period: month
    minimum_commitment: 100
    charges:
      - {id: seat, type: recurring, per_seat: true, model: per_unit, unit_price: 10}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
  - id: fee20
    product: p1
    name: Fee20
    currency: EUR
    billing_period: month
    charges:
      - {id: base, type: recurring, model: flat, amount: 20}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
  - id: fee3
    product: p1
    name: Fee3
    currency: EUR
    billing_period: month
    charges:
      - {id: base, type: recurring, model: flat, amount: 3}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
  - id: calls-only
    product: p1
    name: Calls only
    currency: EUR
    billing_period: month
    charges:
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
  - id: disc
    product: p1
    name: Disc
    currency: EUR
    billing_period: month
    discounts:
      - { id: five-off-calls, charge: calls, amount: 5 }
    charges:
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
  - id: disc-mixed
    product: p1
    name: Disc mixed
    currency: EUR
    billing_period: month
    discounts:
      - { id: ten-pct-calls, charge: calls, percent: 10 }
      - { id: five-off-calls, charge: calls, amount: 5 }
    charges:
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
  - id: plan-off
    product: p1
    name: Plan off
    currency: EUR
    billing_period: month
    discounts:
      - { id: two-off, amount: 2 }
    charges:
      - {id: base, type: recurring, model: flat, amount: 20}
coupons:
  - {code: FIVE3, amount: 5, duration_periods: 3}
  - {code: HALF3, percent: 50, duration_periods: 3}
`

// rbWorld is a Service over the review catalog with a V → D → R → K channel.
type rbWorld struct {
	*svcWorld
}

func newRBWorld(t *testing.T) *rbWorld {
	t.Helper()
	w := &rbWorld{newCatalogWorld(t, "rb", rbCatalog)}
	w.do(
		svcAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "R", Kind: billing.KindReseller, Parent: "D", Name: "Reseller", Currency: "EUR", TaxJurisdiction: "FR"}),
		svcAccount(billing.Account{ID: "K", Kind: billing.KindCustomer, Parent: "R", Name: "Cust", Currency: "EUR", TaxJurisdiction: "FR"}),
	)
	return w
}

func (w *rbWorld) use(id, sub, qty string, at, ingested time.Time) {
	w.t.Helper()
	err := w.store.(ledger.Writer).WriteUsage(context.Background(), []ledger.Usage{{Source: "test", EventID: id, Subject: "K",
		Meter: "calls", Quantity: decimal.RequireFromString(qty), EventTime: at, IngestTime: ingested, Account: "K",
		Subscription: sub, PlanVersion: "x"}})
	if err != nil {
		w.t.Fatal(err)
	}
}

// lines lists K's invoice lines that pass keep, and their sum.
func (w *rbWorld) lines(keep func(billing.Line) bool) (out []string, sum decimal.Decimal) {
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Buyer: "K", Kind: billing.DocInvoice}) {
		for _, l := range inv.Lines {
			if keep(l) {
				out = append(out, fmt.Sprintf("%s %s %s%s %s [%s..%s)", inv.Number, l.Kind, l.ChargeID, l.Ref, l.Amount,
					l.Window.From.Format("01-02"), l.Window.To.Format("01-02")))
				sum = sum.Add(l.Amount)
			}
		}
	}
	return out, sum
}

func rbKind(k billing.LineKind) func(billing.Line) bool {
	return func(l billing.Line) bool { return l.Kind == k }
}

// A prorated seat change inside a committed period puts a prorated recurring item of that
// period on the closing invoice; it is not the period's in-advance fee, which must still count
// toward the minimum. November: 10 (in advance) − 5 (credit, 15/30 of 1 seat) + 10 (15/30 of
// 2 seats) = 15 → true-up 85.
func TestReviewCommitmentCountsAdvanceFeeDespiteProratedChange(t *testing.T) {
	w := newRBWorld(t)
	w.do(svcSubscribe(billing.NewSubscription{ID: "S", Account: "K", PlanID: "committed", Start: billingtest.Day(2026, 11, 1)}))
	w.run(billingtest.Day(2026, 11, 2))
	w.clock.Set(billingtest.Day(2026, 11, 16))
	w.do(func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.ChangeSeats(billing.SeatChange{Subscription: "S", Seats: dec("2"), Effective: billingtest.Day(2026, 11, 16), Prorate: true}, at, "t")
	})
	w.run(billingtest.Day(2026, 12, 2))
	got, sum := w.lines(rbKind(billing.LineCommitment))
	all, _ := w.lines(func(billing.Line) bool { return true })
	if !sum.Equal(dec("85")) {
		t.Errorf("true-up %s (%v), want 85.00\n%s", sum, got, strings.Join(all, "\n"))
	}
}

// Late usage on that period re-computes the true-up from what the period was charged, the
// prorated seat change included: 15 + 10 late calls = 25 → true-up 75, so the adjustment
// invoice bills 10 − 10 and November totals 100.
func TestReviewLateUsageCommitmentKeepsProratedChange(t *testing.T) {
	w := newRBWorld(t)
	w.do(svcSubscribe(billing.NewSubscription{ID: "S", Account: "K", PlanID: "committed", Start: billingtest.Day(2026, 11, 1)}))
	w.run(billingtest.Day(2026, 11, 2))
	w.clock.Set(billingtest.Day(2026, 11, 16))
	w.do(func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.ChangeSeats(billing.SeatChange{Subscription: "S", Seats: dec("2"), Effective: billingtest.Day(2026, 11, 16), Prorate: true}, at, "t")
	})
	w.run(billingtest.Day(2026, 12, 2))
	w.use("late", "S", "10", billingtest.Day(2026, 11, 20), billingtest.Day(2026, 12, 3))
	w.run(billingtest.Day(2027, 1, 2))
	nov := billing.Period{From: billingtest.Day(2026, 11, 1), To: billingtest.Day(2026, 12, 1)}
	got, sum := w.lines(func(l billing.Line) bool { return l.Window.To.Equal(nov.To) })
	if !sum.Equal(dec("100")) {
		t.Errorf("November billed %s, want the minimum 100.00:\n%s", sum, strings.Join(got, "\n"))
	}
}

// A fixed-amount coupon "5 off for 3 periods" is worth 15.00 over the subscription's life: each
// coupon period's amount is granted once, although the period's items are invoiced twice (its
// fee in advance, its usage in arrears). The fourth period gets no coupon line.
func TestReviewFixedCouponOncePerPeriod(t *testing.T) {
	cases := []struct {
		name, plan, coupon string
		want               string
	}{
		{"fee covers the amount", "fee20", "FIVE3", "-15"},
		// No fee: the coupon goes to each period's usage, on the invoice that closes it.
		{"usage only", "calls-only", "FIVE3", "-9"},
		// Percentages apply to every line of a coupon period: 3 × (20 + 3) × 50 %.
		{"percentage", "fee20", "HALF3", "-34.5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newRBWorld(t)
			w.do(svcSubscribe(billing.NewSubscription{ID: "S", Account: "K", PlanID: tc.plan, Coupon: tc.coupon, Start: billingtest.Day(2026, 10, 1)}))
			for i, m := range []time.Month{10, 11, 12} {
				w.use(fmt.Sprintf("u%d", i), "S", "3", billingtest.Day(2026, m, 10), billingtest.Day(2026, m, 10))
			}
			for _, at := range []time.Time{billingtest.Day(2026, 10, 2), billingtest.Day(2026, 11, 2), billingtest.Day(2026, 12, 2),
				billingtest.Day(2027, 1, 2), billingtest.Day(2027, 2, 2)} {
				w.run(at)
			}
			got, sum := w.lines(rbKind(billing.LineCoupon))
			if !sum.Equal(dec(tc.want)) {
				t.Errorf("coupon lines total %s, want %s: %v", sum, tc.want, got)
			}
			for _, l := range got {
				if strings.Contains(l, "[01-01..02-01)") {
					t.Errorf("the fourth period has a coupon line: %s", l)
				}
			}
		})
	}
}

// Late usage on a usage line whose fixed charge discount was not used up takes what is left of
// it: 3 calls − 3 (the 5.00 discount capped), then 10 late calls → October = 13 − 5 = 8.
func TestReviewLateUsageTakesRestOfFixedChargeDiscount(t *testing.T) {
	cases := []struct {
		plan, late, want string
	}{
		{"disc", "10", "8"},
		{"disc", "1", "0"}, // 4 calls, still under the discount
		// 3 − 0.30 (10 %) − 2.70 (fixed, capped) = 0; then 13 − 1.30 − 5 = 6.70.
		{"disc-mixed", "10", "6.7"},
	}
	for _, tc := range cases {
		t.Run(tc.plan+"+"+tc.late, func(t *testing.T) {
			w := newRBWorld(t)
			w.do(svcSubscribe(billing.NewSubscription{ID: "S", Account: "K", PlanID: tc.plan, Start: billingtest.Day(2026, 10, 1)}))
			w.use("e1", "S", "3", billingtest.Day(2026, 10, 5), billingtest.Day(2026, 10, 5))
			w.run(billingtest.Day(2026, 11, 2))
			w.use("late", "S", tc.late, billingtest.Day(2026, 10, 30), billingtest.Day(2026, 11, 3))
			w.run(billingtest.Day(2026, 12, 2))
			got, sum := w.lines(func(l billing.Line) bool {
				return l.Window.From.Equal(billingtest.Day(2026, 10, 1)) && l.Window.To.Equal(billingtest.Day(2026, 11, 1))
			})
			if !sum.Equal(dec(tc.want)) {
				t.Errorf("October billed %s, want %s: %v", sum, tc.want, got)
			}
		})
	}
}
