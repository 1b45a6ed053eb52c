package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// runReport is `invoice run --format json`'s answer, decoded.
type runReportJSON struct {
	DryRun        bool `json:"dry_run"`
	Invoices      int  `json:"invoices"`
	AlreadyIssued *int `json:"already_issued"`
	Issuers       []struct {
		Issuer, Currency, Net, Tax, Total string
		Invoices                          int
		First                             string `json:"first_number"`
		Last                              string `json:"last_number"`
	} `json:"issuers"`
	Failures []struct{ Buyer, Error string } `json:"failures"`
}

func decodeRun(t *testing.T, out string) runReportJSON {
	t.Helper()
	var r runReportJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	return r
}

// TestInvoiceRun: the dry run predicts exactly what the cycle then issues, writes nothing, and
// the report's totals are the issued invoices' totals; a second run issues nothing.
func TestInvoiceRun(t *testing.T) {
	store, _ := invoiceLedger(t)
	c := newCLI(t, store)

	code, out, errOut := c.run("invoice", "run", "--as-of", "2026-11-01", "--dry-run", "--format", "json")
	if code != exitOK {
		t.Fatalf("dry run: exit %d: %s", code, errOut)
	}
	dry := decodeRun(t, out)
	if !dry.DryRun || dry.Invoices == 0 || len(dry.Issuers) == 0 || dry.AlreadyIssued != nil {
		t.Fatalf("dry run report: %+v", dry)
	}
	if n := len(reopen(t, store).Invoices(billing.InvoiceFilter{})); n != 0 {
		t.Fatalf("the dry run wrote %d documents", n)
	}
	if !strings.Contains(errOut, "previewed 5/5 accounts") {
		t.Errorf("dry run progress missing on stderr:\n%s", errOut)
	}

	code, out, errOut = c.run("invoice", "run", "--as-of", "2026-11-01", "--format", "json")
	if code != exitOK {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	real := decodeRun(t, out)
	for _, phase := range []string{"billing state loaded", "running the cycle as of 2026-11-01T00:00:00Z", "cycle done"} {
		if !strings.Contains(errOut, phase) {
			t.Errorf("stderr lacks the phase %q:\n%s", phase, errOut)
		}
	}
	issued := reopen(t, store).Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice})
	for _, inv := range issued {
		if !strings.HasPrefix(inv.Catalog, "sha256:") {
			t.Errorf("%s names catalog %q, want its content hash", inv.Number, inv.Catalog)
		}
	}
	if real.Invoices != len(issued) || real.Invoices != dry.Invoices || len(real.Issuers) != len(dry.Issuers) {
		t.Fatalf("run issued %d (ledger holds %d), dry run predicted %d", real.Invoices, len(issued), dry.Invoices)
	}
	for i, r := range real.Issuers {
		var net, tax, total decimal.Decimal
		n := 0
		for _, inv := range issued {
			if inv.Issuer.ID == r.Issuer && inv.Currency == r.Currency {
				net, tax, total, n = net.Add(inv.Subtotal), tax.Add(inv.Tax), total.Add(inv.Total), n+1
			}
		}
		if r.Invoices != n || r.Net != net.StringFixed(2) || r.Tax != tax.StringFixed(2) || r.Total != total.StringFixed(2) {
			t.Errorf("issuer %s: reported %d invoices %s/%s/%s, the ledger holds %d %s/%s/%s", r.Issuer, r.Invoices, r.Net, r.Tax,
				r.Total, n, net.StringFixed(2), tax.StringFixed(2), total.StringFixed(2))
		}
		d := dry.Issuers[i]
		if d.Issuer != r.Issuer || d.Total != r.Total || d.Net != r.Net || d.Tax != r.Tax || d.First != "" || r.First == "" {
			t.Errorf("dry run %+v differs from the run %+v", d, r)
		}
	}

	code, out, _ = c.run("invoice", "run", "--as-of", "2026-11-01")
	if code != exitOK || !strings.Contains(out, "0 invoice(s) issued") {
		t.Errorf("second run: exit %d:\n%s", code, out)
	}
	if n := len(reopen(t, store).Invoices(billing.InvoiceFilter{})); n != real.Invoices {
		t.Errorf("the second run changed the documents: %d, want %d", n, real.Invoices)
	}
}

// TestInvoiceRunIncomplete: an account the tax rules do not cover cannot be invoiced; the
// others are, the report lists the failure on its own line, and the exit code is 1. Accounts
// are refused a jurisdiction the rules lack, so c9 loses its rule the real-world way: created
// in JP, then invoiced with a tax rules file that no longer has JP.
func TestInvoiceRunIncomplete(t *testing.T) {
	store, _ := invoiceLedger(t)
	svc := reopen(t, store)
	nowhere := func(code string) billing.Command {
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.CreateAccount(billing.Account{ID: "c9", Kind: billing.KindCustomer, Parent: "cloudshop", Name: "Nowhere",
				Currency: "EUR", TaxJurisdiction: code, BillingDay: 1}, at, "test")
		}
	}
	if err := svc.Do(context.Background(), nowhere("ZZ")); !errors.Is(err, billing.ErrInvalid) ||
		!strings.Contains(err.Error(), `tax_jurisdiction: "ZZ" is not in the tax rules`) {
		t.Fatalf("an account outside the tax rules: %v, want it refused", err)
	}
	if err := svc.Do(context.Background(), nowhere("JP"), subscribe("s9", "c9")); err != nil {
		t.Fatalf("the fixture cannot create an account in JP: %v", err)
	}
	noJP := filepath.Join(t.TempDir(), "taxes-without-jp.yaml")
	if err := os.WriteFile(noJP, []byte(taxesWithoutJP), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t, store)
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		full := append(append([]string(nil), args...), "--catalog", exampleCatalog, "--taxes", noJP, "--data", t.TempDir())
		code := runWith(context.Background(), full, &out, &errOut, c.open)
		return code, out.String(), errOut.String()
	}
	// The dry run finds the same failure and says so the same way, writing nothing.
	code, out, errOut := run("invoice", "run", "--as-of", "2026-11-01", "--dry-run")
	if code != exitFailure || !strings.Contains(out, "FAILED account c9: ") || !strings.Contains(errOut, "cycle incomplete") {
		t.Errorf("dry run: exit %d:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if n := len(reopen(t, store).Invoices(billing.InvoiceFilter{})); n != 0 {
		t.Fatalf("the dry run wrote %d documents", n)
	}
	code, out, errOut = run("invoice", "run", "--as-of", "2026-11-01")
	if code != exitFailure {
		t.Fatalf("exit %d, want 1:\n%s\n%s", code, out, errOut)
	}
	// c9's first invoice fails on its tax; its second waits for the first.
	if !strings.Contains(out, "2 failure(s)") || strings.Count(out, "\nFAILED cloudshop → c9 at ") != 2 ||
		!strings.Contains(out, `tax jurisdiction "JP" has no rule`) ||
		!strings.Contains(errOut, "cycle incomplete") {
		t.Errorf("report:\n%s\nstderr:\n%s", out, errOut)
	}
	if n := len(reopen(t, store).Invoices(billing.InvoiceFilter{Buyer: "c1"})); n == 0 {
		t.Error("the accounts that could be invoiced were not")
	}
}

// taxesWithoutJP is examples/taxes.yaml after JP was removed from it.
const taxesWithoutJP = `jurisdictions:
  DE: {name: VAT, rate: 19, reverse_charge: true}
  FR: {name: VAT, rate: 20, reverse_charge: true}
  US-CA: {name: Sales tax, rate: 0}
`

func TestInvoiceRunBadInput(t *testing.T) {
	store, _ := invoiceLedger(t)
	c := newCLI(t, store)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no as-of", []string{"invoice", "run"}, "--as-of is required"},
		{"bad as-of", []string{"invoice", "run", "--as-of", "1 Nov"}, "want YYYY-MM-DD or RFC 3339"},
		{"bad format", []string{"invoice", "run", "--as-of", "2026-11-01", "--format", "xml"}, "--format"},
		{"both ledgers", []string{"invoice", "run", "--as-of", "2026-11-01", "--config", "x.yaml"}, "choose one"},
		{"unknown command", []string{"invoice", "email"}, "unknown invoice command"},
		{"stray argument", []string{"invoice", "run", "--as-of", "2026-11-01", "now"}, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := c.run(tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("exit %d, stderr %q: want exit 2 and one line with %q", code, errOut, tc.want)
			}
		})
	}
	if c.opened != 0 {
		t.Errorf("bad input opened the ledger %d times", c.opened)
	}
	code, _, errOut := runCLI(t, "invoice", "run", "--as-of", "2026-11-01")
	if code != exitUsage || !strings.Contains(errOut, "--data DIR or --config FILE is required") {
		t.Errorf("no ledger: exit %d, %q", code, errOut)
	}
}
