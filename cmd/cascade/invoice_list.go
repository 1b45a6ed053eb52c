package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// listFilter is what `cascade invoice list` selects on, beyond billing.InvoiceFilter: overdue
// (an issued invoice past its due date at now) and the issue-date window [from, to).
type listFilter struct {
	billing.InvoiceFilter
	overdue  bool
	from, to time.Time
	now      time.Time
}

func (f listFilter) keep(inv *billing.Invoice) bool {
	switch {
	case f.overdue && !inv.Overdue(f.now):
		return false
	case !f.from.IsZero() && (inv.IssuedAt.IsZero() || inv.IssuedAt.Before(f.from)):
		return false
	case !f.to.IsZero() && (inv.IssuedAt.IsZero() || !inv.IssuedAt.Before(f.to)):
		return false
	}
	return true
}

// runInvoiceList lists invoices and credit notes, oldest issue first.
func runInvoiceList(ctx context.Context, e *env, args []string) error {
	return invoiceList(ctx, e, args, time.Now)
}

func invoiceList(ctx context.Context, e *env, args []string, now func() time.Time) error {
	fs := flag.NewFlagSet("invoice list", flag.ContinueOnError)
	var src ledgerSource
	src.register(fs, true)
	f := listFilter{now: now().UTC()}
	fs.StringVar(&f.Buyer, "account", "", "only documents sent to this account")
	fs.StringVar(&f.Issuer, "issuer", "", "only documents this account issued")
	status := fs.String("status", "", "draft, issued, paid, void or overdue (issued and past due)")
	kind := fs.String("kind", "", "invoice or credit_note")
	from := fs.String("from", "", "issued at or after: YYYY-MM-DD (00:00 UTC) or RFC 3339")
	to := fs.String("to", "", "issued before: YYYY-MM-DD (00:00 UTC) or RFC 3339")
	format := fs.String("format", "table", "table, csv or json")
	_, help, err := parseFlags(e, fs, "usage: cascade invoice list [--account A] [--issuer I] [--status S] [--kind K] [--from DATE] [--to DATE] [--format table|csv|json] (--data DIR | --config FILE)", args, 0)
	if help || err != nil {
		return err
	}
	if *status != "" {
		if err := oneOf("status", *status, "draft", "issued", "paid", "void", "overdue"); err != nil {
			return err
		}
		f.Status, f.overdue = billing.Status(*status), *status == "overdue"
		if f.overdue {
			f.Status = billing.StatusIssued
		}
	}
	if *kind != "" {
		if err := oneOf("kind", *kind, string(billing.DocInvoice), string(billing.DocCreditNote)); err != nil {
			return err
		}
		f.Kind = billing.DocumentKind(*kind)
	}
	for _, d := range []struct {
		name, v string
		t       *time.Time
	}{{"from", *from, &f.from}, {"to", *to, &f.to}} {
		if d.v != "" {
			if *d.t, err = parseWhen(d.name, d.v); err != nil {
				return err
			}
		}
	}
	if !f.from.IsZero() && !f.to.IsZero() && !f.from.Before(f.to) {
		return usagef("--from %s is not before --to %s", *from, *to)
	}
	if err := oneOf("format", *format, "table", "csv", "json"); err != nil {
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
	var invs []*billing.Invoice
	for _, inv := range svc.Invoices(f.InvoiceFilter) {
		if f.keep(inv) {
			invs = append(invs, inv)
		}
	}
	rows, err := listRows(invs, f.now)
	if err != nil {
		return err
	}
	switch *format {
	case "csv":
		return writeListCSV(e.stdout, rows)
	case "json":
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(rows)
	}
	return writeListTable(e.stdout, rows)
}

// listRow is one document of the list; amounts are strings at the currency's minor unit.
type listRow struct {
	ID         string `json:"id"`
	Number     string `json:"number"`
	Kind       string `json:"kind"`
	Status     string `json:"status"`
	Overdue    bool   `json:"overdue"`
	Issuer     string `json:"issuer"`
	Buyer      string `json:"buyer"`
	Currency   string `json:"currency"`
	PeriodFrom string `json:"period_from"`
	PeriodTo   string `json:"period_to"`
	IssuedAt   string `json:"issued_at"`
	DueAt      string `json:"due_at"`
	Subtotal   string `json:"subtotal"`
	Tax        string `json:"tax"`
	Total      string `json:"total"`
	Credited   string `json:"credited"`
	RefersTo   string `json:"refers_to"`
}

func listRows(invs []*billing.Invoice, now time.Time) ([]listRow, error) {
	rows := make([]listRow, 0, len(invs))
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, inv := range invs {
		a, err := amountsOf(inv.Currency, inv.Subtotal, inv.Tax, inv.Total, inv.Credited)
		if err != nil {
			return nil, fmt.Errorf("invoice %s: %w", inv.ID, err)
		}
		rows = append(rows, listRow{ID: inv.ID, Number: inv.Number, Kind: string(inv.Kind), Status: string(inv.Status),
			Overdue: inv.Overdue(now), Issuer: inv.Issuer.ID, Buyer: inv.Buyer.ID, Currency: inv.Currency,
			PeriodFrom: stamp(inv.Period.From), PeriodTo: stamp(inv.Period.To), IssuedAt: stamp(inv.IssuedAt),
			DueAt: stamp(inv.DueAt), Subtotal: a[0], Tax: a[1], Total: a[2], Credited: a[3], RefersTo: inv.RefersTo})
	}
	return rows, nil
}

func writeListCSV(w io.Writer, rows []listRow) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "number", "kind", "status", "overdue", "issuer", "buyer", "currency", "period_from", "period_to",
		"issued_at", "due_at", "subtotal", "tax", "total", "credited", "refers_to"})
	for _, r := range rows {
		_ = cw.Write([]string{r.ID, r.Number, r.Kind, r.Status, fmt.Sprint(r.Overdue), r.Issuer, r.Buyer, r.Currency, r.PeriodFrom,
			r.PeriodTo, r.IssuedAt, r.DueAt, r.Subtotal, r.Tax, r.Total, r.Credited, r.RefersTo})
	}
	cw.Flush()
	return cw.Error()
}

// writeListTable shows the documents for a person: an issued invoice past due reads
// "overdue"; a draft, which has no number yet, shows its id.
func writeListTable(w io.Writer, rows []listRow) error {
	if len(rows) == 0 {
		fmt.Fprintln(w, "No documents match.")
		return nil
	}
	tb := newTable("NUMBER", "KIND", "STATUS", "ISSUER", "BUYER", "ISSUED", "DUE", "NET>", "TAX>", "TOTAL>", "CUR")
	for _, r := range rows {
		number, status := r.Number, r.Status
		if number == "" {
			number = r.ID
		}
		if r.Overdue {
			status = "overdue"
		}
		tb.add(number, r.Kind, status, r.Issuer, r.Buyer, shortDay(r.IssuedAt), shortDay(r.DueAt), r.Subtotal, r.Tax, r.Total, r.Currency)
	}
	if err := tb.write(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "%d document(s)\n", len(rows))
	return nil
}

// shortDay keeps the date of an RFC 3339 stamp ("" stays "-").
func shortDay(stamp string) string {
	if len(stamp) < len(time.DateOnly) {
		return "-"
	}
	return stamp[:len(time.DateOnly)]
}
