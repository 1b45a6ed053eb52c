package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/rating"
)

// runInvoiceWholesale closes a month of the channel (billing.Service.RunWholesale): it settles
// the month's pooled wholesale tiers and issues the wholesale invoices of the partners that
// settle by invoice. Run it after the month's customer invoices were issued; re-running issues
// nothing new.
func runInvoiceWholesale(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("invoice wholesale", flag.ContinueOnError)
	src := ledgerSource{writes: true}
	src.register(fs, true)
	month := fs.String("period", "", "the month to close, YYYY-MM (required); it must have ended")
	format := fs.String("format", "table", "table or json")
	_, help, err := parseFlags(e, fs, "usage: cascade invoice wholesale --period YYYY-MM [--format table|json] (--data DIR | --config FILE)", args, 0)
	if help || err != nil {
		return err
	}
	from, perr := time.Parse("2006-01", *month)
	switch {
	case *month == "":
		return usagef("--period is required (YYYY-MM)")
	case perr != nil:
		return usagef("--period %q: want YYYY-MM", *month)
	}
	if err := oneOf("format", *format, "table", "json"); err != nil {
		return err
	}
	if err := src.check(fs); err != nil {
		return err
	}
	svc, store, err := src.openBilling(ctx, e)
	if err != nil {
		return err
	}
	defer store.Close()
	period := billing.Period{From: from, To: from.AddDate(0, 1, 0)}
	rep, err := svc.RunWholesale(ctx, period)
	if err != nil {
		return fmt.Errorf("close %s: %w", *month, err)
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printWholesale(e, svc, rep)
}

// printWholesale prints the close: the pools, the invoices issued, the partners skipped.
func printWholesale(e *env, svc *billing.Service, rep billing.WholesaleReport) error {
	settled := "settled by this run"
	if !rep.Settled {
		settled = "already settled by an earlier run"
	}
	fmt.Fprintf(e.stdout, "Wholesale close %s — %s: %d pools; %d invoices issued, %d issued before\n",
		rep.Period.From.Format("2006-01"), settled, len(rep.Pools), len(rep.Issued), rep.AlreadyIssued)
	if len(rep.Issued) > 0 {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "\nNUMBER\tISSUER\tBUYER\tCURRENCY\tNET\tTAX\tTOTAL")
		for _, id := range rep.Issued {
			inv, ok := svc.Invoice(id)
			if !ok {
				continue
			}
			c, _ := rating.LookupCurrency(inv.Currency) // an issued invoice's currency is known
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", inv.Number, inv.Issuer.ID, inv.Buyer.ID, inv.Currency,
				inv.Subtotal.StringFixed(c.MinorUnits), inv.Tax.StringFixed(c.MinorUnits), inv.Total.StringFixed(c.MinorUnits))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(e.stdout, "not invoiced: %s %s %s — %s\n", s.Partner, s.Amount.String(), s.Currency, s.Reason)
	}
	return nil
}
