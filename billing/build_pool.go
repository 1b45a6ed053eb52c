package billing

import (
	"fmt"

	"github.com/cascade-billing/cascade/rating"
)

// pooled prices a pooled usage charge: the group's total reaches the tiers, the group amount is
// rounded once and allocated to the members by largest remainder (rating.PoolCharge), and this
// subscription's line is its share — so the members' invoices add up exactly to the group line.
// The group comes from Item.Pools[meter] (member id = subscription id); this subscription must be
// in it with the quantity the item carries, or the invoice would bill a share of another total.
func (b *invoiceBuilder) pooled(d *pricedLine, it *Item, p *rating.Plan, ch *rating.Charge, m rating.Model) error {
	members, ok := it.Pools[ch.Meter]
	if !ok {
		return fmt.Errorf("charge %q is pooled (%s) but the item carries no pool members for meter %s (Item.Pools): %w",
			ch.ID, ch.Pool, ch.Meter, ErrInvalid)
	}
	res, err := rating.PoolCharge(m, members, b.cur, p.Rounding)
	if err != nil {
		return fmt.Errorf("charge %q: %v: %w", ch.ID, err, ErrInvalid)
	}
	var share *rating.PoolShare
	for i := range res.Shares {
		if res.Shares[i].ID == it.Subscription {
			share = &res.Shares[i]
		}
	}
	if share == nil {
		return fmt.Errorf("charge %q: pool members of meter %s do not include subscription %s: %w", ch.ID, ch.Meter, it.Subscription, ErrInvalid)
	}
	if q, ok := it.Usage[ch.Meter]; ok && !q.Equal(share.Quantity) {
		return fmt.Errorf("charge %q: usage[%s] = %s but the pool gives this subscription %s: %w", ch.ID, ch.Meter, q, share.Quantity, ErrInvalid)
	}
	d.Quantity, d.Exact, d.Amount, d.Parts = share.Quantity, share.Amount, share.Amount, res.Parts
	if it.Kind == ItemUsageAdjustment {
		before := it.Invoiced[ch.ID]
		d.Kind, d.Parts = LineUsageAdjustment, nil
		d.Exact, d.Amount = d.Exact.Sub(before), d.Amount.Sub(before)
		d.Description = describeAdjustment(b.in.Catalog, it, p, ch, share.Quantity, before, b.cur) +
			fmt.Sprintf(" (pooled: this share of the group's %s %s)", groupDigits(formatMoney(res.Amount, b.cur)), b.cur.Code)
		return nil
	}
	unit := ""
	if mt, ok := b.in.Catalog.Meter(ch.Meter); ok && mt.Unit != "" {
		unit = " " + mt.Unit
	}
	d.Description = fmt.Sprintf("%s — %s, %s: %s%s, pooled with %d members (%s): group total %s%s, group amount %s %s shared by usage",
		planName(p), chargeName(ch), formatRange(it.Window), formatQuantity(share.Quantity), unit, len(members), ch.Pool,
		formatQuantity(res.Total), unit, groupDigits(formatMoney(res.Amount, b.cur)), b.cur.Code)
	return nil
}
