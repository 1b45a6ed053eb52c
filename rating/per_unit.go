package rating

import "github.com/shopspring/decimal"

// perUnitModel prices every unit alike: Price(q) = q × unit price. Being linear, its delta does
// not depend on what was used before.
type perUnitModel struct {
	unit   decimal.Decimal
	fast   bool
	unitFx Fixed
}

func compilePerUnit(spec PriceSpec) (Model, error) {
	if err := nonNegative("unit_price", spec.UnitPrice); err != nil {
		return nil, err
	}
	m := &perUnitModel{unit: spec.UnitPrice}
	m.unitFx, m.fast = FixedFromDecimal(spec.UnitPrice)
	return m, nil
}

func (m *perUnitModel) Kind() ModelKind { return ModelPerUnit }

func (m *perUnitModel) Price(q decimal.Decimal) decimal.Decimal {
	if !q.IsPositive() {
		return decimal.Zero
	}
	return q.Mul(m.unit)
}

// Delta is q × unit price; a negative q (a correction) subtracts the same way.
func (m *perUnitModel) Delta(_, q decimal.Decimal) decimal.Decimal { return q.Mul(m.unit) }

// DeltaFixed is Delta in Fixed arithmetic.
func (m *perUnitModel) DeltaFixed(_, q Fixed) (Fixed, bool) {
	if !m.fast {
		return 0, false
	}
	return MulFixed(q, m.unitFx)
}

func (m *perUnitModel) Explain(q decimal.Decimal) []Part {
	if !q.IsPositive() {
		return nil
	}
	return []Part{{Description: "per unit", Quantity: q, UnitPrice: m.unit, Amount: q.Mul(m.unit)}}
}
