package rating

import "github.com/shopspring/decimal"

// DiscountKind says how a discount's value is read.
type DiscountKind string

// The discount kinds.
const (
	DiscountPercent DiscountKind = "percent" // Value is a percentage of the base (10 = 10 %)
	DiscountAmount  DiscountKind = "amount"  // Value is a fixed amount in the plan's currency
)

// Discount is a reduction declared by a plan (on one charge or on the whole plan) or granted by
// a coupon. Discounts become explicit negative lines so an invoice shows what was taken off.
type Discount struct {
	ID string
	// Charge names the charge the discount applies to; empty: the whole plan.
	Charge string
	Kind   DiscountKind
	Value  decimal.Decimal
}

// reduction computes one discount line: exact is the unrounded (negative or zero) discount and
// amount the same rounded once to the currency. pctBase is what a percentage applies to and
// remaining the (rounded, non-negative) amount left to discount: the result never takes more
// than remaining, which is how every total stays ≥ 0. remaining must already be at the
// currency's minor unit; Round is monotone and odd, so rounding cannot push past it.
func reduction(d Discount, pctBase, remaining decimal.Decimal, cur Currency, mode RoundingMode) (exact, amount decimal.Decimal) {
	if !remaining.IsPositive() {
		return decimal.Zero, decimal.Zero
	}
	var off decimal.Decimal
	switch d.Kind {
	case DiscountPercent:
		off = pctBase.Mul(d.Value).Shift(-2) // exact: a percentage of a decimal is a decimal
	default:
		off = d.Value
	}
	if off.GreaterThan(remaining) {
		off = remaining
	}
	if off.IsNegative() {
		off = decimal.Zero
	}
	return off.Neg(), cur.Round(off, mode).Neg()
}

// orderDiscounts returns percentage discounts first, then fixed amounts, each group in
// declaration order: the documented order, so a fixed amount never shrinks a percentage's base
// differently depending on how the file was written.
func orderDiscounts(ds []Discount) []Discount {
	out := make([]Discount, 0, len(ds))
	for _, d := range ds {
		if d.Kind == DiscountPercent {
			out = append(out, d)
		}
	}
	for _, d := range ds {
		if d.Kind != DiscountPercent {
			out = append(out, d)
		}
	}
	return out
}

// Reduce computes what the discount takes off, for callers outside the quote (billing applies
// plan discounts and coupons to invoice lines the same way a quote does): exact is the
// unrounded discount (≤ 0) and amount the same rounded once to the currency. A percentage applies
// to pctBase; the discount never takes more than remaining (the rounded amount left, ≥ 0).
func (d Discount) Reduce(pctBase, remaining decimal.Decimal, cur Currency, mode RoundingMode) (exact, amount decimal.Decimal) {
	return reduction(d, pctBase, remaining, cur, mode)
}

// OrderDiscounts returns the discounts in the documented order: percentages first, then fixed
// amounts, each group in declaration order.
func OrderDiscounts(ds []Discount) []Discount { return orderDiscounts(ds) }
