package rating_test

import (
	"testing"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// qty parses a decimal literal; the tests' tables are written as strings so that no float ever
// touches an amount.
func qty(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// qtyPtr is qty for the optional fields (up_to, min_fee, max_fee).
func qtyPtr(s string) *decimal.Decimal {
	d := qty(s)
	return &d
}

// mustCompile compiles a spec that the test expects to be valid.
func mustCompile(tb testing.TB, spec rating.PriceSpec) rating.Model {
	tb.Helper()
	m, err := rating.Compile(spec)
	if err != nil {
		tb.Fatalf("Compile(%+v): %v", spec, err)
	}
	return m
}

// tiersOf builds tiers from (up_to, unit_price, flat_fee) triples; "" as up_to is unbounded.
func tiersOf(triples ...[3]string) []rating.Tier {
	out := make([]rating.Tier, len(triples))
	for i, tr := range triples {
		t := rating.Tier{UnitPrice: qty(tr[1]), FlatFee: qty(tr[2])}
		if tr[0] != "" {
			t.UpTo = qtyPtr(tr[0])
		}
		out[i] = t
	}
	return out
}

// priceCase is one row of a model's table: Price(q), and Delta(before, q) when delta is set.
type priceCase struct {
	name      string
	before, q string
	want      string
}

// runPriceCases checks rows with before == "" against Price(q) and the others against
// Delta(before, q), and every Price row against the sum of Explain(q).
func runPriceCases(t *testing.T, m rating.Model, cases []priceCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before == "" {
				got := m.Price(qty(tc.q))
				if !got.Equal(qty(tc.want)) {
					t.Fatalf("Price(%s) = %s, want %s", tc.q, got, tc.want)
				}
				sum := decimal.Zero
				for _, p := range m.Explain(qty(tc.q)) {
					sum = sum.Add(p.Amount)
				}
				if !sum.Equal(got) {
					t.Fatalf("Σ Explain(%s) = %s, want Price %s", tc.q, sum, got)
				}
				return
			}
			got := m.Delta(qty(tc.before), qty(tc.q))
			if !got.Equal(qty(tc.want)) {
				t.Fatalf("Delta(%s, %s) = %s, want %s", tc.before, tc.q, got, tc.want)
			}
		})
	}
}
