package billing

import (
	"fmt"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// CouponKeyPrefix starts the Item.Invoiced key under which the cycle passes, on the items of a
// coupon period, what the coupon already took off that period on earlier invoices: key
// CouponKeyPrefix + code ("coupon:FIVE3"), value the sum of the subscription's coupon line
// amounts (≤ 0, rounded) with that code whose Window is the items' Period, on issued invoices.
const CouponKeyPrefix = "coupon:"

// couponOff is the discount the coupon grants one coupon period on this invoice. A coupon
// period is a billing period and its items are invoiced twice — the fee in advance at its
// start, its usage and prorations in arrears at its end — so a percentage applies on both
// invoices (to each one's lines of the period), while a fixed amount is one budget for the
// period, spent in invoice order:
//   - when an item of the period carries Invoiced[CouponKeyPrefix+code] (what earlier invoices
//     took), the budget left is the amount plus that (never below zero);
//   - otherwise Build assumes what the items show: an invoice that closes the period (it has
//     the period's usage) gets the fixed amount only when the plan bills nothing in advance
//     (no recurring or one-time charge), since else the invoice at the period's start already
//     carried it; a late-usage adjustment gets none. This loses the rest of the amount when the
//     fee was smaller than it, or when the period had no fee (a trial): the cycle's key is
//     what makes the budget exact.
func (b *invoiceBuilder) couponOff(cp *rating.Coupon, idx int, items []Item) (rating.Discount, error) {
	off := cp.Off
	if off.Kind == rating.DiscountPercent {
		return off, nil
	}
	key := CouponKeyPrefix + cp.Code
	var (
		took                    decimal.Decimal
		known, adjusts, advance bool // advance: it closes a period whose plan bills in advance
	)
	for i := range items {
		it := &items[i]
		if it.Coupon != cp.Code || it.CouponPeriod != idx {
			continue
		}
		if v, ok := it.Invoiced[key]; ok {
			if known && !v.Equal(took) {
				return off, fmt.Errorf("coupon period %d: items disagree on invoiced[%s]: %s and %s: %w", idx, key, took, v, ErrInvalid)
			}
			if v.IsPositive() || !b.cur.IsRounded(v) {
				return off, fmt.Errorf("coupon period %d: invoiced[%s] = %s: want a rounded amount ≤ 0: %w", idx, key, v, ErrInvalid)
			}
			took, known = v, true
		}
		adjusts = adjusts || it.Kind == ItemUsageAdjustment
		if p, ok := b.in.Catalog.PlanVersion(it.PlanID, it.PlanVersion); ok && it.Kind == ItemUsage {
			advance = advance || billsInAdvance(p)
		}
	}
	switch {
	case known:
		off.Value = decimal.Max(off.Value.Add(took), decimal.Zero)
	case adjusts || advance:
		off.Value = decimal.Zero
	}
	return off, nil
}

// billsInAdvance reports whether a plan has a charge invoiced at the start of a period.
func billsInAdvance(p *rating.Plan) bool {
	for _, ch := range p.Charges {
		if ch.Kind == rating.ChargeRecurring || ch.Kind == rating.ChargeOneTime {
			return true
		}
	}
	return false
}
