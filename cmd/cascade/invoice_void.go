package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cascade-billing/cascade/billing"
)

// confirm asks a person to confirm an action; ok is false when they did not. It returns
// errNoTerminal when there is nobody to ask.
type confirm func(prompt, answer string) (ok bool, err error)

// errNoTerminal: stdin is not a terminal (a script, a pipe) or CI=true, so nobody can answer.
var errNoTerminal = errors.New("stdin is not a terminal")

// runInvoiceVoid voids an issued invoice after confirmation: --yes, or the invoice number typed
// back on a terminal. Without a terminal (or under CI) and without --yes it refuses: voiding
// reverses a posted invoice, and a script should say so explicitly.
func runInvoiceVoid(ctx context.Context, e *env, args []string) error {
	return invoiceVoid(ctx, e, args, terminalConfirm(os.Stdin, e.stderr, os.Getenv("CI") == "true"))
}

func invoiceVoid(ctx context.Context, e *env, args []string, ask confirm) error {
	fs := flag.NewFlagSet("invoice void", flag.ContinueOnError)
	src := ledgerSource{writes: true}
	src.register(fs, true)
	ref := fs.String("id", "", "the invoice or credit note to void: its id or its number (required)")
	yes := fs.Bool("yes", false, "do not ask for confirmation (required when stdin is not a terminal)")
	format := fs.String("format", "table", "how to print the voided document: table or json")
	_, help, err := parseFlags(e, fs, "usage: cascade invoice void --id ID|NUMBER [--yes] [--format table|json] (--data DIR | --config FILE)", args, 0)
	if help || err != nil {
		return err
	}
	switch {
	case *ref == "":
		return usagef("--id is required (the invoice's id or number)")
	case oneOf("format", *format, "table", "json") != nil:
		return oneOf("format", *format, "table", "json")
	}
	if err := src.check(fs); err != nil {
		return err
	}
	svc, store, err := src.openBilling(ctx, e)
	if err != nil {
		return err
	}
	defer store.Close()
	inv, err := findDocument(svc, *ref)
	if err != nil {
		return err
	}
	if !*yes {
		answer := inv.Number
		if answer == "" {
			answer = inv.ID
		}
		a, err := amountsOf(inv.Currency, inv.Total)
		if err != nil {
			return err
		}
		ok, err := ask(fmt.Sprintf("Void %s %s of %s to %s, total %s %s? Type %s to confirm: ", inv.Kind, inv.Number,
			inv.Issuer.ID, inv.Buyer.ID, a[0], inv.Currency, answer), answer)
		switch {
		case errors.Is(err, errNoTerminal):
			return usagef("not voiding %s without --yes: %v", inv.Number, err)
		case err != nil:
			return fmt.Errorf("confirm voiding %s: %w", inv.Number, err)
		case !ok:
			return usagef("not voided: the confirmation did not match %s", answer)
		}
	}
	voided, err := svc.Void(ctx, inv.ID, "cli")
	if err != nil {
		return billingUsageError(err)
	}
	if *format == "json" {
		return billing.RenderJSON(e.stdout, voided)
	}
	return printInvoice(e.stdout, voided)
}

// findDocument resolves an id or a number. Numbers are unique per issuer's series; a number
// two issuers share is ambiguous and must be given as an id.
func findDocument(svc *billing.Service, ref string) (*billing.Invoice, error) {
	if inv, ok := svc.Invoice(ref); ok {
		return inv, nil
	}
	var found []*billing.Invoice
	for _, inv := range svc.Invoices(billing.InvoiceFilter{}) {
		if inv.Number == ref {
			found = append(found, inv)
		}
	}
	switch len(found) {
	case 0:
		return nil, &usageError{fmt.Errorf("--id %s: no invoice or credit note has this id or number: %w", ref, billing.ErrNotFound)}
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, inv := range found {
		ids[i] = inv.ID
	}
	return nil, usagef("--id %s: %d documents have this number (%s): give the id", ref, len(found), strings.Join(ids, ", "))
}

// terminalConfirm asks on stderr and reads the answer from in, when in is a terminal and this
// is not CI.
func terminalConfirm(in *os.File, out io.Writer, ci bool) confirm {
	return func(prompt, answer string) (bool, error) {
		if ci || !isTerminal(in) {
			return false, errNoTerminal
		}
		fmt.Fprint(out, prompt)
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		return strings.TrimSpace(line) == answer, nil
	}
}
