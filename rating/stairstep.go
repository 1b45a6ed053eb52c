package rating

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// stairstepModel charges one amount for the band the total reaches (capacity pricing): the flat
// fee of the tier with lower < q ≤ upper, and 0 for q = 0. Tiers carry no unit price.
type stairstepModel struct {
	bands []band
	fast  []fixedBand
}

func compileStairstep(spec PriceSpec) (Model, error) {
	if err := checkTiers(spec.Tiers); err != nil {
		return nil, err
	}
	for i, t := range spec.Tiers {
		if !t.UnitPrice.IsZero() {
			return nil, &SpecError{Field: fmt.Sprintf("tiers[%d].unit_price", i),
				Message: "a stairstep tier has no unit price; put the band's amount in flat_fee"}
		}
	}
	bands := newBands(spec.Tiers)
	return &stairstepModel{bands: bands, fast: newFixedBands(bands)}, nil
}

func (m *stairstepModel) Kind() ModelKind { return ModelStairstep }

func (m *stairstepModel) Price(q decimal.Decimal) decimal.Decimal {
	i := reached(m.bands, q)
	if i < 0 {
		return decimal.Zero
	}
	return m.bands[i].fee
}

// Delta is Price(before+q) − Price(before): non-zero only when the event moves the total into
// another band.
func (m *stairstepModel) Delta(before, q decimal.Decimal) decimal.Decimal {
	return m.Price(before.Add(q)).Sub(m.Price(before))
}

// DeltaFixed is Delta in Fixed arithmetic, for before ≥ 0 and q ≥ 0.
func (m *stairstepModel) DeltaFixed(before, q Fixed) (Fixed, bool) {
	if m.fast == nil || before < 0 || q < 0 {
		return 0, false
	}
	after, ok := AddFixed(before, q)
	if !ok {
		return 0, false
	}
	var pa, pb Fixed
	if i := reachedFixed(m.fast, after); i >= 0 {
		pa = m.fast[i].fee
	}
	if i := reachedFixed(m.fast, before); i >= 0 {
		pb = m.fast[i].fee
	}
	return SubFixed(pa, pb)
}

func (m *stairstepModel) Explain(q decimal.Decimal) []Part {
	i := reached(m.bands, q)
	if i < 0 {
		return nil
	}
	return []Part{{Description: m.bands[i].describe(i), Quantity: q, UnitPrice: decimal.Zero, Amount: m.bands[i].fee}}
}
