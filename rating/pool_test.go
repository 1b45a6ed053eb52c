package rating_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// poolModel is a volume model with a tier above 1000 units that no single member of the tests
// reaches alone.
func poolModel(tb testing.TB, kind rating.ModelKind) rating.Model {
	return mustCompile(tb, rating.PriceSpec{Kind: kind, Tiers: tiersOf(
		[3]string{"1000", "0.10", "0"},
		[3]string{"", "0.07", "0"},
	)})
}

func TestPoolChargeReachesTierTogether(t *testing.T) {
	eur, _ := rating.LookupCurrency("EUR")
	m := poolModel(t, rating.ModelVolume)
	members := []rating.PoolMember{{ID: "c", Quantity: qty("400")}, {ID: "a", Quantity: qty("400")}, {ID: "b", Quantity: qty("400")}}
	res, err := rating.PoolCharge(m, members, eur, rating.RoundHalfUp)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Total.Equal(qty("1200")) || !res.Exact.Equal(qty("84")) || !res.Amount.Equal(qty("84")) {
		t.Fatalf("total %s exact %s amount %s, want 1200, 84, 84 (the 0.07 tier)", res.Total, res.Exact, res.Amount)
	}
	alone := m.Price(qty("400")).Mul(decimal.NewFromInt(3))
	if !alone.Equal(qty("120")) {
		t.Fatalf("members alone would pay %s, want 120", alone)
	}
	for i, want := range []string{"a", "b", "c"} {
		if res.Shares[i].ID != want || !res.Shares[i].Amount.Equal(qty("28")) {
			t.Fatalf("share %d = %+v, want %s paying 28", i, res.Shares[i], want)
		}
	}
}

func TestPoolChargeRoundsOnceAndSplitsExactly(t *testing.T) {
	eur, _ := rating.LookupCurrency("EUR")
	m := mustCompile(t, rating.PriceSpec{Kind: rating.ModelPerUnit, UnitPrice: qty("0.001")})
	members := []rating.PoolMember{{ID: "x", Quantity: qty("1")}, {ID: "y", Quantity: qty("1")}, {ID: "z", Quantity: qty("3")}}
	res, err := rating.PoolCharge(m, members, eur, rating.RoundHalfUp)
	if err != nil {
		t.Fatal(err)
	}
	// 5 units × 0.001 = 0.005 → 0.01 at the group line; rounding each member would give 0.00+0.00+0.00.
	if !res.Amount.Equal(qty("0.01")) {
		t.Fatalf("group amount %s, want 0.01", res.Amount)
	}
	want := []string{"0", "0", "0.01"}
	for i, s := range res.Shares {
		if !s.Amount.Equal(qty(want[i])) {
			t.Fatalf("shares %+v, want %v", res.Shares, want)
		}
	}
}

// TestPoolChargeOrderIndependent shuffles members (and the events that built their quantities)
// and checks that the result is identical and the shares sum to the group amount.
func TestPoolChargeOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	models := map[string]rating.Model{
		"volume":    poolModel(t, rating.ModelVolume),
		"graduated": poolModel(t, rating.ModelGraduated),
		"package":   mustCompile(t, rating.PriceSpec{Kind: rating.ModelPackage, UnitPrice: qty("9.99"), PackageSize: qty("250")}),
		"flat":      mustCompile(t, rating.PriceSpec{Kind: rating.ModelFlat, Amount: qty("100")}),
	}
	for name, m := range models {
		for _, code := range []string{"JPY", "EUR", "BHD"} {
			c, _ := rating.LookupCurrency(code)
			t.Run(name+"/"+code, func(t *testing.T) {
				for round := range 200 {
					n := 1 + rng.IntN(8)
					members := make([]rating.PoolMember, n)
					for i := range members {
						q := decimal.Zero
						for range 1 + rng.IntN(5) { // events in arrival order
							q = q.Add(decimal.New(rng.Int64N(500_000), -3))
						}
						members[i] = rating.PoolMember{ID: fmt.Sprintf("m%02d", i), Quantity: q}
					}
					base, err := rating.PoolCharge(m, members, c, rating.RoundHalfEven)
					if err != nil {
						t.Fatal(err)
					}
					sum := decimal.Zero
					for _, s := range base.Shares {
						sum = sum.Add(s.Amount)
					}
					if !sum.Equal(base.Amount) {
						t.Fatalf("round %d: shares sum %s, group amount %s", round, sum, base.Amount)
					}
					rng.Shuffle(n, func(i, j int) { members[i], members[j] = members[j], members[i] })
					again, err := rating.PoolCharge(m, members, c, rating.RoundHalfEven)
					if err != nil {
						t.Fatal(err)
					}
					if fmt.Sprint(again.Shares) != fmt.Sprint(base.Shares) || !again.Amount.Equal(base.Amount) {
						t.Fatalf("round %d: shuffled members changed the result:\n%v\n%v", round, base.Shares, again.Shares)
					}
				}
			})
		}
	}
}

func TestPoolChargeErrors(t *testing.T) {
	eur, _ := rating.LookupCurrency("EUR")
	m := poolModel(t, rating.ModelVolume)
	cases := []struct {
		name    string
		members []rating.PoolMember
	}{
		{"duplicate id", []rating.PoolMember{{ID: "a", Quantity: qty("1")}, {ID: "a", Quantity: qty("2")}}},
		{"negative quantity", []rating.PoolMember{{ID: "a", Quantity: qty("-1")}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := rating.PoolCharge(m, tc.members, eur, rating.RoundHalfUp); err == nil {
				t.Fatal("PoolCharge accepted the members")
			}
		})
	}
	if _, err := rating.PoolCharge(nil, nil, eur, rating.RoundHalfUp); err == nil {
		t.Fatal("PoolCharge accepted a nil model")
	}
}

func TestPoolChargeFlatWithoutUsageSplitsEqually(t *testing.T) {
	eur, _ := rating.LookupCurrency("EUR")
	m := mustCompile(t, rating.PriceSpec{Kind: rating.ModelFlat, Amount: qty("10")})
	members := []rating.PoolMember{{ID: "b", Quantity: decimal.Zero}, {ID: "a", Quantity: decimal.Zero}, {ID: "c", Quantity: decimal.Zero}}
	res, err := rating.PoolCharge(m, members, eur, rating.RoundHalfUp)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"3.34", "3.33", "3.33"}
	for i, s := range res.Shares {
		if !s.Amount.Equal(qty(want[i])) {
			t.Fatalf("shares %+v, want %v", res.Shares, want)
		}
	}
}
