package rating

import "github.com/shopspring/decimal"

// flatModel charges one fixed amount per period, whatever the quantity.
//
// Its incremental property differs from the other models on purpose: usage does not drive the
// amount, so every Delta is zero and Price(0) + Σ deltas == Price(total). Billing charges the
// amount once per period; running charges must not add it again per event.
type flatModel struct {
	amount decimal.Decimal
}

func compileFlat(spec PriceSpec) (Model, error) {
	if err := nonNegative("amount", spec.Amount); err != nil {
		return nil, err
	}
	return &flatModel{amount: spec.Amount}, nil
}

func (m *flatModel) Kind() ModelKind { return ModelFlat }

// Price is the period amount for every q, including 0.
func (m *flatModel) Price(decimal.Decimal) decimal.Decimal { return m.amount }

// Delta is always zero: see the type's comment.
func (m *flatModel) Delta(_, _ decimal.Decimal) decimal.Decimal { return decimal.Zero }

// DeltaFixed is always zero, exactly like Delta.
func (m *flatModel) DeltaFixed(_, _ Fixed) (Fixed, bool) { return 0, true }

func (m *flatModel) Explain(decimal.Decimal) []Part {
	return []Part{{Description: "flat fee", Quantity: decimal.Zero, UnitPrice: decimal.Zero, Amount: m.amount}}
}
