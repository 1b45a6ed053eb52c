package billing

import (
	"fmt"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// CommitmentRef is the Ref of a minimum-commitment true-up line, and the Item.Invoiced key under
// which a usage adjustment passes the true-up an earlier invoice billed for its period.
const CommitmentRef = "minimum_commitment"

// commitments adds the minimum-commitment true-up of every usage item that closes a whole
// period (Commitment): the plan's minimum minus the period's charges after charge-level
// discounts. The period's recurring fees were billed in advance on an earlier invoice, so when
// they are not on this one they are re-priced (full period, the item's seats) and counted. A
// Commitment item closes a period paid from its first day, so its in-advance fee is the
// recurring item whose window starts at the period's start; prorated change items of the period
// start later and count as the period's charges, not as its fee.
func (b *invoiceBuilder) commitments(start int, items []Item) error {
	seen := map[string]bool{}
	for i := range items {
		it := &items[i]
		if !it.Commitment || it.Kind != ItemUsage && it.Kind != ItemUsageAdjustment {
			continue
		}
		p, pl, err := b.plan(it)
		if err != nil {
			return err
		}
		if it.Kind == ItemUsageAdjustment {
			if err := b.recommit(start, it, p, pl); err != nil {
				return fmt.Errorf("commitment of plan %q after late usage: %w", p.ID, err)
			}
			continue
		}
		k := fmt.Sprintf("%s@%d@%d@%d", p.ID, p.Version, it.Period.From.UnixNano(), it.Period.To.UnixNano())
		if !p.MinimumCommitment.IsPositive() || seen[k] {
			continue
		}
		seen[k] = true
		samePeriod := func(x *Item) bool {
			return x.PlanID == p.ID && x.PlanVersion == p.Version && x.Period.From.Equal(it.Period.From) && x.Period.To.Equal(it.Period.To)
		}
		base := b.sum(start, func(d *pricedLine) bool { return d.charge && samePeriod(d.item) })
		// Only the fee of the whole period, billed at its start, is the in-advance fee: a
		// prorated change's recurring item of the same period (window from the change) is not,
		// and its lines are already in base with their credits.
		billed := false
		for j := range items {
			x := &items[j]
			billed = billed || (x.Kind == ItemRecurring && samePeriod(x) && x.Window.From.Equal(it.Period.From))
		}
		if !billed {
			inAdvance, err := b.recurringValue(it, p, pl)
			if err != nil {
				return fmt.Errorf("commitment of plan %q: %w", p.ID, err)
			}
			base = base.Add(inAdvance)
		}
		short := p.MinimumCommitment.Sub(base)
		if !short.IsPositive() {
			continue
		}
		dl := b.adjustment(p.Rounding, p, LineCommitment, CommitmentRef, it.Window, short, b.cur.Round(short, p.Rounding))
		dl.Description = describeCommitment(p, it.Period, base, b.cur)
		b.lines = append(b.lines, dl)
	}
	return nil
}

// recurringValue re-prices a plan's recurring charges for a whole period after charge-level
// discounts: what the in-advance invoice of that period billed.
func (b *invoiceBuilder) recurringValue(usage *Item, p *rating.Plan, pl *rating.PriceList) (decimal.Decimal, error) {
	sum := decimal.Zero
	for _, ch := range p.Charges {
		if ch.Kind != rating.ChargeRecurring {
			continue
		}
		it := Item{Subscription: usage.Subscription, Kind: ItemRecurring, PlanID: p.ID, PlanVersion: p.Version,
			ChargeID: ch.ID, Window: usage.Period, Period: usage.Period, Seats: usage.Seats, PriceList: usage.PriceList}
		lines, err := b.price(&it, p, pl)
		if err != nil {
			return decimal.Zero, err
		}
		for _, l := range lines {
			sum = sum.Add(l.Amount)
		}
	}
	return sum, nil
}

// recommit re-computes a period's true-up after late usage (an adjustment item with
// Commitment) and bills the difference to the true-up billed before (Invoiced[CommitmentRef]).
// Without it, late usage on a period that was topped up to its minimum would be billed on top
// of the top-up, charging it twice.
//
// A positive true-up billed before says exactly what the period was charged: the minimum minus
// it (the true-up is that shortfall), prorated changes and every fee included. So the new
// charges are those plus what this adjustment's lines move (after charge-level discounts), and
// the new true-up is max(before − moved, 0). The same holds when nothing is left to top up
// (before = 0: earlier late usage filled the minimum) and the late usage only adds. A downward
// adjustment of a period already at its minimum cannot tell how far above it the period was,
// nor can an item without the key (no true-up billed); then the period is re-priced from
// scratch (its fees for a whole period with the item's seats, plus its re-rated usage), which
// does not see prorated changes made inside the period.
func (b *invoiceBuilder) recommit(start int, it *Item, p *rating.Plan, pl *rating.PriceList) error {
	if !p.MinimumCommitment.IsPositive() {
		return nil
	}
	before, known := it.Invoiced[CommitmentRef]
	moved := b.sum(start, func(d *pricedLine) bool { return d.charge && d.item == it })
	var value decimal.Decimal
	if known && (before.IsPositive() || before.IsZero() && !moved.IsNegative()) {
		value = p.MinimumCommitment.Sub(before).Add(moved)
	} else {
		var err error
		if value, err = b.periodValue(it, p, pl); err != nil {
			return err
		}
	}
	short := decimal.Max(p.MinimumCommitment.Sub(value), decimal.Zero)
	diff := b.cur.Round(short, p.Rounding).Sub(before)
	if diff.IsZero() {
		return nil
	}
	dl := b.adjustment(p.Rounding, p, LineCommitment, CommitmentRef, it.Window, short.Sub(before), diff)
	dl.Description = describeCommitment(p, it.Period, value, b.cur) +
		fmt.Sprintf(", re-computed after late usage (%s billed before)", groupDigits(formatMoney(before, b.cur)))
	b.lines = append(b.lines, dl)
	return nil
}

// periodValue re-prices a whole period from scratch: its recurring fees for the whole period
// with the item's seats, plus its usage re-rated from the item's quantities, after charge-level
// discounts. It does not see prorated changes made inside the period.
func (b *invoiceBuilder) periodValue(it *Item, p *rating.Plan, pl *rating.PriceList) (decimal.Decimal, error) {
	full := *it
	full.Kind, full.Invoiced = ItemUsage, nil
	lines, err := b.price(&full, p, pl)
	if err != nil {
		return decimal.Zero, err
	}
	value, err := b.recurringValue(it, p, pl)
	if err != nil {
		return decimal.Zero, err
	}
	for _, l := range lines {
		value = value.Add(l.Amount)
	}
	return value, nil
}
