package chaos

import (
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// Calendar places a scenario's usage on the wall clock, which `cascade serve` runs on. Usage
// falls in the previous calendar month (customers bill on day 1 of the month), so its period
// has ended whatever the date, and no earlier than mediation's acceptance window allows
// (35 days back; Calendar keeps two days of margin for a long run).
type Calendar struct {
	// Now is when the calendar was made.
	Now time.Time
	// Month is the billed period: the previous calendar month, [first of it, first of this).
	Month ledger.Period
	// Usage is where the stream's event times fall: inside Month and newer than Now − 33 days.
	Usage ledger.Period
	// Start is every subscription's start (Month.From).
	Start time.Time
	// AsOf is the as_of of every cycle the suites run: at or before any later now, and the same
	// for a baseline and a chaos run, so their invoices can be compared field by field.
	AsOf time.Time
	// TooOld and InFuture are event times mediation must reject (too_old, in_future).
	TooOld, InFuture time.Time
}

// acceptance is how far back Calendar puts usage: mediation accepts 35 days (its default late
// window); two days stay spare so that a long chaos run never crosses the edge.
const acceptance = 33 * 24 * time.Hour

// NewCalendar returns the calendar of a run starting at now.
func NewCalendar(now time.Time) Calendar {
	now = now.UTC().Truncate(time.Second)
	this := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	month := ledger.Period{From: this.AddDate(0, -1, 0), To: this}
	from := month.From
	if edge := now.Add(-acceptance).Truncate(time.Minute).Add(time.Minute); edge.After(from) {
		from = edge
	}
	return Calendar{
		Now:      now,
		Month:    month,
		Usage:    ledger.Period{From: from, To: month.To.Add(-time.Minute)},
		Start:    month.From,
		AsOf:     now,
		TooOld:   now.Add(-40 * 24 * time.Hour),
		InFuture: now.Add(2 * time.Hour),
	}
}
