package rating_test

import (
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

func TestPackage(t *testing.T) {
	m := mustCompile(t, rating.PriceSpec{Kind: rating.ModelPackage, UnitPrice: qty("5"),
		PackageSize: qty("100"), FreeUnits: qty("50")})
	runPriceCases(t, m, []priceCase{
		{name: "q=0", q: "0", want: "0"},
		{name: "inside free units", q: "49.9", want: "0"},
		{name: "exactly the free units", q: "50", want: "0"},
		{name: "a sliver starts a whole package", q: "50.000001", want: "5"},
		{name: "exactly one package", q: "150", want: "5"},
		{name: "second package started", q: "150.5", want: "10"},
		{name: "delta that starts a package", before: "150", q: "0.5", want: "5"},
		{name: "delta inside a started package", before: "151", q: "20", want: "0"},
		{name: "delta crossing free units", before: "49", q: "2", want: "5"},
	})
	parts := m.Explain(qty("150.5"))
	if len(parts) != 2 || parts[1].Description != "2 packages of 100" || !parts[0].Quantity.Equal(qty("50")) {
		t.Fatalf("Explain(150.5) = %+v", parts)
	}
	noFree := mustCompile(t, rating.PriceSpec{Kind: rating.ModelPackage, UnitPrice: qty("2"), PackageSize: qty("0.5")})
	runPriceCases(t, noFree, []priceCase{
		{name: "fractional package size", q: "1.2", want: "6"},
		{name: "exact multiple", q: "1.5", want: "6"},
	})
}
