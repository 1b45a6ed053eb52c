package rating

import "github.com/shopspring/decimal"

// graduatedModel prices each unit by the tier it falls in, and charges a tier's flat fee once,
// when the total first enters that tier (exceeds its lower bound).
//
// Its delta is computed directly from the bands crossed by (before, before+q], which equals
// Price(before+q) − Price(before) exactly and touches only those bands.
type graduatedModel struct {
	bands []band
	fast  []fixedBand // nil when a bound, price or fee does not fit Fixed
}

func compileGraduated(spec PriceSpec) (Model, error) {
	if err := checkTiers(spec.Tiers); err != nil {
		return nil, err
	}
	bands := newBands(spec.Tiers)
	return &graduatedModel{bands: bands, fast: newFixedBands(bands)}, nil
}

func (m *graduatedModel) Kind() ModelKind { return ModelGraduated }

func (m *graduatedModel) Price(q decimal.Decimal) decimal.Decimal {
	u, f := graduatedSum(m.bands, decimal.Zero, q, false)
	return u.Add(f)
}

// Delta is Price(before+q) − Price(before); a negative q (a correction) is the reversal.
func (m *graduatedModel) Delta(before, q decimal.Decimal) decimal.Decimal {
	if q.IsNegative() {
		u, f := graduatedSum(m.bands, before.Add(q), before, false)
		return u.Add(f).Neg()
	}
	u, f := graduatedSum(m.bands, before, before.Add(q), false)
	return u.Add(f)
}

// DeltaFixed is Delta in Fixed arithmetic, for before ≥ 0 and q ≥ 0.
func (m *graduatedModel) DeltaFixed(before, q Fixed) (Fixed, bool) {
	if m.fast == nil || before < 0 || q < 0 {
		return 0, false
	}
	after, ok := AddFixed(before, q)
	if !ok {
		return 0, false
	}
	var sum Fixed
	for i := range m.fast {
		b := &m.fast[i]
		if b.bounded && b.upper <= before {
			continue
		}
		if after <= b.lower {
			break
		}
		lo, hi := max(before, b.lower), after
		if b.bounded && b.upper < hi {
			hi = b.upper
		}
		amt, ok := MulFixed(hi-lo, b.unit)
		if !ok {
			return 0, false
		}
		if before <= b.lower {
			if amt, ok = AddFixed(amt, b.fee); !ok {
				return 0, false
			}
		}
		if sum, ok = AddFixed(sum, amt); !ok {
			return 0, false
		}
	}
	return sum, true
}

func (m *graduatedModel) Explain(q decimal.Decimal) []Part {
	var parts []Part
	for i, b := range m.bands {
		if q.Cmp(b.lower) <= 0 {
			break
		}
		units := b.overlap(decimal.Zero, q)
		parts = append(parts, Part{Description: b.describe(i), Quantity: units, UnitPrice: b.unit, Amount: units.Mul(b.unit)})
		if !b.fee.IsZero() {
			parts = append(parts, Part{Description: b.describe(i) + " flat fee", Quantity: decimal.Zero, UnitPrice: decimal.Zero, Amount: b.fee})
		}
	}
	return parts
}
