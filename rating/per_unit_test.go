package rating_test

import (
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

func TestPerUnit(t *testing.T) {
	m := mustCompile(t, rating.PriceSpec{Kind: rating.ModelPerUnit, UnitPrice: qty("0.09")})
	runPriceCases(t, m, []priceCase{
		{name: "q=0", q: "0", want: "0"},
		{name: "whole", q: "100", want: "9"},
		{name: "fractional", q: "0.000001", want: "0.00000009"},
		{name: "delta independent of before", before: "12345.5", q: "2", want: "0.18"},
		{name: "delta of zero", before: "7", q: "0", want: "0"},
		{name: "correction reverses", before: "7", q: "-2", want: "-0.18"},
	})
	parts := m.Explain(qty("3"))
	if len(parts) != 1 || !parts[0].Quantity.Equal(qty("3")) || !parts[0].UnitPrice.Equal(qty("0.09")) {
		t.Fatalf("Explain(3) = %+v", parts)
	}
	if parts := m.Explain(qty("0")); len(parts) != 0 {
		t.Fatalf("Explain(0) = %+v, want no parts", parts)
	}
}
