package rating

import "github.com/shopspring/decimal"

// UsageDelta is the exact, unrounded amount one usage event of quantity q adds to a usage
// charge whose meter total for the period was `before` (totals as metered, before the
// allowance). m is the charge's model as priced for the subscription (ChargeModel, so a price
// list override is honoured).
//
// The allowance is applied to the running total, exactly as Quote applies it to the period
// total, so for any split of a period's usage into events the deltas sum to the quote's usage
// line Exact (DESIGN.md invariant 2). Events that stay inside the allowance add nothing.
func (ch *Charge) UsageDelta(m Model, before, q decimal.Decimal) decimal.Decimal {
	from := ch.billable(before)
	to := ch.billable(before.Add(q))
	if to.Equal(from) {
		return decimal.Zero
	}
	return m.Delta(from, to.Sub(from))
}

// billable is the part of a meter total that is priced: what exceeds the allowance.
func (ch *Charge) billable(total decimal.Decimal) decimal.Decimal {
	if ch.Allowance.IsZero() {
		return total
	}
	if total.LessThanOrEqual(ch.Allowance) {
		return decimal.Zero
	}
	return total.Sub(ch.Allowance)
}
