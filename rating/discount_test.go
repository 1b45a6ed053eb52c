package rating_test

import (
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// TestDiscountFloors: discounts larger than what they discount stop at zero, at every step,
// and the lines still show what was taken.
func TestDiscountFloors(t *testing.T) {
	doc := catHeader + `plans:
  - id: basic
    product: api
    currency: EUR
    rounding: half_up
    discounts:
      - { id: huge-on-calls, charge: calls, amount: 1000 }
      - { id: double-pct, charge: calls, percent: 100 }
      - { id: plan-pct, percent: 60 }
      - { id: plan-pct2, percent: 60 }
      - { id: plan-fix, amount: 5000 }
    charges:
      - { id: base, type: recurring, model: flat, amount: 10.005 }
      - { id: calls, type: usage, meter: calls, model: per_unit, unit_price: 0.015 }
coupons:
  - { code: BIG, amount: 99 }
`
	c := catMustLoad(t, doc)
	q, err := c.Quote(rating.QuoteInput{PlanID: "basic", Usage: map[string]decimal.Decimal{"calls": catD("333")}, Coupon: "BIG"})
	if err != nil {
		t.Fatal(err)
	}
	byRef := map[string]rating.QuoteLine{}
	for _, l := range q.Lines {
		key := l.ChargeID
		if l.Ref != "" {
			key = l.Ref
		}
		byRef[key] = l
	}
	// calls: 333 × 0.015 = 4.995 → 5.00; 100 % of the exact amount is 4.995 → −5.00, leaving
	// nothing for the fixed 1 000.
	want := map[string]string{
		"base": "10.01", "calls": "5.00", "double-pct": "-5.00", "huge-on-calls": "0.00",
		// Plan percentages are of the same subtotal (10.01) and add up: 6.006 → −6.01, then
		// the second is capped at what is left, 4.00.
		"plan-pct": "-6.01", "plan-pct2": "-4.00", "plan-fix": "0.00", "BIG": "0.00",
	}
	for ref, amount := range want {
		if got := byRef[ref].Amount.StringFixed(2); got != amount {
			t.Errorf("%s: %s, want %s", ref, got, amount)
		}
	}
	if !q.Total.IsZero() {
		t.Errorf("total %s, want 0", q.Total)
	}
	order := []string{}
	for _, l := range q.Lines {
		order = append(order, string(l.Kind))
	}
	wantOrder := "recurring usage discount discount discount discount discount coupon"
	if got := strings.Join(order, " "); got != wantOrder {
		t.Errorf("line kinds %q, want %q", got, wantOrder)
	}
}
