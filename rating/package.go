package rating

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// packageModel gives FreeUnits first, then charges UnitPrice for every started package of
// PackageSize units: Price(q) = ceil(max(q − free, 0) / size) × price. A started package counts
// whole, so the delta is non-zero only for the event that starts a new package.
type packageModel struct {
	price, size, free decimal.Decimal

	fast                    bool
	priceFx, sizeFx, freeFx Fixed
}

func compilePackage(spec PriceSpec) (Model, error) {
	if err := nonNegative("unit_price", spec.UnitPrice); err != nil {
		return nil, err
	}
	if !spec.PackageSize.IsPositive() {
		return nil, &SpecError{Field: "package_size", Message: "must be greater than 0"}
	}
	if err := nonNegative("free_units", spec.FreeUnits); err != nil {
		return nil, err
	}
	m := &packageModel{price: spec.UnitPrice, size: spec.PackageSize, free: spec.FreeUnits}
	if vals, ok := fixedParams(m.price, m.size, m.free); ok {
		m.fast, m.priceFx, m.sizeFx, m.freeFx = true, vals[0], vals[1], vals[2]
	}
	return m, nil
}

func (m *packageModel) Kind() ModelKind { return ModelPackage }

// packages is the number of started packages for a total of q.
func (m *packageModel) packages(q decimal.Decimal) decimal.Decimal {
	billable := q.Sub(m.free)
	if !billable.IsPositive() {
		return decimal.Zero
	}
	n, rem := billable.QuoRem(m.size, 0)
	if !rem.IsZero() {
		n = n.Add(decimal.NewFromInt(1))
	}
	return n
}

func (m *packageModel) Price(q decimal.Decimal) decimal.Decimal {
	return m.packages(q).Mul(m.price)
}

// Delta is Price(before+q) − Price(before).
func (m *packageModel) Delta(before, q decimal.Decimal) decimal.Decimal {
	return m.Price(before.Add(q)).Sub(m.Price(before))
}

// DeltaFixed is Delta in Fixed arithmetic, for before ≥ 0 and q ≥ 0.
func (m *packageModel) DeltaFixed(before, q Fixed) (Fixed, bool) {
	if !m.fast || before < 0 || q < 0 {
		return 0, false
	}
	after, ok := AddFixed(before, q)
	if !ok {
		return 0, false
	}
	na, nb := m.packagesFixed(after), m.packagesFixed(before)
	return mulInt(m.priceFx, na-nb)
}

func (m *packageModel) packagesFixed(q Fixed) uint64 {
	billable := q - m.freeFx // q ≥ 0 and free ≥ 0: cannot overflow
	if billable <= 0 {
		return 0
	}
	n := uint64(billable / m.sizeFx)
	if billable%m.sizeFx != 0 {
		n++
	}
	return n
}

func (m *packageModel) Explain(q decimal.Decimal) []Part {
	if !q.IsPositive() {
		return nil
	}
	var parts []Part
	if m.free.IsPositive() {
		parts = append(parts, Part{Description: fmt.Sprintf("free units (first %s)", m.free),
			Quantity: decimal.Min(q, m.free), UnitPrice: decimal.Zero, Amount: decimal.Zero})
	}
	if n := m.packages(q); n.IsPositive() {
		noun := "packages"
		if n.Equal(decimal.NewFromInt(1)) {
			noun = "package"
		}
		parts = append(parts, Part{Description: fmt.Sprintf("%s %s of %s", n, noun, m.size),
			Quantity: n, UnitPrice: m.price, Amount: n.Mul(m.price)})
	}
	return parts
}
