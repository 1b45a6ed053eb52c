package rating

import (
	"math"
	"math/bits"

	"github.com/shopspring/decimal"
)

// FixedDigits is the number of fractional decimal digits a Fixed holds. Nine digits carry the
// finest quantities metering produces (0.000000001 GB) and leave ±9.2e9 of integer range.
const FixedDigits = 9

// fixedOne is 1 as a Fixed.
const fixedOne = 1_000_000_000

// Fixed is an exact decimal number scaled by 10^9 in an int64: Fixed(1_500_000_000) is 1.5.
//
// It exists for the per-record hot path, where shopspring/decimal costs ~870 ns and 16
// allocations per graduated delta; Fixed arithmetic costs a few nanoseconds and none. Every
// operation that could lose a digit or overflow reports ok=false instead, and callers fall back
// to the decimal path, so the fast path is never lossy.
type Fixed int64

// FixedFromDecimal converts d exactly; ok is false when d has more than 9 fractional digits
// (after removing trailing zeros) or does not fit in the int64 range.
func FixedFromDecimal(d decimal.Decimal) (Fixed, bool) {
	exp := d.Exponent()
	if exp >= -FixedDigits && exp <= 0 {
		c := d.Coefficient()
		if !c.IsInt64() {
			return 0, false
		}
		return mulPow10(c.Int64(), FixedDigits+exp)
	}
	scaled := d.Shift(FixedDigits)
	if !scaled.IsInteger() {
		return 0, false
	}
	bi := scaled.BigInt()
	if !bi.IsInt64() {
		return 0, false
	}
	return Fixed(bi.Int64()), true
}

// mulPow10 returns v × 10^n as a Fixed, ok=false on overflow.
func mulPow10(v int64, n int32) (Fixed, bool) {
	for ; n > 0; n-- {
		if v > math.MaxInt64/10 || v < math.MinInt64/10 {
			return 0, false
		}
		v *= 10
	}
	return Fixed(v), true
}

// Decimal converts f to a decimal.Decimal exactly.
func (f Fixed) Decimal() decimal.Decimal { return decimal.New(int64(f), -FixedDigits) }

// String formats f as its exact decimal value.
func (f Fixed) String() string { return f.Decimal().String() }

// ParseFixed parses a plain decimal string ("12", "-0.000001", "3.50") without allocating, for
// decoders on the hot path. ok is false for anything else (exponents, more than 9 fractional
// digits that are not zeros, overflow); such input should be parsed with decimal.NewFromString.
func ParseFixed(s string) (Fixed, bool) {
	if s == "" {
		return 0, false
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	var v uint64
	digits, frac, dot := 0, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !dot:
			dot = true
			continue
		case c < '0' || c > '9':
			return 0, false
		}
		digits++
		if dot {
			frac++
			if frac > FixedDigits {
				if c != '0' {
					return 0, false
				}
				continue
			}
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if digits == 0 {
		return 0, false
	}
	for ; frac < FixedDigits; frac++ {
		if v > math.MaxUint64/10 {
			return 0, false
		}
		v *= 10
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return Fixed(-int64(v)), true // -int64(1<<63) wraps to MinInt64, which is correct
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return Fixed(v), true
}

// AddFixed returns a + b, ok=false on overflow.
func AddFixed(a, b Fixed) (Fixed, bool) {
	s := a + b
	if (s > a) != (b > 0) {
		return 0, false
	}
	return s, true
}

// SubFixed returns a − b, ok=false on overflow.
func SubFixed(a, b Fixed) (Fixed, bool) {
	d := a - b
	if (d < a) != (b > 0) {
		return 0, false
	}
	return d, true
}

// MulFixed returns a × b exactly, ok=false when the product has more than 9 fractional digits or
// overflows. The 128-bit intermediate comes from math/bits, so no precision is lost on the way.
func MulFixed(a, b Fixed) (Fixed, bool) { return mulDiv(a, b, fixedOne) }

// mulDiv returns a × b / div exactly (div > 0), ok=false when the quotient has a remainder or
// does not fit. MulFixed divides by 10^9 to return to Fixed's scale; percentages by 10^11.
func mulDiv(a, b Fixed, div uint64) (Fixed, bool) {
	neg := (a < 0) != (b < 0)
	hi, lo := bits.Mul64(absFixed(a), absFixed(b))
	if hi >= div { // the quotient would not fit in 64 bits (and Div64 would panic)
		return 0, false
	}
	q, r := bits.Div64(hi, lo, div)
	if r != 0 {
		return 0, false
	}
	return signed(q, neg)
}

// mulInt returns f × n for a non-negative integer count n (packages), ok=false on overflow.
func mulInt(f Fixed, n uint64) (Fixed, bool) {
	hi, lo := bits.Mul64(absFixed(f), n)
	if hi != 0 {
		return 0, false
	}
	return signed(lo, f < 0)
}

func absFixed(f Fixed) uint64 {
	if f < 0 {
		return uint64(-f) // -MinInt64 wraps to 1<<63 as uint64, which is its magnitude
	}
	return uint64(f)
}

func signed(mag uint64, neg bool) (Fixed, bool) {
	if neg {
		if mag > 1<<63 {
			return 0, false
		}
		return Fixed(-int64(mag)), true
	}
	if mag > math.MaxInt64 {
		return 0, false
	}
	return Fixed(mag), true
}

// FastModel is the compiled fast form of a model, for the per-record hot path. DeltaFixed
// computes the same exact value as Model.Delta; ok=false means it could not (a value outside
// Fixed's range or precision) and the caller must use Model.Delta with decimals. A compiled
// Model implements FastModel when its kind has a fast form; check with a type assertion.
type FastModel interface {
	DeltaFixed(before, q Fixed) (Fixed, bool)
}

// fixedParams converts a model's parameters to Fixed once, at compile time; ok=false leaves the
// model without a usable fast form (DeltaFixed then always reports ok=false).
func fixedParams(ds ...decimal.Decimal) ([]Fixed, bool) {
	out := make([]Fixed, len(ds))
	for i, d := range ds {
		f, ok := FixedFromDecimal(d)
		if !ok {
			return nil, false
		}
		out[i] = f
	}
	return out, true
}
