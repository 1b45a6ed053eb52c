package chaos_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/chaos"
)

// TestCalendar checks, for dates across a year (month ends, a leap day, the first of a month
// just after midnight), that usage lies inside the billed month and mediation's window, and
// that the month has ended by the cycle's as_of.
func TestCalendar(t *testing.T) {
	for _, now := range []string{"2026-11-24T21:00:00Z", "2026-12-01T00:00:30Z", "2027-03-31T23:59:59Z",
		"2028-02-29T12:00:00Z", "2027-01-01T00:05:00Z", "2026-07-31T10:00:00Z"} {
		t.Run(now, func(t *testing.T) {
			at, _ := time.Parse(time.RFC3339, now)
			c := chaos.NewCalendar(at)
			switch {
			case c.Usage.From.Before(c.Month.From) || c.Usage.To.After(c.Month.To) || !c.Usage.From.Before(c.Usage.To):
				t.Errorf("usage %v not a non-empty part of month %v", c.Usage, c.Month)
			case c.Usage.From.Before(at.Add(-35 * 24 * time.Hour)):
				t.Errorf("usage from %s is older than mediation's 35 days before %s", c.Usage.From, at)
			case c.Month.To.After(c.AsOf) || !c.Start.Equal(c.Month.From):
				t.Errorf("month %v not ended by as_of %s, or start %s", c.Month, c.AsOf, c.Start)
			case c.Month.From.Day() != 1 || c.Month.To.Day() != 1:
				t.Errorf("month %v is not a calendar month", c.Month)
			}
		})
	}
}

// TestStream checks that a stream is deterministic, that its counts add up, and that its
// totals are the exact sums of its good records.
func TestStream(t *testing.T) {
	cal := chaos.NewCalendar(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	cfg := chaos.StreamConfig{Seed: 9, Records: 3000, Window: cal.Usage, TooOld: cal.TooOld, InFuture: cal.InFuture}
	a, b := chaos.NewStream(cfg), chaos.NewStream(cfg)
	if len(a.Messages) != cfg.Records || a.Unique+a.Duplicates+a.Bad != cfg.Records {
		t.Fatalf("%d messages, %d+%d+%d by kind, want %d", len(a.Messages), a.Unique, a.Duplicates, a.Bad, cfg.Records)
	}
	for i := range a.Messages {
		if !bytes.Equal(a.Messages[i].Value, b.Messages[i].Value) || a.Messages[i].Key != b.Messages[i].Key {
			t.Fatalf("message %d differs between two streams of one config", i)
		}
	}
	if a.Duplicates == 0 || a.Bad == 0 || len(a.Reasons) < 6 {
		t.Errorf("duplicates %d, bad %d, reasons %v: the stream must exercise them", a.Duplicates, a.Bad, a.Reasons)
	}
	sums := map[string]decimal.Decimal{}
	seen := map[string]bool{}
	for _, m := range a.Messages {
		switch m.Kind {
		case chaos.Good:
			if seen[m.ID] {
				t.Fatalf("good record %s appears twice", m.ID)
			}
			seen[m.ID] = true
			e := a.Events[m.ID]
			sums[e.Account] = sums[e.Account].Add(e.Quantity)
			if m.Key != e.Account || !strings.Contains(string(m.Value), `"subject":"`+e.Account+`"`) {
				t.Errorf("record %s keyed %s, not by its account %s", m.ID, m.Key, e.Account)
			}
		case chaos.Duplicate:
			if !seen[m.ID] {
				t.Errorf("duplicate %s before its original", m.ID)
			}
		}
	}
	for k, want := range a.Totals {
		if !sums[k.Account].Equal(want) {
			t.Errorf("total of %s = %s, records sum to %s", k.Account, want, sums[k.Account])
		}
	}
}

// TestParseMetrics reads counters with and without labels and sums a labelled family.
func TestParseMetrics(t *testing.T) {
	text := "# HELP x X.\n# TYPE x counter\ncascade_mediation_consumed_total 12\n" +
		"cascade_mediation_rejected_total{reason=\"decode\"} 2\ncascade_mediation_rejected_total{reason=\"a b\"} 3 1700000000\n\n"
	m, err := chaos.ParseMetrics(text)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		get  func() (int64, error)
		want int64
	}{
		{"plain", func() (int64, error) { return m.Int("cascade_mediation_consumed_total") }, 12},
		{"labelled", func() (int64, error) { return m.Int(`cascade_mediation_rejected_total{reason="a b"}`) }, 3},
		{"sum", func() (int64, error) { return m.Sum("cascade_mediation_rejected_total") }, 5},
	} {
		if got, err := tc.get(); err != nil || got != tc.want {
			t.Errorf("%s: %d (%v), want %d", tc.name, got, err, tc.want)
		}
	}
	if _, err := m.Int("absent_total"); err == nil {
		t.Error("an absent series read without error")
	}
	if _, err := chaos.ParseMetrics("novalue\n"); err == nil {
		t.Error("a line without a value parsed")
	}
}

// TestCheckNumbering finds gaps and repeats per issuer and kind.
func TestCheckNumbering(t *testing.T) {
	inv := func(issuer, kind, number string) chaos.Invoice {
		return chaos.Invoice{ID: issuer + number, Issuer: issuer, Kind: kind, Number: number}
	}
	for _, tc := range []struct {
		name string
		invs []chaos.Invoice
		bad  bool
	}{
		{"gap-free", []chaos.Invoice{inv("r1", "invoice", "R1-0002"), inv("r1", "invoice", "R1-0001"), inv("r2", "invoice", "R2-1")}, false},
		{"separate series per kind", []chaos.Invoice{inv("r1", "invoice", "I-1"), inv("r1", "credit_note", "C-1")}, false},
		{"gap", []chaos.Invoice{inv("r1", "invoice", "R1-0001"), inv("r1", "invoice", "R1-0003")}, true},
		{"repeat", []chaos.Invoice{inv("r1", "invoice", "R1-0001"), inv("r1", "invoice", "X-0001")}, true},
		{"not from 1", []chaos.Invoice{inv("r2", "invoice", "R2-0002")}, true},
		{"no sequence", []chaos.Invoice{inv("r2", "invoice", "R2-X")}, true},
	} {
		if got := chaos.CheckNumbering(tc.invs); (len(got) > 0) != tc.bad {
			t.Errorf("%s: problems %v, want bad=%v", tc.name, got, tc.bad)
		}
	}
}

// TestCompareInvoices names missing, extra and changed documents.
func TestCompareInvoices(t *testing.T) {
	a := chaos.Invoice{ID: "a", Total: "1.00", Lines: []chaos.Line{{No: 1, Quantity: "3"}}}
	b := chaos.Invoice{ID: "b", Total: "2.00"}
	changed := a
	changed.Lines = []chaos.Line{{No: 1, Quantity: "4"}}
	for _, tc := range []struct {
		name      string
		want, got []chaos.Invoice
		diffs     int
	}{
		{"identical", []chaos.Invoice{a, b}, []chaos.Invoice{b, a}, 0},
		{"missing", []chaos.Invoice{a, b}, []chaos.Invoice{a}, 1},
		{"extra", []chaos.Invoice{a}, []chaos.Invoice{a, b}, 1},
		{"line changed", []chaos.Invoice{a}, []chaos.Invoice{changed}, 1},
	} {
		if got := chaos.CompareInvoices(tc.want, tc.got); len(got) != tc.diffs {
			t.Errorf("%s: %d diffs %v, want %d", tc.name, len(got), got, tc.diffs)
		}
	}
}

// TestSummary checks the line's exact form and what fails the package.
func TestSummary(t *testing.T) {
	s := chaos.NewSummary()
	s.AddKills(3)
	s.AddOutages(1)
	s.AddResult("x", chaos.Result{Records: 10, Identity: true})
	s.AddInvoices("x", nil)
	if got, want := s.Line(), "chaos: kills=3 outages=1 records=10 lost=0 doubled=0 identity=ok invoices=identical"; got != want || s.Failed() {
		t.Errorf("line %q (failed %v), want %q", got, s.Failed(), want)
	}
	s.AddResult("y", chaos.Result{Records: 5, Lost: 1, Doubled: 2})
	s.AddInvoices("y", []string{"differs"})
	if got, want := s.Line(), "chaos: kills=3 outages=1 records=15 lost=1 doubled=2 identity=FAIL invoices=DIFFERENT"; got != want || !s.Failed() {
		t.Errorf("line %q (failed %v), want %q", got, s.Failed(), want)
	}
}
