package rating

import "github.com/shopspring/decimal"

// volumeModel prices every unit at the tier the total reaches (lower < q ≤ upper), plus that
// tier's flat fee. Crossing into a cheaper tier lowers the whole price, so a delta can be
// negative; that is correct, and the deltas still sum exactly to the price of the total.
type volumeModel struct {
	bands []band
	fast  []fixedBand
}

func compileVolume(spec PriceSpec) (Model, error) {
	if err := checkTiers(spec.Tiers); err != nil {
		return nil, err
	}
	bands := newBands(spec.Tiers)
	return &volumeModel{bands: bands, fast: newFixedBands(bands)}, nil
}

func (m *volumeModel) Kind() ModelKind { return ModelVolume }

func (m *volumeModel) Price(q decimal.Decimal) decimal.Decimal {
	i := reached(m.bands, q)
	if i < 0 {
		return decimal.Zero
	}
	return q.Mul(m.bands[i].unit).Add(m.bands[i].fee)
}

// Delta is Price(before+q) − Price(before); volume pricing is not additive per unit.
func (m *volumeModel) Delta(before, q decimal.Decimal) decimal.Decimal {
	return m.Price(before.Add(q)).Sub(m.Price(before))
}

// DeltaFixed is Delta in Fixed arithmetic, for before ≥ 0 and q ≥ 0.
func (m *volumeModel) DeltaFixed(before, q Fixed) (Fixed, bool) {
	if m.fast == nil || before < 0 || q < 0 {
		return 0, false
	}
	after, ok := AddFixed(before, q)
	if !ok {
		return 0, false
	}
	pa, ok := m.priceFixed(after)
	if !ok {
		return 0, false
	}
	pb, ok := m.priceFixed(before)
	if !ok {
		return 0, false
	}
	return SubFixed(pa, pb)
}

func (m *volumeModel) priceFixed(q Fixed) (Fixed, bool) {
	i := reachedFixed(m.fast, q)
	if i < 0 {
		return 0, true
	}
	amt, ok := MulFixed(q, m.fast[i].unit)
	if !ok {
		return 0, false
	}
	return AddFixed(amt, m.fast[i].fee)
}

func (m *volumeModel) Explain(q decimal.Decimal) []Part {
	i := reached(m.bands, q)
	if i < 0 {
		return nil
	}
	b := m.bands[i]
	parts := []Part{{Description: b.describe(i) + ", all units", Quantity: q, UnitPrice: b.unit, Amount: q.Mul(b.unit)}}
	if !b.fee.IsZero() {
		parts = append(parts, Part{Description: b.describe(i) + " flat fee", Quantity: decimal.Zero, UnitPrice: decimal.Zero, Amount: b.fee})
	}
	return parts
}
