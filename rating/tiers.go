package rating

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// band is a validated tier with its lower bound made explicit, so that every tiered model reads
// the (lower, upper] rule the same way.
type band struct {
	lower   decimal.Decimal
	upper   decimal.Decimal // meaningless when !bounded
	bounded bool
	unit    decimal.Decimal
	fee     decimal.Decimal
}

// newBands turns tiers that passed checkTiers into bands.
func newBands(tiers []Tier) []band {
	bands := make([]band, len(tiers))
	lower := decimal.Zero
	for i, t := range tiers {
		b := band{lower: lower, unit: t.UnitPrice, fee: t.FlatFee}
		if t.UpTo != nil {
			b.upper, b.bounded = *t.UpTo, true
			lower = *t.UpTo
		}
		bands[i] = b
	}
	return bands
}

// reached returns the index of the band with lower < q ≤ upper, or -1 when q ≤ 0 (no band entered).
func reached(bands []band, q decimal.Decimal) int {
	if !q.IsPositive() {
		return -1
	}
	for i, b := range bands {
		if !b.bounded || q.Cmp(b.upper) <= 0 {
			return i
		}
	}
	return len(bands) - 1 // unreachable: the last band is unbounded
}

// overlap is the quantity of b lying in (from, to]; zero when they do not meet.
func (b band) overlap(from, to decimal.Decimal) decimal.Decimal {
	lo := decimal.Max(from, b.lower)
	hi := to
	if b.bounded && b.upper.LessThan(hi) {
		hi = b.upper
	}
	if hi.Cmp(lo) <= 0 {
		return decimal.Zero
	}
	return hi.Sub(lo)
}

// entered reports whether a move of the total from `from` to `to` (from ≤ to) first enters b,
// i.e. crosses its lower bound; the band's flat fee is charged by that move.
func (b band) entered(from, to decimal.Decimal) bool {
	return from.Cmp(b.lower) <= 0 && to.GreaterThan(b.lower)
}

// describe names band i the way an invoice line shows it: "tier 2 (100 < q ≤ 1000)".
func (b band) describe(i int) string {
	switch {
	case !b.bounded:
		return fmt.Sprintf("tier %d (q > %s)", i+1, b.lower)
	case b.lower.IsZero():
		return fmt.Sprintf("tier %d (0 < q ≤ %s)", i+1, b.upper)
	default:
		return fmt.Sprintf("tier %d (%s < q ≤ %s)", i+1, b.lower, b.upper)
	}
}

// graduatedSum is the graduated amount of moving the total from `from` to `to` (from ≤ to): the
// units of each band in (from, to] at the band's price, plus the fee of each band entered.
// With percent, unit prices are percentages (2.5 = 2.5 %) and the unit amounts are divided by 100.
func graduatedSum(bands []band, from, to decimal.Decimal, percent bool) (units, fees decimal.Decimal) {
	units, fees = decimal.Zero, decimal.Zero
	for _, b := range bands {
		if b.bounded && b.upper.Cmp(from) <= 0 {
			continue
		}
		if to.Cmp(b.lower) <= 0 {
			break
		}
		u := b.overlap(from, to).Mul(b.unit)
		if percent {
			u = u.Shift(-2)
		}
		units = units.Add(u)
		if b.entered(from, to) {
			fees = fees.Add(b.fee)
		}
	}
	return units, fees
}
