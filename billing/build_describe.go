package billing

import (
	"fmt"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// Line descriptions are written for a finance person reading the invoice, not for a developer:
// plan and charge names, the service window with an inclusive last day, the proration fraction,
// the quantities. They are part of the golden files, so a wording change shows in review.

func planName(p *rating.Plan) string {
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}

func chargeName(ch *rating.Charge) string {
	if ch.Name != "" {
		return ch.Name
	}
	return ch.ID
}

func describeFee(it *Item, p *rating.Plan, ch *rating.Charge, qty decimal.Decimal, prorated bool) string {
	var s strings.Builder
	s.WriteString(planName(p) + " — " + chargeName(ch))
	if ch.PerSeat {
		s.WriteString(" × " + formatQuantity(qty))
	}
	if it.Kind == ItemOneTime {
		s.WriteString(" (one-time)")
		return s.String()
	}
	if it.Kind == ItemProrationCredit {
		s.WriteString(", credit for unused")
	} else {
		s.WriteString(",")
	}
	s.WriteString(" " + formatRange(it.Window))
	if prorated {
		fmt.Fprintf(&s, " (%d of %d days)", it.Days, it.PeriodDays)
	}
	return s.String()
}

func describeUsage(cat *rating.Catalog, it *Item, p *rating.Plan, ch *rating.Charge, total, allowance decimal.Decimal) string {
	unit := ""
	if m, ok := cat.Meter(ch.Meter); ok && m.Unit != "" {
		unit = " " + m.Unit
	}
	s := fmt.Sprintf("%s — %s, %s: %s%s", planName(p), chargeName(ch), formatRange(it.Window), formatQuantity(total), unit)
	if allowance.IsPositive() {
		s += fmt.Sprintf(" (%s included)", formatQuantity(allowance))
	}
	return s
}

func describeAdjustment(cat *rating.Catalog, it *Item, p *rating.Plan, ch *rating.Charge, qty, before decimal.Decimal, cur rating.Currency) string {
	unit := ""
	if m, ok := cat.Meter(ch.Meter); ok && m.Unit != "" {
		unit = " " + m.Unit
	}
	return fmt.Sprintf("%s — %s, late usage for %s: re-rated at %s%s billable, %s invoiced before",
		planName(p), chargeName(ch), formatRange(it.Window), formatQuantity(qty), unit, groupDigits(formatMoney(before, cur)))
}

func describeDiscount(p *rating.Plan, d rating.Discount, charge string, cur rating.Currency, credit bool) string {
	off := d.Value.String() + "% off"
	if d.Kind != rating.DiscountPercent {
		off = groupDigits(formatMoney(d.Value, cur)) + " " + cur.Code + " off"
	}
	target := planName(p)
	if charge != "" {
		target += " " + charge
		if ch, ok := p.Charge(charge); ok {
			target = planName(p) + " — " + chargeName(ch)
		}
	}
	s := fmt.Sprintf("Discount %s: %s %s", d.ID, off, target)
	if credit {
		s += " (given back with the credit)"
	}
	return s
}

func describeCoupon(cp *rating.Coupon, idx int, period Period, cur rating.Currency) string {
	off := cp.Off.Value.String() + "% off"
	if cp.Off.Kind != rating.DiscountPercent {
		off = groupDigits(formatMoney(cp.Off.Value, cur)) + " " + cur.Code + " off"
	}
	n := fmt.Sprintf("billing period %d", idx+1)
	if cp.DurationPeriods > 0 {
		n += fmt.Sprintf(" of %d", cp.DurationPeriods)
	}
	return fmt.Sprintf("Coupon %s: %s, %s (%s)", cp.Code, off, n, formatRange(period))
}

func describeCommitment(p *rating.Plan, period Period, billed decimal.Decimal, cur rating.Currency) string {
	return fmt.Sprintf("%s — minimum commitment true-up, %s: minimum %s %s, charges %s %s",
		planName(p), formatRange(period), groupDigits(formatMoney(p.MinimumCommitment, cur)), cur.Code, groupDigits(formatMoney(billed, cur)), cur.Code)
}

// formatRange prints a half-open window with its last day inclusive: "1 Nov – 30 Nov 2026",
// "15 Dec 2026 – 14 Jan 2027", "1 Nov 2026" for one day. Windows are UTC days.
func formatRange(p Period) string {
	from := p.From.UTC()
	last := p.To.UTC().Add(-time.Nanosecond)
	if !last.After(from) || (from.Year() == last.Year() && from.YearDay() == last.YearDay()) {
		return from.Format("2 Jan 2006")
	}
	if from.Year() == last.Year() {
		return from.Format("2 Jan") + " – " + last.Format("2 Jan 2006")
	}
	return from.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006")
}

// formatMoney prints an amount with exactly the currency's minor digits ("49.00", JPY "3000").
// An amount finer than the minor unit (a catalog price of 0.0002) keeps its digits: it is a
// price, not a payable amount.
func formatMoney(d decimal.Decimal, cur rating.Currency) string {
	if cur.IsRounded(d) {
		return d.StringFixed(cur.MinorUnits)
	}
	return d.String()
}

// formatQuantity groups the integer digits by thousands: 1,250,000.5.
func formatQuantity(d decimal.Decimal) string { return groupDigits(d.String()) }

// groupDigits puts thousands separators into a plain decimal string.
func groupDigits(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var g strings.Builder
	if neg {
		g.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			g.WriteByte(',')
		}
		g.WriteRune(c)
	}
	if frac != "" {
		g.WriteString("." + frac)
	}
	return g.String()
}

// describeLateDiscount names the rest of a fixed charge discount that a usage adjustment takes
// (or gives back), and what the window's earlier invoices took, so the line can be checked.
func describeLateDiscount(p *rating.Plan, d rating.Discount, charge string, took decimal.Decimal, cur rating.Currency) string {
	return describeDiscount(p, d, charge, cur, false) +
		fmt.Sprintf(", after late usage (%s %s taken before)", groupDigits(formatMoney(took, cur)), cur.Code)
}
