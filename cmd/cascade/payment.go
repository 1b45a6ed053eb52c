package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// paymentConfig is what `cascade payment record` runs with.
type paymentConfig struct {
	in      billing.PaymentInput
	dataDir string
	catalog string
	taxes   string
}

// stringList is a repeatable string flag (--invoice A --invoice B).
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// runPayment dispatches the payment commands; record is the only one so far.
func runPayment(ctx context.Context, e *env, args []string) error {
	const usage = "usage: cascade payment record --data DIR --account A --amount X --currency CUR --id ID [--invoice ID]... [--received-at T]"
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stdout, usage)
		if len(args) == 0 {
			return usagef("which payment command? (record)")
		}
		return nil
	}
	if args[0] == "record" {
		return runPaymentRecord(ctx, e, args[1:])
	}
	return usagef("unknown payment command %q (want record)", args[0])
}

func parsePaymentFlags(e *env, args []string, now time.Time) (paymentConfig, bool, error) {
	fs := flag.NewFlagSet("payment record", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := paymentConfig{}
	var invoices stringList
	fs.StringVar(&c.dataDir, "data", "", "embedded ledger directory, as written by 'cascade demo --data DIR' (required)")
	fs.StringVar(&c.catalog, "catalog", "examples/catalog.yaml", "catalog YAML file")
	fs.StringVar(&c.taxes, "taxes", "examples/taxes.yaml", "tax rules YAML file")
	fs.StringVar(&c.in.ID, "id", "", "the payment's id: the bank or provider transaction id, its idempotency key (required)")
	fs.StringVar(&c.in.Account, "account", "", "the paying account (required)")
	amount := fs.String("amount", "", "the amount received, a decimal in the currency's minor unit (required)")
	fs.StringVar(&c.in.Currency, "currency", "", "ISO 4217 currency, the account's (required)")
	fs.Var(&invoices, "invoice", "an invoice id or number the payment pays (repeatable; default: oldest open first)")
	received := fs.String("received-at", "", "when the money arrived: RFC 3339 or YYYY-MM-DD (default: now)")
	fs.StringVar(&c.in.Method, "method", "manual", "payment method, free text (bank_transfer, card...)")
	fs.StringVar(&c.in.Reference, "reference", "", "the payer's or bank's reference")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(e.stdout, "usage: cascade payment record [flags]")
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			return c, true, nil
		}
		return c, false, usagef("%v", err)
	}
	switch {
	case fs.NArg() > 0:
		return c, false, usagef("unexpected argument %q", fs.Arg(0))
	case c.in.ID == "":
		return c, false, usagef("--id is required (the bank or provider transaction id)")
	case c.in.Account == "":
		return c, false, usagef("--account is required")
	case *amount == "":
		return c, false, usagef("--amount is required")
	case c.in.Currency == "":
		return c, false, usagef("--currency is required")
	case c.dataDir == "":
		return c, false, usagef("--data is required: the ledger directory written by 'cascade demo --data DIR'")
	}
	var err error
	if c.in.Amount, err = decimal.NewFromString(*amount); err != nil || strings.ContainsAny(*amount, "eE") {
		return c, false, usagef("--amount %q: want a decimal such as 120.50", *amount)
	}
	c.in.ReceivedAt = now
	if *received != "" {
		if c.in.ReceivedAt, err = time.Parse(time.RFC3339, *received); err != nil {
			if c.in.ReceivedAt, err = time.Parse("2006-01-02", *received); err != nil {
				return c, false, usagef("--received-at %q: want RFC 3339 or YYYY-MM-DD", *received)
			}
		}
	}
	c.in.Invoices = invoices
	if err := c.in.Validate(); err != nil {
		return c, false, &usageError{err}
	}
	if st, err := os.Stat(c.dataDir); err != nil || !st.IsDir() {
		return c, false, usagef("--data %s: not a directory", c.dataDir)
	}
	return c, false, nil
}

// runPaymentRecord records a payment in the ledger and prints what it paid.
func runPaymentRecord(ctx context.Context, e *env, args []string) error {
	cfg, help, err := parsePaymentFlags(e, args, time.Now())
	if help || err != nil {
		return err
	}
	svc, store, err := openBilling(ctx, e, cfg.dataDir, cfg.catalog, cfg.taxes)
	if err != nil {
		return err
	}
	defer store.Close()
	pay, err := svc.RecordPayment(ctx, cfg.in, "cli")
	switch {
	case errors.Is(err, billing.ErrInvalid), errors.Is(err, billing.ErrNotFound), errors.Is(err, billing.ErrConflict),
		errors.Is(err, billing.ErrCurrencyMismatch):
		return &usageError{err}
	case err != nil:
		return err
	}
	return printPayment(e.stdout, pay, svc.Balance(pay.Account))
}

// printPayment shows the allocation: what each invoice got, the credit used and left, and what
// the account still owes.
func printPayment(w io.Writer, p *billing.Payment, b billing.AccountBalance) error {
	cur, err := rating.LookupCurrency(p.Currency)
	if err != nil {
		return fmt.Errorf("currency %q: %w", p.Currency, err)
	}
	amt := func(d decimal.Decimal) string { return d.StringFixed(cur.MinorUnits) }
	fmt.Fprintf(w, "payment %s from %s: %s %s received %s (recorded %s)\n\n", p.ID, p.Account, amt(p.Amount), p.Currency,
		p.ReceivedAt.Format(time.RFC3339), p.RecordedAt.Format(time.RFC3339))
	rows := append(append([]billing.Allocation(nil), p.CreditApplied...), p.Allocations...)
	if len(rows) == 0 {
		fmt.Fprintln(w, "Nothing allocated: no open invoice.")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "INVOICE\tFROM\tALLOCATED\tSTATUS")
		for _, a := range rows {
			from, status := "this payment", "partly paid"
			if a.Payment != p.ID {
				from = "credit of " + a.Payment
			}
			if a.Settled {
				status = "paid"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Number, from, amt(a.Amount), status)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintf(w, "\nkept as credit: %s %s\n", amt(p.Unallocated), p.Currency)
	fmt.Fprintf(w, "account %s now owes %s %s on %d open invoice(s) and holds %s %s of credit\n", b.Account, amt(b.Due), b.Currency,
		len(b.Open), amt(b.Credit), b.Currency)
	return nil
}
