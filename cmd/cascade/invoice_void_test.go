package main

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/billing"
)

// TestInvoiceVoid: voiding needs --yes or the number typed back; without a terminal it is
// refused; a voided invoice cannot be voided again, and nothing else changes.
func TestInvoiceVoid(t *testing.T) {
	store, _ := invoiceLedger(t)
	c := newCLI(t, store)
	if code, _, errOut := c.run("invoice", "run", "--as-of", "2026-11-01"); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	invs := reopen(t, store).Invoices(billing.InvoiceFilter{Buyer: "c2"})
	if len(invs) != 2 {
		t.Fatalf("fixture: c2 has %d invoices", len(invs))
	}
	first, second := invs[0], invs[1]
	void := func(ask confirm, args ...string) (int, string, string) {
		e, out, errOut := c.env()
		args = append(args, "--catalog", exampleCatalog, "--taxes", exampleTaxes, "--data", t.TempDir())
		err := invoiceVoid(context.Background(), e, args, ask)
		return c.exitCode(e, "invoice", err), out.String(), errOut.String()
	}
	noTerminal := func(string, string) (bool, error) { return false, errNoTerminal }
	var asked string
	typed := func(answer string) confirm {
		return func(prompt, want string) (bool, error) { asked = prompt; return answer == want, nil }
	}
	status := func(id string) billing.Status {
		inv, _ := reopen(t, store).Invoice(id)
		return inv.Status
	}

	for _, tc := range []struct {
		name string
		ask  confirm
		args []string
		want string
	}{
		{"no terminal", noTerminal, []string{"--id", first.Number}, "without --yes: stdin is not a terminal"},
		{"wrong answer", typed("no"), []string{"--id", first.Number}, "did not match " + first.Number},
		{"unknown", noTerminal, []string{"--id", "NOPE-1"}, "not found"},
		{"no id", noTerminal, nil, "--id is required"},
	} {
		code, _, errOut := void(tc.ask, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q: want exit 2 and one line with %q", tc.name, code, errOut, tc.want)
		}
	}
	if status(first.ID) != billing.StatusIssued {
		t.Fatal("a refused void changed the invoice")
	}

	// Confirmed by typing the number: voided, and the voided document is printed.
	code, out, errOut := void(typed(first.Number), "--id", first.Number)
	if code != exitOK || !strings.Contains(out, first.Number+" — VOID") || !strings.Contains(asked, first.Total.StringFixed(2)+" EUR") {
		t.Fatalf("exit %d, prompt %q, stderr %q, out:\n%s", code, asked, errOut, out)
	}
	if status(first.ID) != billing.StatusVoid || status(second.ID) != billing.StatusIssued {
		t.Errorf("after the void: %s is %s, %s is %s", first.Number, status(first.ID), second.Number, status(second.ID))
	}
	// --yes by id, through the binary's command line; then again: a conflict, exit 2.
	code, out, errOut = c.run("invoice", "void", "--id", second.ID, "--yes", "--format", "json")
	if code != exitOK || !strings.Contains(out, `"status": "void"`) || status(second.ID) != billing.StatusVoid {
		t.Fatalf("--yes: exit %d, stderr %q, out:\n%s", code, errOut, out)
	}
	code, _, errOut = c.run("invoice", "void", "--id", second.ID, "--yes")
	if code != exitUsage || !strings.Contains(errOut, "conflict") {
		t.Errorf("second void: exit %d, stderr %q", code, errOut)
	}
	if others := reopen(t, store).Invoices(billing.InvoiceFilter{Buyer: "c1", Status: billing.StatusIssued}); len(others) != 2 {
		t.Errorf("c1's invoices changed: %d issued, want 2", len(others))
	}
}

func TestTerminalConfirmRefusesWithoutTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	inputs := []*os.File{r}
	if runtime.GOOS == "linux" { // elsewhere a character device is taken for a terminal
		inputs = append(inputs, null)
	}
	for _, in := range inputs {
		for _, ci := range []bool{false, true} {
			var prompt strings.Builder
			if _, err := terminalConfirm(in, &prompt, ci)("void?", "X"); !errors.Is(err, errNoTerminal) || prompt.Len() != 0 {
				t.Errorf("CI=%v, stdin %s: %v, prompt %q; want errNoTerminal and no prompt", ci, in.Name(), err, prompt.String())
			}
		}
	}
}
