package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/shopspring/decimal"
)

// runSummary is what `cascade invoice run` reports: per issuer and currency, how many invoices
// and their totals; the cycle's counters; every invoice it could not build.
type runSummary struct {
	AsOf          time.Time
	DryRun        bool
	Invoices      int
	AlreadyIssued int // not known in a dry run
	Empty         int // not known in a dry run
	Subscriptions int // not known in a dry run
	Rows          []issuerRow
	Failures      []runFailure
}

// issuerRow sums one issuer's invoices in one currency.
type issuerRow struct {
	Issuer, Name, Currency string
	Count                  int
	First, Last            string // invoice numbers; empty in a dry run
	Net, Tax, Total        decimal.Decimal
}

// runFailure is one invoice (or, in a dry run, one account) that could not be built.
type runFailure struct {
	Issuer, Buyer string
	Boundary      time.Time
	Err           error
}

// runInvoiceRun runs the invoice cycle, or previews it with --dry-run. The billing package
// reports no progress from inside a cycle, so the phases are printed with their timings on
// stderr; a dry run previews account by account and reports how far it is.
func runInvoiceRun(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("invoice run", flag.ContinueOnError)
	var src ledgerSource
	src.register(fs, true)
	asOf := fs.String("as-of", "", "issue what is due at or before this instant: YYYY-MM-DD (00:00 UTC) or RFC 3339 (required)")
	dry := fs.Bool("dry-run", false, "preview every account's due invoices; write nothing, take no number")
	format := fs.String("format", "table", "table or json")
	_, help, err := parseFlags(e, fs, "usage: cascade invoice run --as-of DATE [--dry-run] [--format table|json] (--data DIR | --config FILE)", args, 0)
	if help || err != nil {
		return err
	}
	if *asOf == "" {
		return usagef("--as-of is required (YYYY-MM-DD or RFC 3339)")
	}
	at, err := parseWhen("as-of", *asOf)
	if err != nil {
		return err
	}
	if err := oneOf("format", *format, "table", "json"); err != nil {
		return err
	}
	if err := src.check(fs); err != nil {
		return err
	}
	phase := func(what string, start time.Time) {
		fmt.Fprintf(e.stderr, "cascade invoice run: %s (%s)\n", what, time.Since(start).Round(time.Millisecond))
	}
	start := time.Now()
	src.writes = !*dry
	svc, store, err := src.openBilling(ctx, e)
	if err != nil {
		return err
	}
	defer store.Close()
	phase("billing state loaded", start)

	start = time.Now()
	var sum *runSummary
	var runErr error
	if *dry {
		if sum, err = dryRun(ctx, e, svc, at); err != nil {
			return fmt.Errorf("dry run as of %s: %w", at.Format(time.RFC3339), err)
		}
		phase(fmt.Sprintf("dry run done: %d invoices would be issued, nothing written", sum.Invoices), start)
	} else {
		fmt.Fprintf(e.stderr, "cascade invoice run: running the cycle as of %s\n", at.Format(time.RFC3339))
		rep, err := svc.RunCycle(ctx, at)
		if err != nil && !errors.Is(err, billing.ErrIncomplete) {
			return fmt.Errorf("invoice cycle as of %s: %w (issued before the failure: %d)", at.Format(time.RFC3339), err, rep.Invoices)
		}
		runErr = err
		sum = cycleSummary(svc, rep)
		phase(fmt.Sprintf("cycle done: %d invoices issued", rep.Invoices), start)
	}
	if err := printRunSummary(e, sum, *format); err != nil {
		return err
	}
	if runErr == nil && len(sum.Failures) > 0 {
		runErr = fmt.Errorf("%d invoice(s) could not be built (listed above): %w", len(sum.Failures), billing.ErrIncomplete)
	}
	return runErr
}

// cycleSummary adds up what a cycle issued, per issuer and currency.
func cycleSummary(svc *billing.Service, rep billing.CycleReport) *runSummary {
	sum := &runSummary{AsOf: rep.AsOf, Invoices: rep.Invoices, AlreadyIssued: rep.AlreadyIssued, Empty: rep.Empty,
		Subscriptions: rep.Subscriptions}
	var invs []*billing.Invoice
	for _, id := range rep.Issued {
		if inv, ok := svc.Invoice(id); ok {
			invs = append(invs, inv)
		}
	}
	sum.Rows = issuerRows(invs)
	for _, f := range rep.Failed {
		sum.Failures = append(sum.Failures, runFailure{Issuer: f.Issuer, Buyer: f.Buyer, Boundary: f.Boundary, Err: f.Err})
	}
	return sum
}

// dryRun previews every account at asOf and keeps the invoices due by then: what the cycle
// would issue. Progress goes to stderr about every tenth of the accounts.
func dryRun(ctx context.Context, e *env, svc *billing.Service, asOf time.Time) (*runSummary, error) {
	sum := &runSummary{AsOf: asOf.UTC(), DryRun: true}
	var ids []string
	if err := svc.View(func(st *billing.State) error {
		for _, a := range st.Accounts() {
			ids = append(ids, a.ID)
		}
		return nil
	}); err != nil {
		return sum, err
	}
	step := max(1, len(ids)/10)
	var due []*billing.Invoice
	for i, id := range ids {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		drafts, err := svc.Preview(ctx, id, asOf)
		if err != nil {
			sum.Failures = append(sum.Failures, runFailure{Buyer: id, Boundary: asOf, Err: err})
		}
		for _, d := range drafts {
			if !d.Boundary.After(asOf) {
				due = append(due, d)
			}
		}
		if (i+1)%step == 0 || i+1 == len(ids) {
			fmt.Fprintf(e.stderr, "cascade invoice run: previewed %d/%d accounts, %d invoices due\n", i+1, len(ids), len(due))
		}
	}
	sum.Invoices = len(due)
	sum.Rows = issuerRows(due)
	return sum, nil
}

// issuerRows sums invoices per issuer and currency, sorted by issuer then currency.
func issuerRows(invs []*billing.Invoice) []issuerRow {
	idx := map[[2]string]*issuerRow{}
	for _, inv := range invs {
		k := [2]string{inv.Issuer.ID, inv.Currency}
		r, ok := idx[k]
		if !ok {
			r = &issuerRow{Issuer: inv.Issuer.ID, Name: inv.Issuer.Name, Currency: inv.Currency, First: inv.Number}
			idx[k] = r
		}
		r.Count++
		r.Net, r.Tax, r.Total = r.Net.Add(inv.Subtotal), r.Tax.Add(inv.Tax), r.Total.Add(inv.Total)
		if inv.Number != "" && (r.First == "" || inv.Number < r.First) {
			r.First = inv.Number
		}
		if inv.Number > r.Last {
			r.Last = inv.Number
		}
	}
	out := make([]issuerRow, 0, len(idx))
	for _, r := range idx {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Issuer != out[j].Issuer {
			return out[i].Issuer < out[j].Issuer
		}
		return out[i].Currency < out[j].Currency
	})
	return out
}
