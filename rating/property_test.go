package rating_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// randQty is a non-negative quantity below 10^magnitude with up to 9 decimals.
func randQty(rng *rand.Rand, magnitude int) decimal.Decimal {
	frac := int32(rng.IntN(10))
	limit := int64(1)
	for range magnitude + int(frac) {
		limit *= 10
	}
	return decimal.New(rng.Int64N(limit), -frac)
}

// randTiers builds 1..5 tiers with increasing fractional bounds, prices and fees (with zeros).
func randTiers(rng *rand.Rand, stairstep bool) []rating.Tier {
	n := 1 + rng.IntN(5)
	tiers := make([]rating.Tier, n)
	bound := decimal.Zero
	for i := range tiers {
		t := rating.Tier{UnitPrice: randQty(rng, 2), FlatFee: decimal.Zero}
		if stairstep {
			t.UnitPrice = decimal.Zero
		}
		if rng.IntN(2) == 0 || stairstep {
			t.FlatFee = randQty(rng, 3)
		}
		if i < n-1 {
			bound = bound.Add(randQty(rng, 3)).Add(decimal.New(1, -9))
			b := bound
			t.UpTo = &b
		}
		tiers[i] = t
	}
	return tiers
}

// randSpec returns a random valid spec of the kind.
func randSpec(rng *rand.Rand, kind rating.ModelKind, minMax bool) rating.PriceSpec {
	spec := rating.PriceSpec{Kind: kind}
	switch kind {
	case rating.ModelFlat:
		spec.Amount = randQty(rng, 3)
	case rating.ModelPerUnit:
		spec.UnitPrice = randQty(rng, 2)
	case rating.ModelGraduated, rating.ModelVolume:
		spec.Tiers = randTiers(rng, false)
	case rating.ModelStairstep:
		spec.Tiers = randTiers(rng, true)
	case rating.ModelPackage:
		spec.UnitPrice = randQty(rng, 2)
		spec.PackageSize = randQty(rng, 3).Add(decimal.New(1, -6))
		spec.FreeUnits = randQty(rng, 3)
	case rating.ModelPercentage:
		if rng.IntN(2) == 0 {
			spec.Tiers = randTiers(rng, false)
		} else {
			spec.Percent = randQty(rng, 1)
		}
		if minMax {
			lo := randQty(rng, 1)
			hi := lo.Add(randQty(rng, 2))
			spec.MinFee, spec.MaxFee = &lo, &hi
		}
	}
	return spec
}

// randSplit returns 1..200 event quantities. Half the time the total is a chosen boundary-ish
// value cut at random points (so totals land exactly on up_to), else free random events.
func randSplit(rng *rand.Rand, spec rating.PriceSpec) []decimal.Decimal {
	n := 1 + rng.IntN(200)
	events := make([]decimal.Decimal, n)
	if rng.IntN(2) == 0 || len(spec.Tiers) < 2 {
		for i := range events {
			events[i] = randQty(rng, rng.IntN(4))
		}
		return events
	}
	total := *spec.Tiers[rng.IntN(len(spec.Tiers)-1)].UpTo
	if rng.IntN(3) == 0 {
		total = total.Add(decimal.New(1, -9))
	}
	cuts := make([]decimal.Decimal, n-1)
	for i := range cuts {
		// a cut at 9 decimals in [0, total]
		cuts[i] = total.Mul(decimal.New(rng.Int64N(1_000_000_001), -9)).Truncate(9)
	}
	sortDecimals(cuts)
	prev := decimal.Zero
	for i, c := range cuts {
		events[i] = c.Sub(prev)
		prev = c
	}
	events[n-1] = total.Sub(prev)
	return events
}

func sortDecimals(ds []decimal.Decimal) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].LessThan(ds[j-1]); j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

// propertyCases is how many random (model, split) cases each kind gets.
func propertyCases() int {
	if testing.Short() {
		return 200
	}
	return 2000
}

// TestDeltasSumToPrice is invariant 2 for a single account: for every model, any split of a
// period's usage into events rates to deltas that sum exactly to the price of the total.
func TestDeltasSumToPrice(t *testing.T) {
	kinds := []rating.ModelKind{rating.ModelFlat, rating.ModelPerUnit, rating.ModelGraduated, rating.ModelVolume,
		rating.ModelPackage, rating.ModelStairstep, rating.ModelPercentage}
	for seed, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 42))
			for i := range propertyCases() {
				spec := randSpec(rng, kind, false)
				m := mustCompile(t, spec)
				events := randSplit(rng, spec)
				before, sum := decimal.Zero, decimal.Zero
				for _, q := range events {
					sum = sum.Add(m.Delta(before, q))
					before = before.Add(q)
				}
				want := m.Price(before)
				if kind == rating.ModelFlat {
					sum = sum.Add(m.Price(decimal.Zero)) // documented: Price(0) + Σ deltas == Price(total)
				}
				if !sum.Equal(want) {
					t.Fatalf("case %d: %s model %+v, %d events totalling %s: Σ deltas = %s, Price = %s",
						i, kind, spec, len(events), before, sum, want)
				}
			}
		})
	}
}

// TestPercentageMinMaxDeltas checks the documented variant: with per-transaction min/max the
// deltas sum to the per-transaction fees, each computed independently here as
// clamp(percentage part) + tier flat fees entered.
func TestPercentageMinMaxDeltas(t *testing.T) {
	rng := rand.New(rand.NewPCG(99, 1))
	for i := range propertyCases() {
		spec := randSpec(rng, rating.ModelPercentage, true)
		m := mustCompile(t, spec)
		pctOnly, feesOnly := splitPercentage(t, spec)
		before, sum, want := decimal.Zero, decimal.Zero, decimal.Zero
		for _, q := range randSplit(rng, spec) {
			sum = sum.Add(m.Delta(before, q))
			if q.IsPositive() {
				pct := decimal.Min(decimal.Max(pctOnly.Delta(before, q), *spec.MinFee), *spec.MaxFee)
				want = want.Add(pct).Add(feesOnly.Delta(before, q))
			}
			before = before.Add(q)
		}
		if !sum.Equal(want) {
			t.Fatalf("case %d: %+v: Σ deltas = %s, Σ per-transaction fees = %s", i, spec, sum, want)
		}
	}
}

// splitPercentage compiles the unclamped percentage part and the flat-fee part of spec as two
// models, to compute per-transaction fees without the code under test's clamp.
func splitPercentage(tb testing.TB, spec rating.PriceSpec) (pctOnly, feesOnly rating.Model) {
	p := rating.PriceSpec{Kind: rating.ModelPercentage, Percent: spec.Percent}
	f := rating.PriceSpec{Kind: rating.ModelPercentage}
	for _, t := range spec.Tiers {
		p.Tiers = append(p.Tiers, rating.Tier{UpTo: t.UpTo, UnitPrice: t.UnitPrice, FlatFee: decimal.Zero})
		f.Tiers = append(f.Tiers, rating.Tier{UpTo: t.UpTo, UnitPrice: decimal.Zero, FlatFee: t.FlatFee})
	}
	return mustCompile(tb, p), mustCompile(tb, f)
}

// TestExplainSumsToPrice checks that the parts shown on an invoice add up to the price.
func TestExplainSumsToPrice(t *testing.T) {
	kinds := []rating.ModelKind{rating.ModelFlat, rating.ModelPerUnit, rating.ModelGraduated, rating.ModelVolume,
		rating.ModelPackage, rating.ModelStairstep, rating.ModelPercentage}
	rng := rand.New(rand.NewPCG(5, 8))
	for _, kind := range kinds {
		for _, minMax := range []bool{false, true} {
			if minMax && kind != rating.ModelPercentage {
				continue
			}
			t.Run(fmt.Sprintf("%s/minmax=%v", kind, minMax), func(t *testing.T) {
				for i := range propertyCases() {
					spec := randSpec(rng, kind, minMax)
					m := mustCompile(t, spec)
					q := randQty(rng, rng.IntN(6))
					if i%10 == 0 && len(spec.Tiers) > 1 {
						q = *spec.Tiers[0].UpTo
					}
					sum := decimal.Zero
					for _, p := range m.Explain(q) {
						sum = sum.Add(p.Amount)
					}
					if want := m.Price(q); !sum.Equal(want) {
						t.Fatalf("case %d: %+v: Σ Explain(%s) = %s, Price = %s", i, spec, q, sum, want)
					}
				}
			})
		}
	}
}

// TestModelsConcurrentUse runs every model from several goroutines at once; under -race it
// proves the compiled models share no mutable state.
func TestModelsConcurrentUse(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 19))
	kinds := []rating.ModelKind{rating.ModelFlat, rating.ModelPerUnit, rating.ModelGraduated, rating.ModelVolume,
		rating.ModelPackage, rating.ModelStairstep, rating.ModelPercentage}
	for _, kind := range kinds {
		spec := randSpec(rng, kind, kind == rating.ModelPercentage)
		m := mustCompile(t, spec)
		want := m.Price(decimal.NewFromInt(1234))
		done := make(chan decimal.Decimal, 4)
		for range 4 {
			go func() {
				var got decimal.Decimal
				for i := range 200 {
					m.Delta(decimal.NewFromInt(int64(i)), decimal.New(15, -1))
					m.Explain(decimal.NewFromInt(int64(i)))
					if fm, ok := m.(rating.FastModel); ok {
						fm.DeltaFixed(rating.Fixed(i), 1)
					}
					got = m.Price(decimal.NewFromInt(1234))
				}
				done <- got
			}()
		}
		for range 4 {
			if got := <-done; !got.Equal(want) {
				t.Fatalf("%s: concurrent Price = %s, want %s", kind, got, want)
			}
		}
	}
}
