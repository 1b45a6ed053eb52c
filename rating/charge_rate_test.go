package rating_test

import (
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/rating"
)

const usageDeltaCatalog = `
vendors: [{id: v, name: V}]
products: [{id: p, vendor: v, name: P}]
meters:
  - {id: calls, name: Calls, unit: call, aggregation: sum}
  - {id: gb, name: GB, unit: GB, aggregation: sum}
plans:
  - id: plan
    version: 1
    product: p
    name: Plan
    currency: EUR
    billing_period: month
    charges:
      - id: calls
        type: usage
        meter: calls
        allowance: 1000.5
        model: graduated
        tiers:
          - { up_to: 5000, unit_price: 0.002, flat_fee: 1 }
          - { up_to: 20000, unit_price: 0.0015, flat_fee: 7 }
          - { unit_price: 0.001 }
      - id: gb
        type: usage
        meter: gb
        allowance: 10
        model: volume
        tiers:
          - { up_to: 100, unit_price: 0.03 }
          - { unit_price: 0.02, flat_fee: 2 }
price_lists:
  - id: partner
    name: Partner
    channel: reseller
    entries:
      - plan: plan
        charge: calls
        model: package
        free_units: 300
        package_size: 1000
        unit_price: 0.75
`

// TestUsageDeltaSumsToQuote checks invariant 2 at the charge level: for random splits of a
// period's usage into events, the running deltas (allowance included, price list honoured)
// sum exactly to the quote's unrounded usage line.
func TestUsageDeltaSumsToQuote(t *testing.T) {
	cat, err := rating.Load("usage-delta.yaml", []byte(usageDeltaCatalog))
	if err != nil {
		t.Fatal(err)
	}
	plan, _ := cat.Plan("plan")
	partner, ok := cat.PriceList("partner")
	if !ok {
		t.Fatal("price list partner not loaded")
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for _, priceList := range []string{"", "partner"} {
		for iter := 0; iter < 400; iter++ {
			usage := map[string]decimal.Decimal{}
			sums := map[string]decimal.Decimal{}
			for _, ch := range plan.Charges {
				m := ch.Model
				if priceList != "" {
					m = rating.ChargeModel(plan, ch, partner)
				}
				total, sum := decimal.Zero, decimal.Zero
				for range 1 + rng.IntN(60) {
					// up to 3 decimals, sometimes whole, sometimes tiny
					q := decimal.New(rng.Int64N(2_000_000), -int32(rng.IntN(4)))
					sum = sum.Add(ch.UsageDelta(m, total, q))
					total = total.Add(q)
				}
				usage[ch.Meter], sums[ch.ID] = total, sum
			}
			quote, err := cat.Quote(rating.QuoteInput{PlanID: "plan", Usage: usage, PriceList: priceList})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range quote.Lines {
				if l.Kind != rating.LineUsage {
					continue
				}
				if !l.Exact.Equal(sums[l.ChargeID]) {
					t.Fatalf("price list %q, charge %s, usage %v: Σ deltas = %s, quote line exact = %s",
						priceList, l.ChargeID, usage, sums[l.ChargeID], l.Exact)
				}
			}
		}
	}
}

func TestUsageDeltaInsideAllowanceIsZero(t *testing.T) {
	cat, err := rating.Load("usage-delta.yaml", []byte(usageDeltaCatalog))
	if err != nil {
		t.Fatal(err)
	}
	plan, _ := cat.Plan("plan")
	ch, _ := plan.Charge("calls")
	d := decimal.RequireFromString
	if got := ch.UsageDelta(ch.Model, d("0"), d("1000.5")); !got.IsZero() {
		t.Errorf("event filling the allowance exactly: delta %s, want 0", got)
	}
	// 0.5 past the allowance enters tier 1: its flat fee plus 0.5 × 0.002.
	if got, want := ch.UsageDelta(ch.Model, d("1000.5"), d("0.5")), d("1.001"); !got.Equal(want) {
		t.Errorf("first billable half unit: delta %s, want %s", got, want)
	}
}
