package rating_test

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

func catD(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestQuoteErrors(t *testing.T) {
	c := catExample(t)
	aug := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		in   rating.QuoteInput
		want error
	}{
		{"unknown plan", rating.QuoteInput{PlanID: "api-max"}, rating.ErrUnknownPlan},
		{"no version in force", rating.QuoteInput{PlanID: "api-pro", At: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}, rating.ErrNoPlanVersion},
		{"meter not in plan", rating.QuoteInput{PlanID: "api-pro", Usage: map[string]decimal.Decimal{"storage_gb": catD("1")}}, rating.ErrUnknownMeter},
		{"meter not in catalog", rating.QuoteInput{PlanID: "api-pro", Usage: map[string]decimal.Decimal{"nope": catD("1")}}, rating.ErrUnknownMeter},
		{"meter of v2 only at v1", rating.QuoteInput{PlanID: "api-pro", At: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Usage: map[string]decimal.Decimal{"payment_volume": catD("1")}}, rating.ErrUnknownMeter},
		{"negative usage", rating.QuoteInput{PlanID: "api-pro", Usage: map[string]decimal.Decimal{"api_calls": catD("-1")}}, rating.ErrBadQuantity},
		{"negative seats", rating.QuoteInput{PlanID: "api-pro", Seats: catD("-2")}, rating.ErrBadQuantity},
		{"unknown coupon", rating.QuoteInput{PlanID: "api-pro", Coupon: "FREE"}, rating.ErrUnknownCoupon},
		{"coupon of another plan", rating.QuoteInput{PlanID: "api-pro", Coupon: "JPLAUNCH"}, rating.ErrCouponNotApplicable},
		{"expired coupon", rating.QuoteInput{PlanID: "compute-jp", At: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Coupon: "JPLAUNCH"}, rating.ErrCouponExpired},
		{"coupon not yet valid", rating.QuoteInput{PlanID: "compute-jp", At: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Coupon: "JPLAUNCH"}, rating.ErrCouponNotYetValid},
		{"unknown price list", rating.QuoteInput{PlanID: "api-pro", At: aug, PriceList: "gold"}, rating.ErrUnknownPriceList},
		{"pool for unpooled charge", rating.QuoteInput{PlanID: "api-pro", Pools: map[string][]rating.PoolMember{"api_calls": {{ID: "a", Quantity: catD("1")}}}}, rating.ErrBadQuantity},
		{"usage and pool", rating.QuoteInput{PlanID: "compute-jp", Usage: map[string]decimal.Decimal{"compute_hours": catD("1")},
			Pools: map[string][]rating.PoolMember{"compute_hours": {{ID: "a", Quantity: catD("1")}}}}, rating.ErrBadQuantity},
		{"negative pool member", rating.QuoteInput{PlanID: "compute-jp", Pools: map[string][]rating.PoolMember{"compute_hours": {{ID: "a", Quantity: catD("-1")}}}}, rating.ErrBadQuantity},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := c.Quote(tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Quote error %v, want %v", err, tc.want)
			}
			if q != nil {
				t.Errorf("Quote returned a quote with an error")
			}
		})
	}
}

// TestQuoteInvariants prices random usage on every plan of the example, with and without
// price lists and coupons, and checks what must hold for any input: each charge line is its
// model's price rounded once, adjustments never add, the total is the sum of the lines and is
// never negative, and a commitment line tops the total up to exactly the minimum.
func TestQuoteInvariants(t *testing.T) {
	c := catExample(t)
	rng := rand.New(rand.NewPCG(1, 2))
	lists := []string{"", "eurodist", "resellers", "education"}
	coupons := []string{"", "WELCOME10", "JPLAUNCH"}
	for i := 0; i < 500; i++ {
		p := c.Plans[rng.IntN(len(c.Plans))]
		in := rating.QuoteInput{PlanID: p.ID, At: p.EffectiveFrom, Usage: map[string]decimal.Decimal{},
			PriceList: lists[rng.IntN(len(lists))], Seats: decimal.NewFromInt(rng.Int64N(5))}
		if cp := coupons[rng.IntN(len(coupons))]; cp == "" || c.Coupons[0].Code == cp || p.ID == "compute-jp" {
			in.Coupon = cp
		}
		if in.Coupon != "" {
			in.At = time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)
			if p.ID == "api-pro" {
				p, _ = c.PlanAt("api-pro", in.At)
			}
		}
		for _, ch := range p.Charges {
			if ch.Kind == rating.ChargeUsage {
				in.Usage[ch.Meter] = decimal.New(rng.Int64N(20_000_000), -int32(rng.IntN(4)))
			}
		}
		q, err := c.Quote(in)
		if err != nil {
			t.Fatalf("Quote(%+v): %v", in, err)
		}
		var pl *rating.PriceList
		if in.PriceList != "" {
			pl, _ = c.PriceList(in.PriceList)
		}
		sum := decimal.Zero
		for _, l := range q.Lines {
			sum = sum.Add(l.Amount)
			if !l.Amount.Equal(q.Currency.Round(l.Exact, q.Rounding)) {
				t.Errorf("line %+v: amount is not its exact amount rounded once", l)
			}
			switch l.Kind {
			case rating.LineDiscount, rating.LineCoupon:
				if l.Amount.IsPositive() {
					t.Errorf("adjustment %s adds %s", l.Ref, l.Amount)
				}
			case rating.LineRecurring, rating.LineOneTime, rating.LineUsage:
				ch, _ := p.Charge(l.ChargeID)
				if want := rating.ChargeModel(p, ch, pl).Price(l.Quantity); !l.Exact.Equal(want) {
					t.Errorf("charge %s exact %s, want model price %s", l.ChargeID, l.Exact, want)
				}
				if usage := in.Usage[ch.Meter]; ch.Kind == rating.ChargeUsage && !l.Quantity.Add(l.Allowance).Equal(usage) {
					t.Errorf("charge %s quantity %s + allowance %s != usage %s", l.ChargeID, l.Quantity, l.Allowance, usage)
				}
			case rating.LineCommitment:
				if !sum.Equal(q.Currency.Round(p.MinimumCommitment, q.Rounding)) {
					t.Errorf("after the commitment line the total is %s, want the minimum %s", sum, p.MinimumCommitment)
				}
			}
		}
		if !sum.Equal(q.Total) || q.Total.IsNegative() {
			t.Fatalf("total %s, lines sum to %s", q.Total, sum)
		}
		if !q.Total.Equal(q.Currency.Round(q.Total, rating.RoundDown)) {
			t.Errorf("total %s is not at the minor unit of %s", q.Total, q.Currency)
		}
	}
}

// TestQuoteQuantities: allowances never make a quantity negative, seats default to 1, absent
// usage prices as 0, and a price list changes only the charges it names.
func TestQuoteQuantities(t *testing.T) {
	c := catExample(t)
	aug := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	v2, _ := c.PlanAt("api-pro", aug)
	line := func(q *rating.Quote, id string) rating.QuoteLine {
		for _, l := range q.Lines {
			if l.ChargeID == id && l.Ref == "" {
				return l
			}
		}
		t.Fatalf("no line for charge %s", id)
		return rating.QuoteLine{}
	}
	cases := []struct {
		name      string
		in        rating.QuoteInput
		charge    string
		quantity  string
		allowance string
	}{
		{"allowance covers usage", rating.QuoteInput{Usage: map[string]decimal.Decimal{"api_calls": catD("40000")}}, "calls", "0", "40000"},
		{"allowance partly used", rating.QuoteInput{Usage: map[string]decimal.Decimal{"api_calls": catD("100000.5")}}, "calls", "0.5", "100000"},
		{"no usage given", rating.QuoteInput{}, "calls", "0", "0"},
		{"seats default to one", rating.QuoteInput{}, "seats", "1", "0"},
		{"seats", rating.QuoteInput{Seats: catD("7")}, "seats", "7", "0"},
		{"fractional seats", rating.QuoteInput{Seats: catD("2.5")}, "seats", "2.5", "0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.PlanID, tc.in.At = "api-pro", aug
			q, err := c.Quote(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			l := line(q, tc.charge)
			if !l.Quantity.Equal(catD(tc.quantity)) || !l.Allowance.Equal(catD(tc.allowance)) {
				t.Errorf("quantity %s allowance %s, want %s and %s", l.Quantity, l.Allowance, tc.quantity, tc.allowance)
			}
			ch, _ := v2.Charge(tc.charge)
			if !l.Exact.Equal(ch.Model.Price(l.Quantity)) {
				t.Errorf("exact %s, want the model's price of %s", l.Exact, l.Quantity)
			}
		})
	}
	plain, err := c.Quote(rating.QuoteInput{PlanID: "api-pro", At: aug, Seats: catD("4")})
	if err != nil {
		t.Fatal(err)
	}
	edu, err := c.Quote(rating.QuoteInput{PlanID: "api-pro", At: aug, Seats: catD("4"), PriceList: "education"})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := line(plain, "seats").Amount, line(edu, "seats").Amount; !b.LessThan(a) {
		t.Errorf("education seats %s not below list seats %s", b, a)
	}
	if a, b := line(plain, "platform").Amount, line(edu, "platform").Amount; !a.Equal(b) {
		t.Errorf("education changed platform: %s vs %s", b, a)
	}
}
