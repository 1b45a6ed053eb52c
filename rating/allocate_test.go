package rating_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

func TestAllocate(t *testing.T) {
	cases := []struct {
		name     string
		currency string
		total    string
		weights  []string
		want     []string
	}{
		{"even split", "EUR", "9.00", []string{"1", "1", "1"}, []string{"3", "3", "3"}},
		{"ties to lower index", "EUR", "10.00", []string{"1", "1", "1"}, []string{"3.34", "3.33", "3.33"}},
		{"two leftover cents", "EUR", "0.05", []string{"1", "1", "1"}, []string{"0.02", "0.02", "0.01"}},
		{"largest remainder wins", "EUR", "1.00", []string{"1", "2", "4"}, []string{"0.14", "0.29", "0.57"}},
		{"fractional weights", "EUR", "1.00", []string{"0.3", "0.3", "0.4"}, []string{"0.30", "0.30", "0.40"}},
		{"zero weight gets nothing", "EUR", "1.00", []string{"0", "1", "1"}, []string{"0", "0.50", "0.50"}},
		{"negative total mirrors", "EUR", "-10.00", []string{"1", "1", "1"}, []string{"-3.34", "-3.33", "-3.33"}},
		{"JPY whole yen", "JPY", "100", []string{"1", "1", "1"}, []string{"34", "33", "33"}},
		{"JPY largest remainder", "JPY", "10", []string{"0.15", "0.35", "0.5"}, []string{"2", "3", "5"}},
		{"BHD fils", "BHD", "1.000", []string{"1", "1", "1"}, []string{"0.334", "0.333", "0.333"}},
		{"zero total", "EUR", "0", []string{"0", "0"}, []string{"0", "0"}},
		{"single member", "EUR", "7.77", []string{"3"}, []string{"7.77"}},
		{"no members zero total", "EUR", "0", nil, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := rating.LookupCurrency(tc.currency)
			weights := make([]decimal.Decimal, len(tc.weights))
			for i, w := range tc.weights {
				weights[i] = qty(w)
			}
			got, err := rating.Allocate(qty(tc.total), weights, c)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d shares, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if !got[i].Equal(qty(tc.want[i])) {
					t.Fatalf("shares = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestAllocateErrors(t *testing.T) {
	eur, _ := rating.LookupCurrency("EUR")
	jpy, _ := rating.LookupCurrency("JPY")
	cases := []struct {
		name    string
		c       rating.Currency
		total   string
		weights []string
	}{
		{"all-zero weights", eur, "1.00", []string{"0", "0"}},
		{"no weights", eur, "1.00", nil},
		{"total not at minor unit", eur, "1.005", []string{"1"}},
		{"JPY total with decimals", jpy, "1.5", []string{"1"}},
		{"negative weight", eur, "1.00", []string{"2", "-1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			weights := make([]decimal.Decimal, len(tc.weights))
			for i, w := range tc.weights {
				weights[i] = qty(w)
			}
			if got, err := rating.Allocate(qty(tc.total), weights, tc.c); err == nil {
				t.Fatalf("Allocate accepted: %v", got)
			}
		})
	}
	_, err := rating.Allocate(qty("1.00"), []decimal.Decimal{decimal.Zero}, eur)
	if !errors.Is(err, rating.ErrNoWeights) {
		t.Fatalf("error %v is not ErrNoWeights", err)
	}
}

// TestAllocateSumsExactly checks the invariant on random totals and weights in each precision.
func TestAllocateSumsExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, code := range []string{"JPY", "EUR", "BHD"} {
		c, _ := rating.LookupCurrency(code)
		for range 2000 {
			total := decimal.New(rng.Int64N(2_000_000)-1_000_000, -c.MinorUnits)
			weights := make([]decimal.Decimal, 1+rng.IntN(12))
			for i := range weights {
				weights[i] = decimal.New(rng.Int64N(1_000_000), -int32(rng.IntN(7)))
			}
			weights[0] = weights[0].Add(decimal.New(1, -6)) // never all zero
			shares, err := rating.Allocate(total, weights, c)
			if err != nil {
				t.Fatal(err)
			}
			sum := decimal.Zero
			for i, s := range shares {
				if !c.IsRounded(s) {
					t.Fatalf("share %s not at %s's minor unit", s, code)
				}
				if s.Sign()*total.Sign() < 0 {
					t.Fatalf("share[%d] = %s has the wrong sign for total %s", i, s, total)
				}
				sum = sum.Add(s)
			}
			if !sum.Equal(total) {
				t.Fatalf("%s: shares %v sum to %s, want %s", code, shares, sum, total)
			}
		}
	}
}
