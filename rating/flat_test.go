package rating_test

import (
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

func TestFlat(t *testing.T) {
	m := mustCompile(t, rating.PriceSpec{Kind: rating.ModelFlat, Amount: qty("49.90")})
	if m.Kind() != rating.ModelFlat {
		t.Fatalf("Kind = %s", m.Kind())
	}
	runPriceCases(t, m, []priceCase{
		{name: "q=0 still the period amount", q: "0", want: "49.90"},
		{name: "fractional", q: "0.000001", want: "49.90"},
		{name: "large", q: "1000000", want: "49.90"},
		{name: "delta from zero", before: "0", q: "5", want: "0"},
		{name: "delta later", before: "100", q: "0.5", want: "0"},
	})
	if got := m.Explain(qty("3")); len(got) != 1 || got[0].Description != "flat fee" {
		t.Fatalf("Explain = %+v, want one flat fee part", got)
	}
}
