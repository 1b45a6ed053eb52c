package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// printInvoice writes a document as text: who to whom, the period, every line with its tax,
// the tax summary and the totals. Amounts have exactly the currency's minor digits; quantities
// and unit prices are exact, as the catalog states them.
func printInvoice(w io.Writer, inv *billing.Invoice) error {
	cur, err := rating.LookupCurrency(inv.Currency)
	if err != nil {
		return fmt.Errorf("invoice %s: currency %q: %w", inv.ID, inv.Currency, err)
	}
	amt := func(d decimal.Decimal) string { return d.StringFixed(cur.MinorUnits) }
	kind := "Invoice"
	if inv.Kind == billing.DocCreditNote {
		kind = "Credit note"
	}
	number := inv.Number
	if number == "" {
		number = "(no number yet)"
	}
	fmt.Fprintf(w, "%s %s — %s\n", kind, number, strings.ToUpper(string(inv.Status)))
	fmt.Fprintf(w, "id %s\n", inv.ID)
	fmt.Fprintf(w, "from %s (%s) to %s (%s)\n", inv.Issuer.ID, inv.Issuer.Name, inv.Buyer.ID, inv.Buyer.Name)
	if inv.Period.To.After(inv.Period.From) {
		fmt.Fprintf(w, "usage period %s to %s, ", day(inv.Period.From), day(inv.Period.To.Add(-time.Nanosecond)))
	} else {
		fmt.Fprint(w, "no usage period (fees in advance), ")
	}
	fmt.Fprintf(w, "cut at %s", inv.Boundary.UTC().Format(time.RFC3339))
	if !inv.IssuedAt.IsZero() {
		fmt.Fprintf(w, "; issued %s, due %s", day(inv.IssuedAt), day(inv.DueAt))
	}
	if inv.RefersTo != "" {
		fmt.Fprintf(w, "; credits %s", inv.RefersTo)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	if len(inv.Lines) == 0 {
		fmt.Fprintln(w, "No lines.")
	} else {
		tb := newTable("#>", "DESCRIPTION", "KIND", "QUANTITY>", "UNIT PRICE>", "NET>", "TAX %>", "TAX>", "GROSS>")
		for _, l := range inv.Lines {
			unit := ""
			if !l.UnitPrice.IsZero() {
				unit = l.UnitPrice.String()
			}
			tb.add(fmt.Sprint(l.No), truncate(l.Description, 64), string(l.Kind), l.Quantity.String(), unit,
				amt(l.Net), l.TaxRate.String(), amt(l.Tax), amt(l.Gross))
		}
		if err := tb.write(w); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	for _, t := range inv.Taxes {
		mode := ""
		switch {
		case t.ReverseCharge:
			mode = ", reverse charge"
		case t.Inclusive:
			mode = ", included in prices"
		}
		fmt.Fprintf(w, "tax %s (%s%s) on %s: %s\n", t.Name, t.Jurisdiction, mode, amt(t.Net), amt(t.Tax))
	}
	for _, n := range inv.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintf(w, "subtotal %s  tax %s  total %s %s\n", amt(inv.Subtotal), amt(inv.Tax), amt(inv.Total), inv.Currency)
	if inv.Credited.IsPositive() {
		fmt.Fprintf(w, "credited so far %s %s\n", amt(inv.Credited), inv.Currency)
	}
	return nil
}

// day prints the date of an instant in UTC.
func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// renderInvoicesJSON writes documents as one JSON array of billing's invoice documents (the
// shape of billing.RenderJSON, which the API serves too).
func renderInvoicesJSON(w io.Writer, invs []*billing.Invoice) error {
	docs := make([]json.RawMessage, 0, len(invs))
	for _, inv := range invs {
		var buf bytes.Buffer
		if err := billing.RenderJSON(&buf, inv); err != nil {
			return err
		}
		docs = append(docs, json.RawMessage(buf.Bytes()))
	}
	out, err := json.MarshalIndent(docs, "", "  ")
	if err != nil {
		return fmt.Errorf("render %d invoices as JSON: %w", len(invs), err)
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}
