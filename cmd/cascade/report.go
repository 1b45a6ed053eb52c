package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// commissionsConfig is what `cascade report commissions` runs with.
type commissionsConfig struct {
	partner string
	period  billing.Period
	format  string
	src     ledgerSource
}

// runReport dispatches the finance reports.
func runReport(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(e.stdout, "usage: cascade report commissions --partner ID --period YYYY-MM [--format table|csv|json] (--data DIR | --config FILE)")
		fmt.Fprintln(e.stdout, "       cascade report consumption --account A --period YYYY-MM [--meter M] [--format table|csv|json] (--data DIR | --config FILE)")
		if len(args) == 0 {
			return usagef("which report? (commissions, consumption)")
		}
		return nil
	}
	switch args[0] {
	case "commissions":
		return runCommissions(ctx, e, args[1:])
	case "consumption":
		return runConsumption(ctx, e, args[1:])
	}
	return usagef("unknown report %q (want commissions or consumption)", args[0])
}

func parseCommissionsFlags(e *env, args []string) (commissionsConfig, bool, error) {
	fs := flag.NewFlagSet("report commissions", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := commissionsConfig{}
	fs.StringVar(&c.partner, "partner", "", "the reseller or distributor account id (required)")
	month := fs.String("period", "", "the month whose postings to report, YYYY-MM (required): invoices issued in it")
	fs.StringVar(&c.format, "format", "table", "table, csv or json")
	c.src.register(fs, true)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(e.stdout, "usage: cascade report commissions [flags]")
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			return c, true, nil
		}
		return c, false, usagef("%v", err)
	}
	from, perr := time.Parse("2006-01", *month)
	switch {
	case fs.NArg() > 0:
		return c, false, usagef("unexpected argument %q", fs.Arg(0))
	case c.partner == "":
		return c, false, usagef("--partner is required")
	case *month == "":
		return c, false, usagef("--period is required (YYYY-MM)")
	case perr != nil:
		return c, false, usagef("--period %q: want YYYY-MM", *month)
	case c.format != "table" && c.format != "csv" && c.format != "json":
		return c, false, usagef("--format %q: want table, csv or json", c.format)
	}
	if err := c.src.check(fs); err != nil {
		return c, false, err
	}
	c.period = billing.Period{From: from, To: from.AddDate(0, 1, 0)}
	return c, false, nil
}

// runCommissions prints a partner's commission statement for a month from the ledger: the
// billing state is rebuilt from its events (read-only: nothing is written).
func runCommissions(ctx context.Context, e *env, args []string) error {
	cfg, help, err := parseCommissionsFlags(e, args)
	if help || err != nil {
		return err
	}
	svc, store, err := cfg.src.openBilling(ctx, e)
	if err != nil {
		return err
	}
	defer store.Close()
	st, err := svc.Statement(ctx, cfg.partner, cfg.period)
	switch {
	case errors.Is(err, billing.ErrNotFound) || errors.Is(err, billing.ErrInvalid):
		return &usageError{fmt.Errorf("--partner %s: %w", cfg.partner, err)}
	case err != nil:
		return err
	}
	switch cfg.format {
	case "csv":
		return billing.RenderStatementCSV(e.stdout, st)
	case "json":
		return billing.RenderStatementJSON(e.stdout, st)
	}
	return printStatement(e.stdout, st)
}

// printStatement is the table format: the lines, then totals per plan, per customer and in all.
func printStatement(w io.Writer, st *billing.Statement) error {
	fmt.Fprintf(w, "Commission statement — %s %s (%s), issued %s to %s\n\n", st.Partner.Kind, st.Partner.ID, st.Partner.Name,
		st.Period.From.Format("2006-01-02"), st.Period.To.Add(-time.Nanosecond).Format("2006-01-02"))
	if len(st.Rows) == 0 {
		fmt.Fprintln(w, "No customer lines were posted in this period.")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "DATE\tDOCUMENT\tCUSTOMER\t#\tPLAN\tDESCRIPTION\tRETAIL\tCOST\tMARGIN\tCUR\t")
	for _, r := range st.Rows {
		a, err := amountsOf(r.Currency, r.Retail, r.Cost, r.Margin)
		if err != nil {
			return err
		}
		doc := r.Document
		if r.Void {
			doc += " (void)"
		}
		mark := ""
		if r.Negative {
			mark = " !"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s%s\t%s\t\n", r.Time.Format("2006-01-02"), doc, r.Customer, r.Line, r.PlanID,
			truncate(r.Description, 40), a[0], a[1], a[2], mark, r.Currency)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, sec := range []struct {
		title string
		rows  []billing.StatementTotal
	}{{"Per plan", st.ByPlan}, {"Per customer", st.ByCustomer}, {"Total", st.Totals}} {
		fmt.Fprintf(w, "\n%s\n", sec.title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "\tLINES\tRETAIL\tCOST\tMARGIN\tCUR\t")
		for _, t := range sec.rows {
			a, err := amountsOf(t.Currency, t.Retail, t.Cost, t.Margin)
			if err != nil {
				return err
			}
			key := t.Key
			if key == "" {
				key = "all"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", key, t.Lines, a[0], a[1], a[2], t.Currency)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if negatives := countNegative(st); negatives > 0 {
		fmt.Fprintf(w, "\n! %d line(s) sold below cost (negative margin).\n", negatives)
	}
	return nil
}

func countNegative(st *billing.Statement) int {
	n := 0
	for _, r := range st.Rows {
		if r.Negative {
			n++
		}
	}
	return n
}

// amountsOf prints amounts with exactly their currency's minor digits.
func amountsOf(currency string, ds ...decimal.Decimal) ([]string, error) {
	cur, err := rating.LookupCurrency(currency)
	if err != nil {
		return nil, fmt.Errorf("currency %q: %w", currency, err)
	}
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.StringFixed(cur.MinorUnits)
	}
	return out, nil
}
