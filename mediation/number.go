package mediation

import (
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// Number is an exact quantity or amount on the hot path: a rating.Fixed when the value fits
// (nine fractional digits, int64 range), which costs no allocation, else a decimal.Decimal.
// Converting either way is exact; no float is ever involved.
type Number struct {
	fixed rating.Fixed
	dec   decimal.Decimal
	big   bool // dec holds the value; fixed is meaningless
}

// FixedNumber returns f as a Number.
func FixedNumber(f rating.Fixed) Number { return Number{fixed: f} }

// DecimalNumber returns d as a Number, in its Fixed form when d fits.
func DecimalNumber(d decimal.Decimal) Number {
	if f, ok := rating.FixedFromDecimal(d); ok {
		return Number{fixed: f}
	}
	return Number{dec: d, big: true}
}

// Fixed returns the value as a rating.Fixed; ok is false when it does not fit one.
func (n Number) Fixed() (rating.Fixed, bool) { return n.fixed, !n.big }

// Decimal returns the exact value (allocates when the value is held as Fixed).
func (n Number) Decimal() decimal.Decimal {
	if n.big {
		return n.dec
	}
	return n.fixed.Decimal()
}

// Sign is -1, 0 or +1.
func (n Number) Sign() int {
	if n.big {
		return n.dec.Sign()
	}
	switch {
	case n.fixed < 0:
		return -1
	case n.fixed > 0:
		return 1
	}
	return 0
}

// Add returns n + m exactly, in Fixed form when both are and the sum does not overflow.
func (n Number) Add(m Number) Number {
	if !n.big && !m.big {
		if s, ok := rating.AddFixed(n.fixed, m.fixed); ok {
			return Number{fixed: s}
		}
	}
	return DecimalNumber(n.Decimal().Add(m.Decimal()))
}

// Equal reports whether n and m are the same value.
func (n Number) Equal(m Number) bool {
	if !n.big && !m.big {
		return n.fixed == m.fixed
	}
	return n.Decimal().Equal(m.Decimal())
}

// String formats the exact value.
func (n Number) String() string { return n.Decimal().String() }
