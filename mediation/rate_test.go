package mediation_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

var (
	novStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	novEnd   = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
)

func TestRate(t *testing.T) {
	cat := loadCatalog(t)
	pro := mediation.Enrichment{Subscription: "sub-1", PlanID: "pro", PlanVersion: 1, PeriodStart: novStart, PeriodEnd: novEnd}
	vip := pro
	vip.PriceList = "vip"
	teamA := mediation.Enrichment{Subscription: "sub-a", PricingGroup: "corp", PlanID: "team", PlanVersion: 1, PeriodStart: novStart, PeriodEnd: novEnd}
	teamB := teamA
	teamB.Subscription = "sub-b"
	type ev struct {
		e        mediation.Enrichment
		meter, q string
		amount   string // "" = no delta; "!" = rejected
	}
	tests := []struct {
		name   string
		events []ev
	}{
		{"graduated across allowance and tiers", []ev{
			{pro, "api_calls", "800", "0"},                       // inside the 1000 allowance
			{pro, "api_calls", "400", "0.4"},                     // 200 billable × 0.002
			{pro, "api_calls", "9900", "24.75"},                  // 9800 × 0.002 to 10000, then 100 × 0.0015 + 5 fee
			{pro, "api_calls", "0.000000001", "0.0000000000015"}, // finer than a Fixed: the exact decimal path
		}},
		{"count meter prices events, not quantities", []ev{
			{pro, "logins", "999", "0"}, // 1 login, within 50 free
		}},
		{"max meter adds only the rise", []ev{
			{pro, "peak_gb", "50", "2.5"},
			{pro, "peak_gb", "40", ""},     // not a new maximum
			{pro, "peak_gb", "150", "4.5"}, // volume: 150 × 0.04 + 1 − 2.5
		}},
		{"credits", []ev{
			{pro, "adjustments", "10", "10"},
			{pro, "adjustments", "-4", "-4"},
			{pro, "adjustments", "-7", "!"}, // would go below zero
			{pro, "adjustments", "-6", "-6"},
		}},
		{"unique_count is not rated per event", []ev{
			{pro, "users", "1", ""},
		}},
		{"price list override", []ev{
			{vip, "egress", "10", "0.5"},
		}},
		{"enterprise pool shares one total", []ev{
			{teamA, "api_calls", "80", "80"},
			{teamB, "api_calls", "40", "30"}, // 20 × 1 + 20 × 0.5: B starts where A left the pool
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mediation.NewRater(cat)
			totals := mediation.NewTotals()
			for i, e := range tt.events {
				q, err := mediation.ParseQuantity(e.q)
				if err != nil {
					t.Fatal(err)
				}
				rec := &mediation.Record{ID: "r", Source: "s", Type: e.meter, Subject: "x", Time: novStart.Add(time.Hour), Quantity: q}
				m, _ := cat.Meter(e.meter)
				enr := e.e
				deltas, err := r.Rate(nil, rec, mediation.UsageID("s", "r"), m, &enr, totals)
				switch {
				case e.amount == "!":
					var re *mediation.RecordError
					if !errors.As(err, &re) || re.Reason != mediation.ReasonNegativeTotal || len(deltas) != 0 {
						t.Fatalf("event %d: Rate = %v, %v; want a negative_total reject", i, deltas, err)
					}
				case err != nil:
					t.Fatalf("event %d: %v", i, err)
				case e.amount == "":
					if len(deltas) != 0 {
						t.Fatalf("event %d: deltas %v, want none", i, deltas)
					}
				default:
					if len(deltas) != 1 {
						t.Fatalf("event %d: %d deltas, want 1", i, len(deltas))
					}
					want := decimal.RequireFromString(e.amount)
					if !deltas[0].Amount.Decimal().Equal(want) {
						t.Errorf("event %d: amount %s, want %s", i, deltas[0].Amount, want)
					}
				}
			}
		})
	}
}

// TestRateFastMatchesDecimal: the int64 fast path and rating's decimal path agree exactly,
// for quantities that force either path (more than nine fractional digits take the decimal one).
func TestRateFastMatchesDecimal(t *testing.T) {
	cat := loadCatalog(t)
	p, _ := cat.PlanVersion("pro", 1)
	ch, _ := p.Charge("calls")
	e := mediation.Enrichment{Subscription: "s", PlanID: "pro", PlanVersion: 1, PeriodStart: novStart, PeriodEnd: novEnd}
	m, _ := cat.Meter("api_calls")
	r := mediation.NewRater(cat)
	totals := mediation.NewTotals()
	before := decimal.Zero
	for i, qs := range []string{"999.999999999", "0.0000000001", "5000.5", "1e4", "0.123456789", "88888.8888888888", "1"} {
		q, _ := mediation.ParseQuantity(qs)
		rec := &mediation.Record{ID: "r", Source: "s", Type: "api_calls", Time: novStart, Quantity: q}
		deltas, err := r.Rate(nil, rec, mediation.ID{}, m, &e, totals)
		if err != nil {
			t.Fatal(err)
		}
		want := ch.UsageDelta(rating.ChargeModel(p, ch, nil), before, q.Decimal())
		if !deltas[0].Amount.Decimal().Equal(want) {
			t.Errorf("event %d (%s): amount %s, rating says %s", i, qs, deltas[0].Amount, want)
		}
		before = before.Add(q.Decimal())
	}
}
