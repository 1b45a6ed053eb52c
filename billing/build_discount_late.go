package billing

import (
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// DiscountKeyPrefix starts the Item.Invoiced key under which the cycle may pass, on a usage
// adjustment item, what a charge-level discount already took off the window: key
// DiscountKeyPrefix + discount id ("discount:five-off-calls"), value the sum of that discount's
// line amounts (≤ 0, rounded) on the issued invoices for the adjustment's Window. Without it,
// Build re-derives the amount from Invoiced[charge].
const DiscountKeyPrefix = "discount:"

// lateFixedDiscounts gives a usage adjustment the part of its charge's fixed discounts the
// window has not used yet. A fixed discount is granted once per window on the window's whole
// amount: the adjustment's line is what the discounts take off the re-rated total (the amount
// invoiced before + this adjustment) minus what they took before. "What they took before" is
// Invoiced[DiscountKeyPrefix+id] when the cycle passes it, else the same discounts applied to
// Invoiced[charge] (the quote's order: percentages, then fixed amounts, capped at the line). So
// 3 calls under a 5.00 discount (3.00 taken) then 10 late calls take the 2.00 left, and a
// window already past the discount takes nothing more.
func (b *invoiceBuilder) lateFixedDiscounts(p *rating.Plan, line *pricedLine, ds []rating.Discount) []pricedLine {
	it := line.item
	before := it.Invoiced[line.ChargeID]
	after := before.Add(line.Amount)
	now, was := b.discountTakes(p, ds, after), b.discountTakes(p, ds, before)
	var out []pricedLine
	for _, d := range rating.OrderDiscounts(ds) {
		if d.Kind == rating.DiscountPercent {
			continue
		}
		took := was[d.ID]
		if v, ok := it.Invoiced[DiscountKeyPrefix+d.ID]; ok {
			took = v.Neg()
		}
		amount := took.Sub(now[d.ID]) // negative: more off; positive: given back
		if amount.IsZero() {
			continue
		}
		dl := b.adjustment(line.mode, p, LineDiscount, d.ID, line.Window, amount, amount)
		dl.ChargeID, dl.item, dl.charge = line.ChargeID, it, true
		dl.Description = describeLateDiscount(p, d, line.ChargeID, took, b.cur)
		out = append(out, dl)
	}
	return out
}

// discountTakes applies a charge's discounts to one rounded amount as chargeDiscounts does to
// a line (percentages of the amount, then fixed amounts, never past it) and returns what each
// discount id takes off (≥ 0, rounded).
func (b *invoiceBuilder) discountTakes(p *rating.Plan, ds []rating.Discount, amount decimal.Decimal) map[string]decimal.Decimal {
	taken := map[string]decimal.Decimal{}
	remaining := amount
	for _, d := range rating.OrderDiscounts(ds) {
		_, off := d.Reduce(amount, remaining, b.cur, p.Rounding)
		remaining = remaining.Add(off)
		taken[d.ID] = taken[d.ID].Sub(off)
	}
	return taken
}
