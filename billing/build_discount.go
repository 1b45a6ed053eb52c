package billing

import (
	"errors"
	"fmt"
	"sort"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// chargeDiscounts adds the plan's discounts on one charge line, as a quote does: percentages of
// the line's exact amount, then fixed amounts, never past the line's rounded amount. On a
// prorated line a fixed amount is prorated by the same Days ÷ PeriodDays (a prorated line is
// the period's line scaled, discount included). On a negative line (a proration credit, a
// downward adjustment) the discounts mirror, so a credit gives back what was paid, not the list
// price. A usage adjustment takes percentages of its own amount here and, from
// lateFixedDiscounts, what its window's fixed amounts have not taken yet.
func (b *invoiceBuilder) chargeDiscounts(p *rating.Plan, line *pricedLine) []pricedLine {
	var ds []rating.Discount
	for _, d := range p.Discounts {
		if d.Charge != "" && d.Charge == line.ChargeID {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 || line.Amount.IsZero() {
		return nil
	}
	neg := line.Amount.IsNegative()
	base, remaining := line.Exact.Abs(), line.Amount.Abs()
	prorated := line.Kind != LineOneTime && line.item.PeriodDays > 0 && line.item.Days < line.item.PeriodDays
	var out []pricedLine
	for _, d := range rating.OrderDiscounts(ds) {
		if d.Kind != rating.DiscountPercent {
			if line.Kind == LineUsageAdjustment {
				continue // lateFixedDiscounts, below
			}
			if prorated {
				d.Value = d.Value.Mul(decimal.NewFromInt(int64(line.item.Days))).DivRound(decimal.NewFromInt(int64(line.item.PeriodDays)), 18)
			}
		}
		exact, amount := d.Reduce(base, remaining, b.cur, p.Rounding)
		if amount.IsZero() {
			continue
		}
		remaining = remaining.Add(amount)
		if neg {
			exact, amount = exact.Neg(), amount.Neg()
		}
		dl := b.adjustment(line.mode, p, LineDiscount, d.ID, line.Window, exact, amount)
		dl.ChargeID, dl.item, dl.charge = line.ChargeID, line.item, true
		dl.Description = describeDiscount(p, d, line.ChargeID, b.cur, neg)
		out = append(out, dl)
	}
	if line.Kind == LineUsageAdjustment {
		out = append(out, b.lateFixedDiscounts(p, line, ds)...)
	}
	return out
}

// planDiscounts adds each plan version's plan-level discounts on the subtotal of its lines on
// this invoice (after charge-level discounts): percentages of that subtotal (additive), then
// fixed amounts, never taking it below zero. A negative subtotal (a credit-heavy invoice) takes
// the percentages mirrored and no fixed amount: a fixed discount is granted on charges, never
// added to a credit.
func (b *invoiceBuilder) planDiscounts(start int) {
	type key struct {
		id string
		v  int
	}
	var order []key
	plans := map[key]*pricedLine{}
	for i := start; i < len(b.lines); i++ {
		d := &b.lines[i]
		k := key{d.PlanID, d.PlanVersion}
		if _, ok := plans[k]; !ok {
			order = append(order, k)
			plans[k] = d
		}
	}
	for _, k := range order {
		first := *plans[k]
		var ds []rating.Discount
		for _, d := range first.plan.Discounts {
			if d.Charge == "" {
				ds = append(ds, d)
			}
		}
		sub := b.sum(start, func(d *pricedLine) bool { return d.charge && d.PlanID == k.id && d.PlanVersion == k.v })
		if len(ds) == 0 || sub.IsZero() {
			continue
		}
		neg := sub.IsNegative()
		running := sub.Abs()
		for _, d := range rating.OrderDiscounts(ds) {
			if neg && d.Kind != rating.DiscountPercent {
				continue
			}
			exact, amount := d.Reduce(sub.Abs(), running, b.cur, first.mode)
			if amount.IsZero() {
				continue
			}
			running = running.Add(amount)
			if neg {
				exact, amount = exact.Neg(), amount.Neg()
			}
			dl := b.adjustment(first.mode, first.plan, LineDiscount, d.ID, b.in.Period, exact, amount)
			dl.Description = describeDiscount(first.plan, d, "", b.cur, neg)
			b.lines = append(b.lines, dl)
		}
	}
}

// coupons applies the subscription's coupon once per coupon period present on the invoice
// whose Coupon.Check passes: a percentage of that period's lines (after charge-level discounts)
// or what is left of the period's fixed amount (couponOff), never more than those lines nor
// than the subscription's running total. A period past the coupon's duration gets no line,
// which is how a "3 periods" coupon stops.
func (b *invoiceBuilder) coupons(start int, items []Item) error {
	code := ""
	for _, it := range items {
		if it.Coupon != "" && code != "" && it.Coupon != code {
			return fmt.Errorf("items carry two coupons %q and %q: %w", code, it.Coupon, ErrInvalid)
		}
		if it.Coupon != "" {
			code = it.Coupon
		}
	}
	if code == "" {
		return nil
	}
	cp, ok := b.in.Catalog.Coupon(code)
	if !ok {
		return fmt.Errorf("coupon %q: %w: %w", code, ErrNotFound, rating.ErrUnknownCoupon)
	}
	at := map[int]Item{}
	var periods []int
	for _, it := range items {
		if _, seen := at[it.CouponPeriod]; it.Coupon != "" && !seen {
			at[it.CouponPeriod] = it
			periods = append(periods, it.CouponPeriod)
		}
	}
	sort.Ints(periods)
	for _, cpIdx := range periods {
		if err := cp.Check(at[cpIdx].CouponAt, 0, cpIdx); errors.Is(err, rating.ErrCouponEnded) {
			continue
		} else if err != nil {
			return fmt.Errorf("coupon period %d: %w: %w", cpIdx, ErrInvalid, err)
		}
		var first *pricedLine
		base := b.sum(start, func(d *pricedLine) bool {
			ok := d.charge && d.item.Coupon == code && d.item.CouponPeriod == cpIdx && cp.AppliesTo(d.PlanID)
			if ok && first == nil {
				first = d
			}
			return ok
		})
		remaining := decimal.Min(base, b.sum(start, nil))
		if !base.IsPositive() || !remaining.IsPositive() {
			continue
		}
		off, err := b.couponOff(cp, cpIdx, items)
		if err != nil {
			return err
		}
		exact, amount := off.Reduce(base, remaining, b.cur, first.mode)
		if amount.IsZero() {
			continue
		}
		dl := b.adjustment(first.mode, first.plan, LineCoupon, code, first.item.Period, exact, amount)
		dl.Description = describeCoupon(cp, cpIdx, first.item.Period, b.cur)
		b.lines = append(b.lines, dl)
	}
	return nil
}

// adjustment starts a discount, coupon or commitment line.
func (b *invoiceBuilder) adjustment(mode rating.RoundingMode, p *rating.Plan, kind LineKind, ref string, w Period, exact, amount decimal.Decimal) pricedLine {
	l := Line{Kind: kind, Subscription: b.sub, Ref: ref, Window: w, Quantity: decimal.Zero, Allowance: decimal.Zero,
		UnitPrice: decimal.Zero, Exact: exact, Amount: amount}
	if p != nil {
		l.PlanID, l.PlanVersion = p.ID, p.Version
	}
	return pricedLine{Line: l, mode: mode, plan: p}
}
