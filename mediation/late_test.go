package mediation_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// TestLateEventsForClosedPeriod follows the late-event policy (docs/usage-records.md): after
// October's invoices were cut, an October event within the late window is still accepted and
// rated into October's running total — so October's deltas keep summing to the re-rated
// October total — and is counted late_closed_period; an event older than the late window is
// rejected too_old; a late re-send is a duplicate; November events are not late.
func TestLateEventsForClosedPeriod(t *testing.T) {
	type ev struct {
		id, at, qty string
		want        string // accepted, late, duplicate or a reason code
	}
	phases := []struct {
		name   string
		closed bool // October's invoices cut before this phase
		events []ev
	}{
		{"before the close", false, []ev{
			{"o1", "2026-10-28T09:00:00Z", "800", "accepted"},
			{"o2", "2026-10-30T23:59:59Z", "700", "accepted"},
			{"n1", "2026-11-02T10:00:00Z", "300", "accepted"},
		}},
		{"after the close", true, []ev{
			{"o3", "2026-10-31T12:00:00Z", "600", "late"},
			{"o4", "2026-10-31T23:59:59.999Z", "0.5", "late"},
			{"o1", "2026-10-28T09:00:00Z", "800", "duplicate"},
			{"old", "2026-10-10T10:00:00Z", "5", mediation.ReasonTooOld}, // before now − 35 days
			{"n2", "2026-11-20T10:00:00Z", "100", "accepted"},
		}},
	}
	ledger := mediationtest.NewLedger()
	p, dir := newPipeline(t, ledger, ledger)
	var offset int64
	want := map[string]int64{}
	usage := map[time.Month]decimal.Decimal{} // what each month's accepted api_calls add up to
	late := map[string]bool{}
	for _, ph := range phases {
		if ph.closed {
			dir.CloseUntil(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
		}
		var raws [][]byte
		for _, e := range ph.events {
			raws = append(raws, event(e.id, "api_calls", "cust-a", e.at, `{"quantity":"`+e.qty+`"}`))
			want[e.want]++
			if e.want == "accepted" || e.want == "late" {
				at, _ := time.Parse(time.RFC3339Nano, e.at)
				usage[at.Month()] = usage[at.Month()].Add(decimal.RequireFromString(e.qty))
				late[e.id] = e.want == "late"
			}
		}
		if err := p.Handle(context.Background(), messages(0, offset, raws...)); err != nil {
			t.Fatalf("%s: %v", ph.name, err)
		}
		offset += int64(len(raws))
	}

	s := p.Counters().Snapshot()
	if s.Accepted != want["accepted"]+want["late"] || s.LateClosedPeriod != want["late"] ||
		s.Duplicate != want["duplicate"] || s.Rejected[mediation.ReasonTooOld] != want[mediation.ReasonTooOld] ||
		s.Consumed != s.Accepted+s.Duplicate+s.RejectedTotal() {
		t.Errorf("counters %+v, want accepted %d (late %d), duplicate %d, too_old %d",
			s, want["accepted"]+want["late"], want["late"], want["duplicate"], want[mediation.ReasonTooOld])
	}
	rows := ledger.Usage()
	if len(rows) != len(late) {
		t.Errorf("ledger holds %d usage rows, want %d", len(rows), len(late))
	}
	for _, u := range rows {
		if isLate, ok := late[u.Record.ID]; !ok || u.Closed != isLate {
			t.Errorf("usage row %s (period %s): Closed = %v, want %v", u.Record.ID, u.PeriodStart.Format("2006-01"), u.Closed, isLate)
		}
	}

	// Per period, the deltas sum to the quote's usage line for the period's whole total: the
	// late events continued October's running total instead of starting a new one.
	cat := loadCatalog(t)
	sums := map[time.Month]decimal.Decimal{}
	for _, d := range ledger.Deltas() {
		if d.Charge == "calls" {
			sums[d.PeriodStart.Month()] = sums[d.PeriodStart.Month()].Add(d.Amount.Decimal())
		}
	}
	for month, total := range usage {
		q, err := cat.Quote(rating.QuoteInput{PlanID: "pro", At: time.Date(2026, month, 1, 0, 0, 0, 0, time.UTC),
			Usage: map[string]decimal.Decimal{"api_calls": total}})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, line := range q.Lines {
			if line.Kind == rating.LineUsage && line.ChargeID == "calls" {
				found = true
				if !sums[month].Equal(line.Exact) {
					t.Errorf("%s: calls deltas sum to %s, the quote for the period total %s is %s", month, sums[month], total, line.Exact)
				}
			}
		}
		if !found {
			t.Fatalf("%s: the quote has no calls line", month)
		}
	}

	var b strings.Builder
	if err := s.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	if line := "cascade_mediation_late_closed_period_total " + decimal.NewFromInt(want["late"]).String() + "\n"; !strings.Contains(b.String(), line) {
		t.Errorf("exposition lacks %q:\n%s", line, b.String())
	}
}
