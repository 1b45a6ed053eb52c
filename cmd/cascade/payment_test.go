package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// reopen loads a Service on the store, as the next command would, to read what was written.
func reopen(t *testing.T, store ledger.Store) *billing.Service {
	t.Helper()
	cat, err := rating.LoadFile(exampleCatalog)
	if err != nil {
		t.Fatal(err)
	}
	taxes, err := billing.LoadTaxRules(exampleTaxes)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := billing.New(billing.Config{Store: store, Catalog: cat, Taxes: taxes})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestPaymentRecord(t *testing.T) {
	store := keptStore{reportLedger(t)}
	open := func(context.Context, *env, string) (ledger.Store, error) { return store, nil }
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		args = append([]string{"payment", "record", "--catalog", exampleCatalog, "--taxes", exampleTaxes, "--data", t.TempDir()}, args...)
		code := runWith(context.Background(), args, &out, &errOut, open)
		return code, out.String(), errOut.String()
	}
	invs := reopen(t, store).Invoices(billing.InvoiceFilter{Buyer: "c1", Kind: billing.DocInvoice})
	if len(invs) != 2 {
		t.Fatalf("fixture: c1 has %d invoices, want 2", len(invs))
	}
	first, second := invs[0], invs[1]

	// The first invoice's total pays it (oldest first); the second is named by number and paid in part.
	code, out, errOut := run("--id", "bank-1", "--account", "c1", "--amount", first.Total.StringFixed(2), "--currency", "EUR",
		"--received-at", "2026-11-05")
	if code != exitOK || !strings.Contains(out, first.Number) || !strings.Contains(out, "paid") {
		t.Fatalf("exit %d, stderr %q, out:\n%s", code, errOut, out)
	}
	if inv, _ := reopen(t, store).Invoice(first.ID); inv.Status != billing.StatusPaid {
		t.Errorf("after the payment %s is %s, want paid", first.Number, inv.Status)
	}
	code, out, errOut = run("--id", "bank-2", "--account", "c1", "--amount", "10.00", "--currency", "EUR", "--invoice", second.Number,
		"--received-at", "2026-11-06T10:00:00Z", "--reference", "INV "+second.Number)
	if code != exitOK || !strings.Contains(out, "partly paid") || !strings.Contains(out, second.Number) {
		t.Fatalf("exit %d, stderr %q, out:\n%s", code, errOut, out)
	}
	b := reopen(t, store).Balance("c1")
	if want := second.Total.Sub(decimal.NewFromInt(10)); len(b.Open) != 1 || !b.Due.Equal(want) {
		t.Errorf("c1 owes %s on %d invoices, want %s on 1", b.Due, len(b.Open), want)
	}
	if !strings.Contains(out, "owes "+b.Due.StringFixed(2)+" EUR on 1 open invoice(s)") {
		t.Errorf("the output does not show the balance %s:\n%s", b.Due, out)
	}
	// The same payment again changes nothing and prints the same allocation.
	code, again, _ := run("--id", "bank-2", "--account", "c1", "--amount", "10.00", "--currency", "EUR", "--invoice", second.Number,
		"--received-at", "2026-11-06T10:00:00Z", "--reference", "INV "+second.Number)
	if code != exitOK || again != out {
		t.Errorf("replay: exit %d, out:\n%s\nwant:\n%s", code, again, out)
	}
	if b2 := reopen(t, store).Balance("c1"); !b2.Due.Equal(b.Due) {
		t.Errorf("replay changed the balance from %s to %s", b.Due, b2.Due)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no id", []string{"--account", "c1", "--amount", "1", "--currency", "EUR"}, "--id is required"},
		{"no amount", []string{"--id", "x", "--account", "c1", "--currency", "EUR"}, "--amount is required"},
		{"comma decimal", []string{"--id", "x", "--account", "c1", "--amount", "12,50", "--currency", "EUR"}, "want a decimal"},
		{"negative", []string{"--id", "x", "--account", "c1", "--amount", "-5", "--currency", "EUR"}, "must be positive"},
		{"sub-cent", []string{"--id", "x", "--account", "c1", "--amount", "1.001", "--currency", "EUR"}, "minor unit"},
		{"bad date", []string{"--id", "x", "--account", "c1", "--amount", "1", "--currency", "EUR", "--received-at", "5 Nov"}, "--received-at"},
		{"wrong currency", []string{"--id", "x", "--account", "c1", "--amount", "100", "--currency", "JPY"}, "currency mismatch"},
		{"unknown account", []string{"--id", "x", "--account", "nobody", "--amount", "1", "--currency", "EUR"}, "not found"},
		{"unknown invoice", []string{"--id", "x", "--account", "c1", "--amount", "1", "--currency", "EUR", "--invoice", "NOPE-1"}, "not found"},
		{"id reused", []string{"--id", "bank-2", "--account", "c1", "--amount", "11.00", "--currency", "EUR"}, "conflict"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("exit %d, stderr %q: want exit 2 and one line with %q", code, errOut, tc.want)
			}
		})
	}
	if ps := reopen(t, store).Payments("c1"); len(ps) != 2 {
		t.Errorf("c1 has %d payments after the refused ones, want 2", len(ps))
	}
}
