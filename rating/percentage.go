package rating

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// percentageModel takes a percentage of transaction amounts (the quantity is money).
//
// Without tiers the fee of a transaction is amount × Percent / 100. With tiers (graduated
// percentage) each slice of the period's cumulative amount pays its tier's percentage (the tier's
// UnitPrice), and a tier's FlatFee is charged once, by the transaction whose cumulative amount
// first enters it. MinFee/MaxFee clamp each transaction's percentage fee; tier flat fees are added
// outside the clamp. Each event is one transaction, so Delta(before, q) is the fee of a
// transaction of q after `before` was transacted, and Price(q) is the fee of one transaction of q
// at the start of the period. A zero (or negative) amount is no transaction and costs nothing,
// minimum fee included; refunds are modelled by billing, not here.
//
// Without MinFee/MaxFee the deltas of any split sum exactly to Price(total); with them, to the
// sum of the per-transaction fees.
type percentageModel struct {
	percent  decimal.Decimal // used when bands is empty
	bands    []band
	min, max *decimal.Decimal

	fast bool
	fx   percentFixed
}

func compilePercentage(spec PriceSpec) (Model, error) {
	if err := nonNegative("percent", spec.Percent); err != nil {
		return nil, err
	}
	// Copy min/max so that a caller changing its spec afterwards cannot change the model.
	m := &percentageModel{percent: spec.Percent, min: copyDec(spec.MinFee), max: copyDec(spec.MaxFee)}
	if len(spec.Tiers) > 0 {
		if !spec.Percent.IsZero() {
			return nil, &SpecError{Field: "percent", Message: "not used when tiers are set; each tier's unit_price is its percentage"}
		}
		if err := checkTiers(spec.Tiers); err != nil {
			return nil, err
		}
		m.bands = newBands(spec.Tiers)
	}
	if m.min != nil {
		if err := nonNegative("min_fee", *m.min); err != nil {
			return nil, err
		}
	}
	if m.max != nil {
		if err := nonNegative("max_fee", *m.max); err != nil {
			return nil, err
		}
	}
	if m.min != nil && m.max != nil && m.min.GreaterThan(*m.max) {
		return nil, &SpecError{Field: "min_fee", Message: fmt.Sprintf("must not be greater than max_fee (%s)", *m.max)}
	}
	m.fx, m.fast = newPercentFixed(m)
	return m, nil
}

func (m *percentageModel) Kind() ModelKind { return ModelPercentage }

// Price is the fee of a single transaction of amount q at the start of the period.
func (m *percentageModel) Price(q decimal.Decimal) decimal.Decimal {
	return m.Delta(decimal.Zero, q)
}

// Delta is the fee of a transaction of amount q when `before` was already transacted.
func (m *percentageModel) Delta(before, q decimal.Decimal) decimal.Decimal {
	if !q.IsPositive() {
		return decimal.Zero
	}
	pct, fees := m.raw(before, q)
	return m.clamp(pct).Add(fees)
}

// raw is the unclamped percentage fee and the tier flat fees of a transaction.
func (m *percentageModel) raw(before, q decimal.Decimal) (pct, fees decimal.Decimal) {
	if len(m.bands) == 0 {
		return q.Mul(m.percent).Shift(-2), decimal.Zero
	}
	return graduatedSum(m.bands, before, before.Add(q), true)
}

func (m *percentageModel) clamp(fee decimal.Decimal) decimal.Decimal {
	if m.min != nil && fee.LessThan(*m.min) {
		return *m.min
	}
	if m.max != nil && fee.GreaterThan(*m.max) {
		return *m.max
	}
	return fee
}

func (m *percentageModel) Explain(q decimal.Decimal) []Part {
	if !q.IsPositive() {
		return nil
	}
	var parts []Part
	if len(m.bands) == 0 {
		parts = append(parts, Part{Description: fmt.Sprintf("%s %% of %s", m.percent, q),
			Quantity: q, UnitPrice: m.percent, Amount: q.Mul(m.percent).Shift(-2)})
	}
	for i, b := range m.bands {
		if q.Cmp(b.lower) <= 0 {
			break
		}
		slice := b.overlap(decimal.Zero, q)
		parts = append(parts, Part{Description: fmt.Sprintf("%s: %s %% of %s", b.describe(i), b.unit, slice),
			Quantity: slice, UnitPrice: b.unit, Amount: slice.Mul(b.unit).Shift(-2)})
		if !b.fee.IsZero() {
			parts = append(parts, Part{Description: b.describe(i) + " flat fee", Quantity: decimal.Zero, UnitPrice: decimal.Zero, Amount: b.fee})
		}
	}
	pct, _ := m.raw(decimal.Zero, q)
	if adj := m.clamp(pct).Sub(pct); !adj.IsZero() {
		desc := "minimum fee adjustment"
		if adj.IsNegative() {
			desc = "maximum fee adjustment"
		}
		parts = append(parts, Part{Description: desc, Quantity: decimal.Zero, UnitPrice: decimal.Zero, Amount: adj})
	}
	return parts
}

func copyDec(d *decimal.Decimal) *decimal.Decimal {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}
