package billing

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// price turns one item into its charge lines, each followed by its charge-level discounts.
func (b *invoiceBuilder) price(it *Item, p *rating.Plan, pl *rating.PriceList) ([]pricedLine, error) {
	if it.Seats.IsNegative() {
		return nil, fmt.Errorf("seats = %s: must not be negative: %w", it.Seats, ErrInvalid)
	}
	switch it.Kind {
	case ItemRecurring, ItemProrationCredit, ItemOneTime:
		d, err := b.fee(it, p, pl)
		if err != nil {
			return nil, err
		}
		return append([]pricedLine{d}, b.chargeDiscounts(p, &d)...), nil
	case ItemUsage, ItemUsageAdjustment:
		return b.usage(it, p, pl)
	}
	return nil, fmt.Errorf("item kind %q: %w", it.Kind, ErrInvalid)
}

// fee prices a recurring, one-time or proration-credit item: the charge (flat, or per seat) ×
// Days ÷ PeriodDays when prorated, the division carried to 18 decimals, rounded once.
func (b *invoiceBuilder) fee(it *Item, p *rating.Plan, pl *rating.PriceList) (pricedLine, error) {
	ch, ok := p.Charge(it.ChargeID)
	if !ok {
		return pricedLine{}, fmt.Errorf("charge %q: %w", it.ChargeID, ErrNotFound)
	}
	want := rating.ChargeRecurring
	if it.Kind == ItemOneTime {
		want = rating.ChargeOneTime
	}
	if ch.Kind != want {
		return pricedLine{}, fmt.Errorf("charge %q is %s, a %s item needs a %s charge: %w", ch.ID, ch.Kind, it.Kind, want, ErrInvalid)
	}
	prorated, err := buildProrated(it)
	if err != nil {
		return pricedLine{}, err
	}
	m := rating.ChargeModel(p, ch, pl)
	qty := decimal.NewFromInt(1)
	if ch.PerSeat && !it.Seats.IsZero() {
		qty = it.Seats
	}
	exact := m.Price(qty)
	if prorated {
		exact = exact.Mul(decimal.NewFromInt(int64(it.Days))).DivRound(decimal.NewFromInt(int64(it.PeriodDays)), 18)
	}
	kind := LineKind(it.Kind)
	if it.Kind == ItemProrationCredit {
		exact = exact.Neg()
	}
	d := b.lineFor(it, p, kind, ch.ID)
	d.Window, d.Quantity, d.Exact = it.Window, qty, exact
	d.Amount = b.cur.Round(exact, p.Rounding)
	if m.Kind() == rating.ModelPerUnit || qty.Equal(decimal.NewFromInt(1)) {
		d.UnitPrice = m.Price(decimal.NewFromInt(1))
	}
	d.Description = describeFee(it, p, ch, qty, prorated)
	return d, nil
}

// buildProrated validates Days/PeriodDays and says whether the item is prorated.
func buildProrated(it *Item) (bool, error) {
	switch {
	case it.Kind == ItemOneTime:
		return false, nil
	case it.Days == 0 && it.PeriodDays == 0:
		return false, nil
	case it.PeriodDays <= 0 || it.Days <= 0 || it.Days > it.PeriodDays:
		return false, fmt.Errorf("days %d of period_days %d: want 0 < days ≤ period_days: %w", it.Days, it.PeriodDays, ErrInvalid)
	}
	return it.Days < it.PeriodDays, nil
}

// usage prices every usage charge of the plan from the item's Usage (a missing meter is 0), or
// from the item's pool for a pooled charge. An adjustment item bills the rounded re-rated amount
// minus what was invoiced before, and skips charges that did not move.
func (b *invoiceBuilder) usage(it *Item, p *rating.Plan, pl *rating.PriceList) ([]pricedLine, error) {
	if err := b.checkUsage(it, p); err != nil {
		return nil, err
	}
	var out []pricedLine
	for _, ch := range p.Charges {
		if ch.Kind != rating.ChargeUsage {
			continue
		}
		m := rating.ChargeModel(p, ch, pl)
		d := b.lineFor(it, p, LineUsage, ch.ID)
		d.Meter, d.Window = ch.Meter, it.Window
		if m.Kind() == rating.ModelPerUnit {
			d.UnitPrice = m.Price(decimal.NewFromInt(1))
		}
		if ch.Pool != rating.PoolNone {
			if err := b.pooled(&d, it, p, ch, m); err != nil {
				return nil, err
			}
		} else {
			b.metered(&d, it, p, ch, m)
		}
		if d.Kind == LineUsageAdjustment && d.Amount.IsZero() {
			continue // late usage that did not change this charge
		}
		out = append(out, d)
		out = append(out, b.chargeDiscounts(p, &out[len(out)-1])...)
	}
	return out, nil
}

// metered prices one subscription's own quantity of a usage charge: the allowance first, then
// the model's exact price, rounded once; an adjustment keeps the difference to what was invoiced.
func (b *invoiceBuilder) metered(d *pricedLine, it *Item, p *rating.Plan, ch *rating.Charge, m rating.Model) {
	total := it.Usage[ch.Meter]
	d.Allowance = decimal.Min(total, ch.Allowance)
	d.Quantity = total.Sub(d.Allowance)
	d.Exact = m.Price(d.Quantity)
	if PerTransaction(ch) {
		d.Exact = it.Fees[ch.ID] // Σ of each transaction's fee, min/max applied per transaction
	}
	d.Amount = b.cur.Round(d.Exact, p.Rounding)
	if it.Kind == ItemUsageAdjustment {
		before := it.Invoiced[ch.ID]
		d.Kind = LineUsageAdjustment
		d.Exact, d.Amount = d.Exact.Sub(before), d.Amount.Sub(before)
		d.Description = describeAdjustment(b.in.Catalog, it, p, ch, d.Quantity, before, b.cur)
		return
	}
	if k := m.Kind(); k != rating.ModelPerUnit && k != rating.ModelFlat && !PerTransaction(ch) {
		d.Parts = m.Explain(d.Quantity) // tiers or packages touched; one rate needs no breakdown
	}
	d.Description = describeUsage(b.in.Catalog, it, p, ch, total, d.Allowance)
}

// checkUsage rejects quantities the plan cannot price: a meter no usage charge prices (the
// cycle read the wrong meters), a negative total, or an invoiced amount finer than the currency.
func (b *invoiceBuilder) checkUsage(it *Item, p *rating.Plan) error {
	priced, pooled := map[string]bool{}, map[string]bool{}
	for _, ch := range p.Charges {
		if ch.Kind == rating.ChargeUsage {
			priced[ch.Meter] = true
			pooled[ch.Meter] = ch.Pool != rating.PoolNone
		}
	}
	for _, m := range buildSortedKeys(it.Usage) {
		q := it.Usage[m]
		if !priced[m] {
			return fmt.Errorf("usage[%s]: meter not priced by plan %q version %d: %w", m, p.ID, p.Version, ErrInvalid)
		}
		if q.IsNegative() {
			return fmt.Errorf("usage[%s] = %s: must not be negative: %w", m, q, ErrInvalid)
		}
	}
	for _, m := range buildSortedMembers(it.Pools) {
		if !pooled[m] {
			return fmt.Errorf("pools[%s]: no pooled charge of plan %q version %d prices this meter: %w", m, p.ID, p.Version, ErrInvalid)
		}
	}
	for _, c := range buildSortedKeys(it.Invoiced) {
		v := it.Invoiced[c]
		if !b.cur.IsRounded(v) {
			return fmt.Errorf("invoiced[%s] = %s: not a rounded amount: %w", c, v, ErrInvalid)
		}
		if v.IsPositive() && (strings.HasPrefix(c, DiscountKeyPrefix) || strings.HasPrefix(c, CouponKeyPrefix)) {
			return fmt.Errorf("invoiced[%s] = %s: what a discount took is ≤ 0: %w", c, v, ErrInvalid)
		}
	}
	return nil
}

// lineFor starts a line priced from an item.
func (b *invoiceBuilder) lineFor(it *Item, p *rating.Plan, kind LineKind, charge string) pricedLine {
	return pricedLine{
		Line: Line{Kind: kind, Subscription: it.Subscription, PlanID: p.ID, PlanVersion: p.Version, ChargeID: charge,
			Quantity: decimal.Zero, Allowance: decimal.Zero, UnitPrice: decimal.Zero, Exact: decimal.Zero, Amount: decimal.Zero},
		mode: p.Rounding, plan: p, item: it, charge: true,
	}
}

// buildSortedKeys returns a map's keys sorted, so errors name the same key on every run.
func buildSortedKeys(m map[string]decimal.Decimal) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func buildSortedMembers(m map[string][]rating.PoolMember) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
