package rating

import (
	"errors"
	"fmt"
	"math/big"
	"sort"

	"github.com/shopspring/decimal"
)

// Allocate splits total across weights pro rata, in whole minor units of c, by the largest
// remainder method: every share is first rounded toward zero, and the minor units left over go
// one each to the shares with the largest remainders, ties to the lower index (callers order
// members by id, so ties are deterministic). The shares sum exactly to total (invariant 5: never
// a lost cent).
//
// total must already be a whole number of c's minor units; weights must not be negative. A
// negative total is split like its absolute value and negated, so a credit mirrors its charge.
// All-zero (or no) weights are an error unless total is zero.
func Allocate(total decimal.Decimal, weights []decimal.Decimal, c Currency) ([]decimal.Decimal, error) {
	if !c.IsRounded(total) {
		return nil, fmt.Errorf("allocate %s %s: total has more than %d decimals; round it first", total, c.Code, c.MinorUnits)
	}
	sum := decimal.Zero
	for i, w := range weights {
		if w.IsNegative() {
			return nil, fmt.Errorf("allocate %s %s: weights[%d] = %s is negative", total, c.Code, i, w)
		}
		sum = sum.Add(w)
	}
	shares := make([]decimal.Decimal, len(weights))
	if total.IsZero() {
		for i := range shares {
			shares[i] = decimal.Zero
		}
		return shares, nil
	}
	if sum.IsZero() {
		return nil, fmt.Errorf("allocate %s %s: %w", total, c.Code, ErrNoWeights)
	}

	// Work in integers: units = |total| in minor units; weights scaled to a common exponent.
	units := total.Abs().Shift(c.MinorUnits).BigInt()
	exp := int32(0)
	for _, w := range weights {
		exp = min(exp, w.Exponent())
	}
	w := make([]*big.Int, len(weights))
	for i, wd := range weights {
		w[i] = wd.Shift(-exp).BigInt()
	}
	den := sum.Shift(-exp).BigInt()

	floors := make([]*big.Int, len(weights))
	rems := make([]*big.Int, len(weights))
	left := new(big.Int).Set(units)
	for i := range w {
		num := new(big.Int).Mul(units, w[i])
		floors[i], rems[i] = new(big.Int).QuoRem(num, den, new(big.Int))
		left.Sub(left, floors[i])
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]].Cmp(rems[order[b]]) > 0 })
	one := big.NewInt(1)
	for k := 0; left.Sign() > 0; k++ { // left < len(weights): each remainder is < one unit
		floors[order[k]].Add(floors[order[k]], one)
		left.Sub(left, one)
	}
	for i, f := range floors {
		s := decimal.NewFromBigInt(f, -c.MinorUnits)
		if total.IsNegative() {
			s = s.Neg()
		}
		shares[i] = s
	}
	return shares, nil
}

// ErrNoWeights is returned (wrapped) by Allocate when there is something to split but nothing to
// split it by.
var ErrNoWeights = errors.New("all weights are zero; nothing to allocate by")
