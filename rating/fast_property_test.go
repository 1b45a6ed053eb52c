package rating_test

import (
	"math/rand/v2"
	"testing"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// fastKinds are the kinds whose compiled model must offer a fast form.
var fastKinds = []rating.ModelKind{rating.ModelFlat, rating.ModelPerUnit, rating.ModelGraduated,
	rating.ModelVolume, rating.ModelPackage, rating.ModelStairstep, rating.ModelPercentage}

// realisticPlaces is how many decimals "realistic" prices and quantities get so that every exact
// result fits Fixed's 9 digits: a percentage fee divides by 100 and needs two more.
func realisticPlaces(kind rating.ModelKind) (price, quantity int32) {
	if kind == rating.ModelPercentage {
		return 2, 5
	}
	return 4, 5
}

// TestFastAgreesWithDecimal proves the fast path exact: on random models and inputs, whenever
// DeltaFixed answers it equals Delta. With "realistic" values (prices ≤ 4 decimals, quantities
// ≤ 5, magnitudes far from the int64 range) every answer must come from the fast path, so the
// test cannot pass by the fast path always declining.
func TestFastAgreesWithDecimal(t *testing.T) {
	for seed, kind := range fastKinds {
		t.Run(string(kind), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 7))
			declined := 0
			for i := range propertyCases() * 5 {
				realistic := i%2 == 0
				spec := randSpec(rng, kind, i%4 >= 2) // min/max (percentage) on both realistic and free cases
				pricePlaces, qtyPlaces := realisticPlaces(kind)
				if realistic {
					spec = roundSpec(spec, pricePlaces)
				}
				m := mustCompile(t, spec)
				fm, ok := m.(rating.FastModel)
				if !ok {
					t.Fatalf("%s model has no fast form", kind)
				}
				before, q := randQty(rng, 4), randQty(rng, 3)
				if realistic {
					before, q = before.Truncate(qtyPlaces), q.Truncate(qtyPlaces)
				}
				bf, okB := rating.FixedFromDecimal(before)
				qf, okQ := rating.FixedFromDecimal(q)
				if !okB || !okQ {
					t.Fatalf("quantities %s, %s do not convert", before, q)
				}
				got, ok := fm.DeltaFixed(bf, qf)
				want := m.Delta(before, q)
				if !ok {
					if realistic {
						t.Fatalf("case %d: %+v DeltaFixed(%s, %s) declined a realistic input (decimal %s)", i, spec, before, q, want)
					}
					declined++
					continue
				}
				if !got.Decimal().Equal(want) {
					t.Fatalf("case %d: %+v: DeltaFixed(%s, %s) = %s, Delta = %s", i, spec, before, q, got, want)
				}
			}
			t.Logf("%s: fast path declined %d of %d unrestricted cases", kind, declined, propertyCases()*5/2)
		})
	}
}

// roundSpec truncates every price, fee and bound of spec to the given decimals, keeping it valid.
func roundSpec(spec rating.PriceSpec, places int32) rating.PriceSpec {
	tr := func(d decimal.Decimal) decimal.Decimal { return d.Truncate(places) }
	spec.Amount, spec.UnitPrice, spec.FreeUnits = tr(spec.Amount), tr(spec.UnitPrice), tr(spec.FreeUnits)
	spec.Percent = tr(spec.Percent)
	if spec.MinFee != nil {
		lo, hi := tr(*spec.MinFee), tr(*spec.MaxFee) // randSpec sets both; truncation keeps lo ≤ hi
		spec.MinFee, spec.MaxFee = &lo, &hi
	}
	if spec.PackageSize.IsPositive() {
		spec.PackageSize = decimal.Max(tr(spec.PackageSize), decimal.New(1, -places))
	}
	tiers := make([]rating.Tier, len(spec.Tiers))
	prev := decimal.Zero
	for i, t := range spec.Tiers {
		t.UnitPrice, t.FlatFee = tr(t.UnitPrice), tr(t.FlatFee)
		if t.UpTo != nil {
			b := decimal.Max(tr(*t.UpTo), prev.Add(decimal.New(1, -places)))
			t.UpTo, prev = &b, b
		}
		tiers[i] = t
	}
	spec.Tiers = tiers
	return spec
}

// TestFastDeclinesOutsideFixed checks the fallbacks: parameters or inputs Fixed cannot hold
// make DeltaFixed decline instead of answering approximately.
func TestFastDeclinesOutsideFixed(t *testing.T) {
	cases := []struct {
		name      string
		spec      rating.PriceSpec
		before, q string
	}{
		{"price with 10 decimals", rating.PriceSpec{Kind: rating.ModelPerUnit, UnitPrice: qty("0.0000000001")}, "0", "1"},
		{"product with too many decimals", rating.PriceSpec{Kind: rating.ModelPerUnit, UnitPrice: qty("0.00001")}, "0", "0.00001"},
		{"product overflows", rating.PriceSpec{Kind: rating.ModelPerUnit, UnitPrice: qty("1000000")}, "0", "9000000"},
		{"bound beyond Fixed", rating.PriceSpec{Kind: rating.ModelGraduated, Tiers: tiersOf([3]string{"100000000000", "1", "0"}, [3]string{"", "1", "0"})}, "0", "1"},
		{"total overflows", rating.PriceSpec{Kind: rating.ModelVolume, Tiers: tiersOf([3]string{"", "1", "0"})}, "9223372036", "1"},
		{"negative quantity", rating.PriceSpec{Kind: rating.ModelGraduated, Tiers: tiersOf([3]string{"", "1", "0"})}, "5", "-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fm := mustCompile(t, tc.spec).(rating.FastModel)
			b, _ := rating.ParseFixed(tc.before)
			q, _ := rating.ParseFixed(tc.q)
			if got, ok := fm.DeltaFixed(b, q); ok {
				t.Fatalf("DeltaFixed(%s, %s) = %s, want a decline", tc.before, tc.q, got)
			}
		})
	}
}

// TestFastDeltasSumToPrice replays random splits through the fast path with the decimal path as
// fallback, as the pipeline does, and checks the total against the decimal price.
func TestFastDeltasSumToPrice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1234, 5678))
	for _, kind := range fastKinds[1:] { // flat's deltas are all zero by definition
		for i := range propertyCases() / 2 {
			pricePlaces, qtyPlaces := realisticPlaces(kind)
			spec := roundSpec(randSpec(rng, kind, false), pricePlaces)
			m := mustCompile(t, spec)
			fm := m.(rating.FastModel)
			var before rating.Fixed
			var sum rating.Fixed
			for _, q := range randSplit(rng, spec) {
				qf, ok := rating.FixedFromDecimal(q.Truncate(qtyPlaces))
				if !ok {
					t.Fatalf("quantity %s does not convert", q)
				}
				d, ok := fm.DeltaFixed(before, qf)
				if !ok {
					t.Fatalf("case %d: %+v declined (%s, %s)", i, spec, before, qf)
				}
				sum += d
				before += qf
			}
			if want := m.Price(before.Decimal()); !sum.Decimal().Equal(want) {
				t.Fatalf("case %d: %s: Σ fast deltas = %s, Price = %s", i, kind, sum, want)
			}
		}
	}
}
