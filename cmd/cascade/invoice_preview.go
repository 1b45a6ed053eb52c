package main

import (
	"context"
	"flag"
	"fmt"
	"time"
)

// runInvoicePreview prints the invoices an account would get from a cycle run at --at, or,
// when none is due, its next invoice as it stands with the usage so far. Drafts only: nothing
// is written and no number is taken.
func runInvoicePreview(ctx context.Context, e *env, args []string) error {
	return invoicePreview(ctx, e, args, time.Now)
}

func invoicePreview(ctx context.Context, e *env, args []string, now func() time.Time) error {
	fs := flag.NewFlagSet("invoice preview", flag.ContinueOnError)
	var src ledgerSource
	src.register(fs, true)
	account := fs.String("account", "", "the buyer account (required)")
	at := fs.String("at", "", "preview as of this instant: YYYY-MM-DD (00:00 UTC) or RFC 3339 (default: now)")
	format := fs.String("format", "table", "table or json")
	_, help, err := parseFlags(e, fs, "usage: cascade invoice preview --account A [--at DATE] [--format table|json] (--data DIR | --config FILE)", args, 0)
	if help || err != nil {
		return err
	}
	when := now().UTC()
	if *at != "" {
		if when, err = parseWhen("at", *at); err != nil {
			return err
		}
	}
	switch {
	case *account == "":
		return usagef("--account is required")
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
	drafts, err := svc.Preview(ctx, *account, when)
	if err != nil {
		return billingUsageError(fmt.Errorf("--account %s: %w", *account, err))
	}
	if *format == "json" {
		return renderInvoicesJSON(e.stdout, drafts)
	}
	if len(drafts) == 0 {
		fmt.Fprintf(e.stdout, "Nothing to invoice to %s: no subscription bills it within a year of %s.\n", *account, when.Format(time.RFC3339))
		return nil
	}
	fmt.Fprintf(e.stdout, "Preview as of %s: %d draft(s), nothing written.\n", when.Format(time.RFC3339), len(drafts))
	for _, inv := range drafts {
		fmt.Fprintln(e.stdout)
		if err := printInvoice(e.stdout, inv); err != nil {
			return err
		}
	}
	return nil
}
