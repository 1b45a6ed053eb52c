package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// TestInvoicePreview: the drafts a preview shows are, to the cent, the invoices the cycle
// then issues for the same boundaries; the preview itself writes nothing.
func TestInvoicePreview(t *testing.T) {
	store, _ := invoiceLedger(t)
	c := newCLI(t, store)
	code, out, errOut := c.run("invoice", "preview", "--account", "c1", "--at", "2026-11-01", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var drafts []struct {
		ID, Status, Number, Total, Subtotal, Tax string
		Lines                                    []struct{ Kind, Quantity, Net string }
	}
	if err := json.Unmarshal([]byte(out), &drafts); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(drafts) != 2 {
		t.Fatalf("want the 1 Oct and 1 Nov drafts, got %d:\n%s", len(drafts), out)
	}
	if n := len(reopen(t, store).Invoices(billing.InvoiceFilter{})); n != 0 {
		t.Fatalf("the preview wrote %d documents", n)
	}
	if code, _, errOut := c.run("invoice", "run", "--as-of", "2026-11-01"); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	svc := reopen(t, store)
	usageLines := 0
	for _, d := range drafts {
		inv, ok := svc.Invoice(d.ID)
		if !ok || d.Status != "draft" || d.Number != "" {
			t.Errorf("draft %s (%s %q) was not issued under its id", d.ID, d.Status, d.Number)
			continue
		}
		if d.Total != inv.Total.StringFixed(2) || d.Subtotal != inv.Subtotal.StringFixed(2) || d.Tax != inv.Tax.StringFixed(2) {
			t.Errorf("draft %s: %s/%s/%s, issued %s/%s/%s", d.ID, d.Subtotal, d.Tax, d.Total, inv.Subtotal, inv.Tax, inv.Total)
		}
		for _, l := range d.Lines {
			if l.Kind == "usage" && l.Quantity != "0" {
				usageLines++
			}
		}
	}
	if usageLines == 0 {
		t.Errorf("no draft shows October's api_calls:\n%s", out)
	}

	// Table form, after the run: nothing more is due, so the next invoice (1 Dec) as it stands.
	code, out, _ = c.run("invoice", "preview", "--account", "c1", "--at", "2026-11-15T12:00:00Z")
	if code != exitOK || !strings.Contains(out, "Preview as of 2026-11-15T12:00:00Z: 1 draft(s)") ||
		!strings.Contains(out, "cut at 2026-12-01T00:00:00Z") || !strings.Contains(out, "(no number yet) — DRAFT") ||
		!strings.Contains(out, "total ") {
		t.Errorf("exit %d, table:\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--account", "nobody"}, "not found"},
		{[]string{}, "--account is required"},
		{[]string{"--account", "c1", "--at", "tomorrow"}, "--at"},
		{[]string{"--account", "c1", "--format", "pdf"}, "--format"},
	} {
		code, _, errOut := c.run(append([]string{"invoice", "preview"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q: want exit 2 and one line with %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestInvoiceList filters by buyer, status, kind and issue date; the csv rows are the
// ledger's documents with their totals.
func TestInvoiceList(t *testing.T) {
	store, _ := invoiceLedger(t)
	c := newCLI(t, store)
	if code, _, errOut := c.run("invoice", "run", "--as-of", "2026-11-01"); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	svc := reopen(t, store)
	list := func(now time.Time, args ...string) (int, string, string) {
		e, out, errOut := c.env()
		args = append(args, "--catalog", exampleCatalog, "--taxes", exampleTaxes, "--data", t.TempDir())
		err := invoiceList(context.Background(), e, args, func() time.Time { return now })
		return c.exitCode(e, "invoice", err), out.String(), errOut.String()
	}
	csvRows := func(out string) [][]string {
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(recs) == 0 || recs[0][0] != "id" {
			t.Fatalf("csv %v:\n%s", err, out)
		}
		return recs[1:]
	}
	issuedAt := svc.Invoices(billing.InvoiceFilter{})[0].IssuedAt
	dueAt := svc.Invoices(billing.InvoiceFilter{Buyer: "c1"})[0].DueAt
	for _, tc := range []struct {
		name string
		now  time.Time
		args []string
		want []*billing.Invoice
	}{
		{"all", issuedAt, nil, svc.Invoices(billing.InvoiceFilter{})},
		{"c1", issuedAt, []string{"--account", "c1"}, svc.Invoices(billing.InvoiceFilter{Buyer: "c1"})},
		{"issued by cloudshop", issuedAt, []string{"--issuer", "cloudshop", "--status", "issued"},
			svc.Invoices(billing.InvoiceFilter{Issuer: "cloudshop", Status: billing.StatusIssued})},
		{"paid", issuedAt, []string{"--status", "paid"}, nil},
		{"credit notes", issuedAt, []string{"--kind", "credit_note"}, nil},
		{"not yet overdue", issuedAt, []string{"--status", "overdue"}, nil},
		{"overdue after c1's due date", dueAt.Add(time.Hour), []string{"--status", "overdue", "--account", "c1"},
			svc.Invoices(billing.InvoiceFilter{Buyer: "c1"})},
		{"issued that day", issuedAt, []string{"--from", issuedAt.Format(time.DateOnly), "--to", issuedAt.AddDate(0, 0, 1).Format(time.DateOnly)},
			svc.Invoices(billing.InvoiceFilter{})},
		{"issued before", issuedAt, []string{"--to", issuedAt.Format(time.DateOnly)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := list(tc.now, append(tc.args, "--format", "csv")...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			rows := csvRows(out)
			if len(rows) != len(tc.want) {
				t.Fatalf("%d rows, want %d:\n%s", len(rows), len(tc.want), out)
			}
			for i, inv := range tc.want {
				r := rows[i]
				if r[0] != inv.ID || r[1] != inv.Number || r[14] != inv.Total.StringFixed(2) || r[12] != inv.Subtotal.StringFixed(2) {
					t.Errorf("row %d %q, want %s %s total %s", i, r, inv.ID, inv.Number, inv.Total)
				}
			}
		})
	}
	code, out, _ := list(dueAt.Add(time.Hour), "--account", "c1")
	if code != exitOK || !strings.Contains(out, "overdue") || !strings.Contains(out, "2 document(s)") {
		t.Errorf("table: exit %d:\n%s", code, out)
	}
	code, out, _ = list(issuedAt, "--account", "c2", "--format", "json")
	var js []listRow
	if err := json.Unmarshal([]byte(out), &js); code != exitOK || err != nil || len(js) != 2 || js[0].Buyer != "c2" {
		t.Errorf("json: exit %d, %v: %s", code, err, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--status", "late"}, "--status"},
		{[]string{"--kind", "receipt"}, "--kind"},
		{[]string{"--from", "2026-11-02", "--to", "2026-11-01"}, "is not before"},
		{[]string{"--from", "Nov"}, "--from"},
	} {
		code, _, errOut := list(issuedAt, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q: want exit 2 with %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestInvoiceListByConfig: --config names the ledger, catalog and taxes of `cascade serve`;
// a broken configuration is one line and exit 2.
func TestInvoiceListByConfig(t *testing.T) {
	store, _ := invoiceLedger(t)
	c := newCLI(t, store)
	if code, _, errOut := c.run("invoice", "run", "--as-of", "2026-11-01"); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	cfg := writeSQLConfig(t, t.TempDir())
	run := func(args ...string) (int, string, string) {
		var out, errOut strings.Builder
		code := runWith(context.Background(), args, &out, &errOut, c.open)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("invoice", "list", "--config", cfg, "--account", "c1", "--format", "csv")
	want := reopen(t, store).Invoices(billing.InvoiceFilter{Buyer: "c1"})
	if code != exitOK || strings.Count(out, "\n") != len(want)+1 || !strings.Contains(out, want[0].Number) {
		t.Fatalf("exit %d, stderr %q:\n%s", code, errOut, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("ledger: {embedded: {dir: x}}\nnope: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run("invoice", "list", "--config", bad)
	if code != exitUsage || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "more problems") {
		t.Errorf("bad config: exit %d, stderr %q", code, errOut)
	}
}
