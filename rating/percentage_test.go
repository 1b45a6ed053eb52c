package rating_test

import (
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

func TestPercentage(t *testing.T) {
	plain := mustCompile(t, rating.PriceSpec{Kind: rating.ModelPercentage, Percent: qty("2.5")})
	runPriceCases(t, plain, []priceCase{
		{name: "zero amount", q: "0", want: "0"},
		{name: "simple", q: "100", want: "2.5"},
		{name: "fractional", q: "0.01", want: "0.00025"},
		{name: "delta ignores before", before: "1000", q: "100", want: "2.5"},
	})

	clamped := mustCompile(t, rating.PriceSpec{Kind: rating.ModelPercentage, Percent: qty("2.5"),
		MinFee: qtyPtr("0.30"), MaxFee: qtyPtr("5")})
	runPriceCases(t, clamped, []priceCase{
		{name: "zero amount is no transaction", q: "0", want: "0"},
		{name: "below min", q: "1", want: "0.30"},
		{name: "between", q: "100", want: "2.5"},
		{name: "above max", q: "1000", want: "5"},
		{name: "each transaction clamped", before: "1000", q: "1", want: "0.30"},
		{name: "zero-amount delta", before: "1000", q: "0", want: "0"},
	})

	tiers := tiersOf([3]string{"1000", "3", "0"}, [3]string{"", "2", "1"})
	graduated := mustCompile(t, rating.PriceSpec{Kind: rating.ModelPercentage, Tiers: tiers})
	runPriceCases(t, graduated, []priceCase{
		{name: "first tier", q: "1000", want: "30"},
		{name: "second tier slice and its fee", q: "1500", want: "41"},
		{name: "transaction crossing the bound pays the fee", before: "900", q: "200", want: "6"},
		{name: "later transaction in tier 2", before: "1100", q: "100", want: "2"},
	})

	gradClamped := mustCompile(t, rating.PriceSpec{Kind: rating.ModelPercentage, Tiers: tiers,
		MinFee: qtyPtr("0.5"), MaxFee: qtyPtr("4")})
	runPriceCases(t, gradClamped, []priceCase{
		{name: "flat fee outside the clamp", before: "900", q: "200", want: "5"},
		{name: "min applies to the percentage only", before: "1100", q: "1", want: "0.5"},
		{name: "max then clamp", q: "1500", want: "5"},
	})
}
