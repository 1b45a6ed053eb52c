package mediation

import (
	"math/bits"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// Normalizer applies each meter's normalization from the catalog: unit conversion
// (quantity × multiply ÷ divide, rounded half away from zero to nine fractional digits when
// not exact) and attribute renames and filters. It is built once from the immutable catalog and
// is safe for concurrent use.
type Normalizer struct {
	meters map[string]*meterNorm
}

type meterNorm struct {
	convert    bool
	mul, div   decimal.Decimal
	mulF, divF rating.Fixed
	fastOK     bool
	rename     map[string]string
	keep, drop map[string]bool
}

// NewNormalizer precomputes every meter's normalization.
func NewNormalizer(c *rating.Catalog) *Normalizer {
	n := &Normalizer{meters: map[string]*meterNorm{}}
	one := decimal.NewFromInt(1)
	for i := range c.Meters {
		m := &c.Meters[i]
		mn := &meterNorm{mul: m.Multiply, div: m.Divide, rename: m.Rename}
		if mn.mul.IsZero() {
			mn.mul = one
		}
		if mn.div.IsZero() {
			mn.div = one
		}
		mn.convert = !mn.mul.Equal(one) || !mn.div.Equal(one)
		var ok1, ok2 bool
		mn.mulF, ok1 = rating.FixedFromDecimal(mn.mul)
		mn.divF, ok2 = rating.FixedFromDecimal(mn.div)
		mn.fastOK = ok1 && ok2 && mn.divF > 0
		mn.keep, mn.drop = nameSet(m.KeepAttributes), nameSet(m.DropAttributes)
		if mn.convert || mn.rename != nil || mn.keep != nil || mn.drop != nil {
			n.meters[m.ID] = mn
		}
	}
	return n
}

func nameSet(names []string) map[string]bool {
	if len(names) == 0 {
		return nil
	}
	s := make(map[string]bool, len(names))
	for _, n := range names {
		s[n] = true
	}
	return s
}

// Normalize converts rec's quantity into its meter's unit and renames and filters its
// attributes in place. Meters without normalization cost one map lookup.
func (n *Normalizer) Normalize(rec *Record) {
	mn := n.meters[rec.Type]
	if mn == nil {
		return
	}
	if mn.convert {
		rec.Quantity = mn.convertQuantity(rec.Quantity)
	}
	if mn.rename == nil && mn.keep == nil && mn.drop == nil {
		return
	}
	out := rec.Attrs[:0]
	for _, a := range rec.Attrs {
		if to, ok := mn.rename[a.Key]; ok {
			a.Key = to
		}
		if (mn.keep != nil && !mn.keep[a.Key]) || mn.drop[a.Key] {
			continue
		}
		out = append(out, a)
	}
	rec.Attrs = out
}

// convertQuantity returns q × mul ÷ div at nine fractional digits: exactly, without allocating,
// when everything fits a Fixed, else through decimals.
func (mn *meterNorm) convertQuantity(q Number) Number {
	if qf, ok := q.Fixed(); ok && mn.fastOK {
		if x, ok := rating.MulFixed(qf, mn.mulF); ok {
			if r, ok := divRoundFixed(x, mn.divF); ok {
				return FixedNumber(r)
			}
		}
	}
	return DecimalNumber(q.Decimal().Mul(mn.mul).DivRound(mn.div, rating.FixedDigits))
}

// divRoundFixed returns x ÷ d (d > 0) rounded half away from zero to Fixed's nine digits.
func divRoundFixed(x, d rating.Fixed) (rating.Fixed, bool) {
	neg := x < 0
	ax := uint64(x)
	if neg {
		ax = uint64(-x)
	}
	hi, lo := bits.Mul64(ax, 1_000_000_000)
	ud := uint64(d)
	if hi >= ud {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, ud)
	if r >= ud-r { // 2r ≥ d without overflow: round half away from zero
		q++
	}
	if q > 1<<63-1 {
		return 0, false
	}
	if neg {
		return rating.Fixed(-int64(q)), true
	}
	return rating.Fixed(q), true
}
