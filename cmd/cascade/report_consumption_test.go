package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// TestReportConsumption: every format adds up, exactly, to the usage written to the ledger,
// per day and in total.
func TestReportConsumption(t *testing.T) {
	store, usage := invoiceLedger(t)
	c := newCLI(t, store)
	total, perDay, events := decimal.Zero, map[string]decimal.Decimal{}, 0
	for _, u := range usage {
		if u.Account == "c1" {
			total = total.Add(u.Quantity)
			d := u.EventTime.UTC().Format(time.DateOnly)
			perDay[d] = perDay[d].Add(u.Quantity)
			events++
		}
	}
	run := func(args ...string) (int, string, string) {
		return c.run(append([]string{"report", "consumption"}, args...)...)
	}

	code, out, errOut := run("--account", "c1", "--period", "2026-10", "--format", "csv")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != len(perDay)+1 || strings.Join(recs[0], ",") != "account,meter,unit,day,quantity" {
		t.Fatalf("%v: %d records for %d days:\n%s", err, len(recs), len(perDay), out)
	}
	for _, r := range recs[1:] {
		if q := perDay[r[3]]; r[0] != "c1" || r[1] != "api_calls" || r[4] != q.String() {
			t.Errorf("row %q: want quantity %s", r, q)
		}
	}

	code, out, _ = run("--account", "c1", "--period", "2026-10", "--format", "json")
	var js struct {
		Account, Currency string
		Meters            []struct {
			Meter, Unit, Total string
			Events             int
			Days               []struct{ Day, Quantity string }
		}
	}
	if err := json.Unmarshal([]byte(out), &js); code != exitOK || err != nil || len(js.Meters) != 1 {
		t.Fatalf("json: exit %d, %v:\n%s", code, err, out)
	}
	if m := js.Meters[0]; js.Currency != "EUR" || m.Total != total.String() || m.Events != events || len(m.Days) != len(perDay) || m.Unit == "" {
		t.Errorf("json: %+v, want total %s over %d events and %d days", js, total, events, len(perDay))
	}

	code, out, _ = run("--account", "c1", "--period", "2026-10")
	if code != exitOK || !strings.Contains(out, "Consumption of c1 (billed in EUR), 2026-10-01 to 2026-10-31") ||
		!strings.Contains(out, total.String()) {
		t.Errorf("table: exit %d:\n%s", code, out)
	}
	// A meter without usage is an answer: zero. Another month: nothing.
	code, out, _ = run("--account", "c1", "--period", "2026-10", "--meter", "payment_volume", "--format", "json")
	if code != exitOK || !strings.Contains(out, `"total": "0"`) {
		t.Errorf("unused meter: exit %d:\n%s", code, out)
	}
	code, out, _ = run("--account", "c1", "--period", "2026-12")
	if code != exitOK || !strings.Contains(out, "No usage was accepted") {
		t.Errorf("empty month: exit %d:\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--period", "2026-10"}, "--account is required"},
		{[]string{"--account", "c1"}, "--period is required"},
		{[]string{"--account", "c1", "--period", "October"}, "want YYYY-MM"},
		{[]string{"--account", "nobody", "--period", "2026-10"}, "not found"},
		{[]string{"--account", "c1", "--period", "2026-10", "--format", "xlsx"}, "--format"},
	} {
		code, _, errOut := run(tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q: want exit 2 and one line with %q", tc.args, code, errOut, tc.want)
		}
	}
	if code, _, errOut := runCLI(t, "report", "usage"); code != exitUsage || !strings.Contains(errOut, "commissions or consumption") {
		t.Errorf("unknown report: exit %d, %q", code, errOut)
	}
}
