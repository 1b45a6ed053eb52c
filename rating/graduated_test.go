package rating_test

import (
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

func TestGraduated(t *testing.T) {
	m := mustCompile(t, rating.PriceSpec{Kind: rating.ModelGraduated, Tiers: tiersOf(
		[3]string{"100", "1", "0"},
		[3]string{"1000", "0.8", "5"},
		[3]string{"", "0.5", "10"},
	)})
	runPriceCases(t, m, []priceCase{
		{name: "q=0 enters no tier", q: "0", want: "0"},
		{name: "fractional first tier", q: "0.5", want: "0.5"},
		{name: "exactly at first up_to stays in tier 1", q: "100", want: "100"},
		{name: "just past up_to enters tier 2 and pays its fee", q: "100.000001", want: "105.0000008"},
		{name: "exactly at second up_to", q: "1000", want: "825"},
		{name: "into last tier", q: "1500", want: "1085"},
		{name: "delta inside a tier", before: "10", q: "5", want: "5"},
		{name: "delta ending exactly at bound", before: "99", q: "1", want: "1"},
		{name: "delta starting at bound pays the fee", before: "100", q: "0.000001", want: "5.0000008"},
		{name: "delta crossing a bound", before: "99", q: "2", want: "6.8"},
		{name: "delta crossing two bounds", before: "50", q: "1000", want: "810"},
		{name: "delta of zero", before: "100", q: "0", want: "0"},
		{name: "correction reverses the crossing", before: "101", q: "-2", want: "-6.8"},
	})
	parts := m.Explain(qty("1500"))
	if len(parts) != 5 { // three tiers, two flat fees
		t.Fatalf("Explain(1500) has %d parts, want 5: %+v", len(parts), parts)
	}
	if parts[1].Description != "tier 2 (100 < q ≤ 1000)" || !parts[1].Quantity.Equal(qty("900")) {
		t.Fatalf("tier 2 part = %+v", parts[1])
	}
}
