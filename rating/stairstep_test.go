package rating_test

import (
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

func TestStairstep(t *testing.T) {
	m := mustCompile(t, rating.PriceSpec{Kind: rating.ModelStairstep, Tiers: tiersOf(
		[3]string{"10", "0", "100"},
		[3]string{"50", "0", "400"},
		[3]string{"", "0", "1000"},
	)})
	runPriceCases(t, m, []priceCase{
		{name: "q=0 costs nothing", q: "0", want: "0"},
		{name: "any usage enters the first band", q: "0.001", want: "100"},
		{name: "exactly at up_to", q: "10", want: "100"},
		{name: "past up_to", q: "10.1", want: "400"},
		{name: "last band", q: "51", want: "1000"},
		{name: "delta moving up a band", before: "10", q: "0.1", want: "300"},
		{name: "delta inside a band", before: "11", q: "30", want: "0"},
		{name: "delta from zero", before: "0", q: "5", want: "100"},
	})
}
