package rating_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

func TestCompileRejects(t *testing.T) {
	tiered := func(kind rating.ModelKind, tiers ...[3]string) rating.PriceSpec {
		return rating.PriceSpec{Kind: kind, Tiers: tiersOf(tiers...)}
	}
	cases := []struct {
		name    string
		spec    rating.PriceSpec
		field   string
		message string
	}{
		{"unknown kind", rating.PriceSpec{Kind: "tiered"}, "model", `unknown model "tiered"`},
		{"missing kind", rating.PriceSpec{}, "model", "required"},
		{"negative flat amount", rating.PriceSpec{Kind: rating.ModelFlat, Amount: qty("-1")}, "amount", "must not be negative"},
		{"negative unit price", rating.PriceSpec{Kind: rating.ModelPerUnit, UnitPrice: qty("-0.01")}, "unit_price", "must not be negative"},
		{"tiers on per_unit", rating.PriceSpec{Kind: rating.ModelPerUnit, UnitPrice: qty("1"), Tiers: tiersOf([3]string{"", "1", "0"})}, "tiers", "not used by the per_unit model"},
		{"unit price on flat", rating.PriceSpec{Kind: rating.ModelFlat, Amount: qty("1"), UnitPrice: qty("1")}, "unit_price", "not used by the flat model"},
		{"amount on graduated", rating.PriceSpec{Kind: rating.ModelGraduated, Amount: qty("1"), Tiers: tiersOf([3]string{"", "1", "0"})}, "amount", "not used"},
		{"min fee on volume", rating.PriceSpec{Kind: rating.ModelVolume, MinFee: qtyPtr("1"), Tiers: tiersOf([3]string{"", "1", "0"})}, "min_fee", "not used"},
		{"package size on per_unit", rating.PriceSpec{Kind: rating.ModelPerUnit, PackageSize: qty("10")}, "package_size", "not used"},
		{"free units on graduated", rating.PriceSpec{Kind: rating.ModelGraduated, FreeUnits: qty("10"), Tiers: tiersOf([3]string{"", "1", "0"})}, "free_units", "not used"},
		{"percent on per_unit", rating.PriceSpec{Kind: rating.ModelPerUnit, Percent: qty("1")}, "percent", "not used"},
		{"max fee on package", rating.PriceSpec{Kind: rating.ModelPackage, PackageSize: qty("1"), MaxFee: qtyPtr("1")}, "max_fee", "not used"},
		{"empty tiers graduated", tiered(rating.ModelGraduated), "tiers", "at least one tier"},
		{"empty tiers volume", tiered(rating.ModelVolume), "tiers", "at least one tier"},
		{"empty tiers stairstep", tiered(rating.ModelStairstep), "tiers", "at least one tier"},
		{"up_to not increasing", tiered(rating.ModelGraduated, [3]string{"100", "1", "0"}, [3]string{"100", "1", "0"}, [3]string{"", "1", "0"}), "tiers[1].up_to", "must be greater than the previous tier's"},
		{"up_to decreasing", tiered(rating.ModelVolume, [3]string{"100", "1", "0"}, [3]string{"50", "1", "0"}, [3]string{"", "1", "0"}), "tiers[1].up_to", "must be greater than the previous tier's"},
		{"first up_to zero", tiered(rating.ModelGraduated, [3]string{"0", "1", "0"}, [3]string{"", "1", "0"}), "tiers[0].up_to", "greater than 0"},
		{"bounded last tier", tiered(rating.ModelGraduated, [3]string{"10", "1", "0"}, [3]string{"20", "1", "0"}, [3]string{"30", "1", "0"}), "tiers[2].up_to", "the last tier must be unbounded; omit up_to"},
		{"unbounded tier not last", tiered(rating.ModelGraduated, [3]string{"", "1", "0"}, [3]string{"", "1", "0"}), "tiers[0].up_to", "only the last tier may be unbounded"},
		{"negative tier price", tiered(rating.ModelGraduated, [3]string{"10", "1", "0"}, [3]string{"", "-1", "0"}), "tiers[1].unit_price", "must not be negative"},
		{"negative tier fee", tiered(rating.ModelVolume, [3]string{"10", "1", "-5"}, [3]string{"", "1", "0"}), "tiers[0].flat_fee", "must not be negative"},
		{"stairstep unit price", tiered(rating.ModelStairstep, [3]string{"10", "0", "5"}, [3]string{"", "1", "9"}), "tiers[1].unit_price", "no unit price"},
		{"package size zero", rating.PriceSpec{Kind: rating.ModelPackage, UnitPrice: qty("1")}, "package_size", "greater than 0"},
		{"package size negative", rating.PriceSpec{Kind: rating.ModelPackage, UnitPrice: qty("1"), PackageSize: qty("-5")}, "package_size", "greater than 0"},
		{"package negative price", rating.PriceSpec{Kind: rating.ModelPackage, UnitPrice: qty("-1"), PackageSize: qty("5")}, "unit_price", "must not be negative"},
		{"package negative free units", rating.PriceSpec{Kind: rating.ModelPackage, UnitPrice: qty("1"), PackageSize: qty("5"), FreeUnits: qty("-1")}, "free_units", "must not be negative"},
		{"negative percent", rating.PriceSpec{Kind: rating.ModelPercentage, Percent: qty("-2")}, "percent", "must not be negative"},
		{"negative min fee", rating.PriceSpec{Kind: rating.ModelPercentage, Percent: qty("2"), MinFee: qtyPtr("-1")}, "min_fee", "must not be negative"},
		{"negative max fee", rating.PriceSpec{Kind: rating.ModelPercentage, Percent: qty("2"), MaxFee: qtyPtr("-1")}, "max_fee", "must not be negative"},
		{"min above max", rating.PriceSpec{Kind: rating.ModelPercentage, Percent: qty("2"), MinFee: qtyPtr("5"), MaxFee: qtyPtr("1")}, "min_fee", "must not be greater than max_fee"},
		{"percent with tiers", rating.PriceSpec{Kind: rating.ModelPercentage, Percent: qty("2"), Tiers: tiersOf([3]string{"", "1", "0"})}, "percent", "not used when tiers are set"},
		{"percentage bad tiers", tiered(rating.ModelPercentage, [3]string{"10", "1", "0"}), "tiers[0].up_to", "the last tier must be unbounded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := rating.Compile(tc.spec)
			if err == nil {
				t.Fatalf("Compile accepted %+v as %v", tc.spec, m)
			}
			var se *rating.SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *SpecError", err, err)
			}
			if se.Field != tc.field {
				t.Fatalf("Field = %q, want %q (error %q)", se.Field, tc.field, err)
			}
			if !strings.Contains(se.Message, tc.message) {
				t.Fatalf("Message = %q, want it to contain %q", se.Message, tc.message)
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	cases := []rating.PriceSpec{
		{Kind: rating.ModelFlat, Amount: qty("0")},
		{Kind: rating.ModelFlat, Amount: qty("10")},
		{Kind: rating.ModelPerUnit, UnitPrice: qty("0.000000001")},
		{Kind: rating.ModelGraduated, Tiers: tiersOf([3]string{"", "1", "0"})},
		{Kind: rating.ModelVolume, Tiers: tiersOf([3]string{"0.5", "1", "2"}, [3]string{"", "0", "0"})},
		{Kind: rating.ModelPackage, UnitPrice: qty("1"), PackageSize: qty("0.001")},
		{Kind: rating.ModelStairstep, Tiers: tiersOf([3]string{"1", "0", "1"}, [3]string{"", "0", "2"})},
		{Kind: rating.ModelPercentage, Percent: qty("0")},
		{Kind: rating.ModelPercentage, Percent: qty("1"), MinFee: qtyPtr("1"), MaxFee: qtyPtr("1")},
		{Kind: rating.ModelPercentage, Tiers: tiersOf([3]string{"1000", "3", "0"}, [3]string{"", "2", "1"}), MaxFee: qtyPtr("9")},
	}
	for _, spec := range cases {
		t.Run(string(spec.Kind), func(t *testing.T) {
			m := mustCompile(t, spec)
			if m.Kind() != spec.Kind {
				t.Fatalf("Kind = %s, want %s", m.Kind(), spec.Kind)
			}
		})
	}
}
