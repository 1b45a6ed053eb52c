package billing

import (
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/rating"
)

// grid is one stretch of a subscription's billing calendar: from From on, the boundaries are
// Anchor + k·Every for k ≥ 0, each computed from Anchor (not from the previous boundary) so a
// period anchored on the 31st comes back to the 31st after a short month. A calendar-billed
// subscription that starts between two billing days has From < Anchor: its first period is the
// stub [From, Anchor), prorated against the full period [Anchor − Every, Anchor).
type grid struct {
	From   time.Time
	Anchor time.Time
	Every  rating.BillingPeriod
}

// validBillingPeriod reports whether a plan's billing period can drive a calendar.
func validBillingPeriod(bp rating.BillingPeriod) error {
	if bp.Every < 1 {
		return fmt.Errorf("billing period every %d: want 1 or more: %w", bp.Every, ErrInvalid)
	}
	switch bp.Unit {
	case rating.PeriodDay, rating.PeriodMonth, rating.PeriodYear:
		return nil
	}
	return fmt.Errorf("billing period unit %q: want day, month or year: %w", bp.Unit, ErrInvalid)
}

// newGrid starts a calendar at start. billingDay 0 (anniversary), or a plan billed by the day,
// anchors the periods at start itself; billingDay 1..28 anchors them at 00:00 UTC of that day
// of the month, the first one on or after start.
func newGrid(start time.Time, bp rating.BillingPeriod, billingDay int) grid {
	start = start.UTC()
	if billingDay == 0 || bp.Unit == rating.PeriodDay {
		return grid{From: start, Anchor: start, Every: bp}
	}
	anchor := time.Date(start.Year(), start.Month(), billingDay, 0, 0, 0, 0, time.UTC)
	if anchor.Before(start) {
		anchor = time.Date(start.Year(), start.Month()+1, billingDay, 0, 0, 0, 0, time.UTC)
	}
	return grid{From: start, Anchor: anchor, Every: bp}
}

// AddPeriods returns t moved by n billing periods (n may be negative). Months and years keep
// t's day of the month when the target month has it and clamp to the target month's last day
// otherwise (31 Jan + 1 month = 28 Feb, or 29 Feb in a leap year; 29 Feb + 1 year = 28 Feb),
// and keep the time of day. Always compute from a fixed anchor, never by chaining: chaining
// would drift 31 Jan → 28 Feb → 28 Mar.
func AddPeriods(t time.Time, bp rating.BillingPeriod, n int) time.Time {
	t = t.UTC()
	switch bp.Unit {
	case rating.PeriodDay:
		return t.AddDate(0, 0, n*bp.Every)
	case rating.PeriodYear:
		return calAddMonths(t, 12*n*bp.Every)
	default:
		return calAddMonths(t, n*bp.Every)
	}
}

func calAddMonths(t time.Time, months int) time.Time {
	total := int(t.Month()) - 1 + months
	y := t.Year() + calFloorDiv(total, 12)
	m := time.Month(total - calFloorDiv(total, 12)*12 + 1)
	d := min(t.Day(), monthDays(y, m))
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func monthDays(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

func calFloorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// boundary returns the k-th boundary of the grid (k may be -1 for the stub's full period).
func (g grid) boundary(k int) time.Time { return AddPeriods(g.Anchor, g.Every, k) }

// index returns the k with boundary(k) ≤ t < boundary(k+1), for t at or after the anchor. It
// estimates k from the elapsed time and corrects, so it costs O(1) boundaries, not O(k).
func (g grid) index(t time.Time) int {
	var k int
	switch g.Every.Unit {
	case rating.PeriodDay:
		k = int(t.Sub(g.Anchor).Hours()/24) / g.Every.Every
	case rating.PeriodYear:
		k = (t.Year() - g.Anchor.Year()) / g.Every.Every
	default:
		months := (t.Year()-g.Anchor.Year())*12 + int(t.Month()) - int(g.Anchor.Month())
		k = months / g.Every.Every
	}
	k = max(k-1, 0)
	for !g.boundary(k + 1).After(t) {
		k++
	}
	for k > 0 && g.boundary(k).After(t) {
		k--
	}
	return k
}

// periodAt returns the billing period of the grid that contains t (t ≥ g.From).
func (g grid) periodAt(t time.Time) Period {
	if t.Before(g.Anchor) {
		return Period{From: g.boundary(-1), To: g.Anchor}
	}
	k := g.index(t)
	return Period{From: g.boundary(k), To: g.boundary(k + 1)}
}

// boundariesIn appends the grid's boundaries b with lo < b ≤ hi and b > g.From (a grid's own
// start is a boundary of the stretch before it, or the subscription's start).
func (g grid) boundariesIn(dst []time.Time, lo, hi time.Time) []time.Time {
	if lo.Before(g.From) {
		lo = g.From
	}
	if !hi.After(lo) {
		return dst
	}
	k := 0
	if !lo.Before(g.Anchor) {
		k = g.index(lo)
	}
	for ; ; k++ {
		b := g.boundary(k)
		if b.After(hi) {
			return dst
		}
		if b.After(lo) {
			dst = append(dst, b)
		}
	}
}
