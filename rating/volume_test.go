package rating_test

import (
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

func TestVolume(t *testing.T) {
	m := mustCompile(t, rating.PriceSpec{Kind: rating.ModelVolume, Tiers: tiersOf(
		[3]string{"100", "1", "0"},
		[3]string{"1000", "0.5", "10"},
		[3]string{"", "0.25", "0"},
	)})
	runPriceCases(t, m, []priceCase{
		{name: "q=0", q: "0", want: "0"},
		{name: "fractional", q: "0.000001", want: "0.000001"},
		{name: "exactly at up_to keeps tier 1 price", q: "100", want: "100"},
		{name: "past up_to reprices every unit and adds the fee", q: "101", want: "60.5"},
		{name: "exactly at second up_to", q: "1000", want: "510"},
		{name: "last tier", q: "1000.5", want: "250.125"},
		{name: "negative delta into a cheaper tier", before: "100", q: "1", want: "-39.5"},
		{name: "delta inside a tier", before: "200", q: "10", want: "5"},
		{name: "delta from zero", before: "0", q: "101", want: "60.5"},
	})
	parts := m.Explain(qty("101"))
	if len(parts) != 2 || !parts[0].Quantity.Equal(qty("101")) || !parts[1].Amount.Equal(qty("10")) {
		t.Fatalf("Explain(101) = %+v, want all units at tier 2 plus its fee", parts)
	}
}
