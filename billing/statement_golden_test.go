package billing_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
)

// The golden statements (testdata/golden/statement_*) are rewritten with
// `go test ./billing -run TestStatementGolden -update`; review the diff.
func TestStatementGolden(t *testing.T) {
	w := splitWorld(t)
	period := billing.Period{From: billingtest.Day(2026, 10, 1), To: billingtest.Day(2026, 12, 1)}
	renders := []struct {
		ext    string
		render func(*bytes.Buffer, *billing.Statement) error
	}{
		{"json", func(b *bytes.Buffer, st *billing.Statement) error { return billing.RenderStatementJSON(b, st) }},
		{"csv", func(b *bytes.Buffer, st *billing.Statement) error { return billing.RenderStatementCSV(b, st) }},
		{"html", func(b *bytes.Buffer, st *billing.Statement) error { return billing.RenderStatementHTML(b, st) }},
	}
	for _, partner := range []string{"R", "D"} {
		st, err := w.svc.Statement(context.Background(), partner, period)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range renders {
			t.Run(partner+"."+r.ext, func(t *testing.T) {
				var buf bytes.Buffer
				if err := r.render(&buf, st); err != nil {
					t.Fatal(err)
				}
				checkStatementRender(t, r.ext, buf.Bytes(), st)
				path := filepath.Join("testdata", "golden", "statement_"+partner+"."+r.ext)
				if buildUpdating() {
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s differs from the golden file; run with -update and review the diff", path)
				}
			})
		}
	}
}

// checkStatementRender checks what a golden file cannot: the output parses back and shows one
// line per statement row with the statement's amounts.
func checkStatementRender(t *testing.T, ext string, out []byte, st *billing.Statement) {
	t.Helper()
	switch ext {
	case "json":
		var back struct {
			Rows   []struct{ Margin string }
			Totals []struct{ Margin string }
		}
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatal(err)
		}
		if len(back.Rows) != len(st.Rows) || back.Totals[0].Margin != st.Totals[0].Margin.StringFixed(2) {
			t.Errorf("json: %d rows, total margin %s; statement %d rows, %s", len(back.Rows), back.Totals[0].Margin,
				len(st.Rows), st.Totals[0].Margin.StringFixed(2))
		}
	case "csv":
		recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != len(st.Rows)+1 || len(recs[0]) != len(billing.StatementCSVHeader) {
			t.Errorf("csv: %d records of %d fields for %d rows", len(recs), len(recs[0]), len(st.Rows))
		}
	case "html":
		if !bytes.Contains(out, []byte("Commission statement")) || bytes.Count(out, []byte("<tr")) < len(st.Rows) {
			t.Errorf("html: missing the heading or rows")
		}
	}
}
