package main

import (
	"context"
	"fmt"
)

// invoiceUsage lists the invoice commands; each has its own -h.
const invoiceUsage = `usage: cascade invoice <command> (--data DIR | --config FILE) [flags]

commands:
  run      run the invoice cycle as of a date: issue every invoice due (--dry-run: preview them, write nothing)
  preview  the invoice an account would get now, or its next one: lines, taxes, total
  list     list invoices and credit notes, filtered by account, status, kind and issue date
  void     void an issued invoice (asks for confirmation, or --yes)
  wholesale  close a month of the channel: settle pooled wholesale tiers, issue wholesale invoices`

// runInvoice dispatches the invoice commands.
func runInvoice(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stdout, invoiceUsage)
		if len(args) == 0 {
			return usagef("which invoice command? (run, preview, list, void, wholesale)")
		}
		return nil
	}
	switch args[0] {
	case "run":
		return runInvoiceRun(ctx, e, args[1:])
	case "preview":
		return runInvoicePreview(ctx, e, args[1:])
	case "list":
		return runInvoiceList(ctx, e, args[1:])
	case "void":
		return runInvoiceVoid(ctx, e, args[1:])
	case "wholesale":
		return runInvoiceWholesale(ctx, e, args[1:])
	}
	return usagef("unknown invoice command %q (want run, preview, list, void or wholesale)", args[0])
}
