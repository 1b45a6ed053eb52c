package billing

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

//go:embed templates/invoice.html
var renderTemplates embed.FS

// RenderHTML writes the invoice as one self-contained, printable HTML page (A4 CSS, no external
// assets, so it prints the same offline and years later): issuer and buyer, lines with the tiers
// they touched, discounts, taxes per rate and totals. Amounts show exactly the currency's minor
// digits with thousands separators; html/template escapes every name and description. A draft
// says so in red: it must never be mistaken for a tax document.
func RenderHTML(w io.Writer, inv *Invoice) error {
	if inv == nil {
		return fmt.Errorf("render invoice: nil invoice: %w", ErrInvalid)
	}
	cur, err := rating.LookupCurrency(inv.Currency)
	if err != nil {
		return fmt.Errorf("render invoice %s: %v: %w", inv.ID, err, ErrInvalid)
	}
	t, err := template.New("invoice.html").Funcs(template.FuncMap{
		"money": func(d decimal.Decimal) string {
			return groupDigits(cur.Round(d, rating.RoundHalfUp).StringFixed(cur.MinorUnits))
		},
		"price":  func(d decimal.Decimal) string { return groupDigits(formatMoney(d, cur)) },
		"qty":    formatQuantity,
		"date":   func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"period": formatRange,
		"showQty": func(l Line) bool { // discounts are amounts only; a partial credit has no quantity
			switch l.Kind {
			case LineDiscount, LineCoupon, LineCommitment:
				return false
			case LineCredit:
				return !l.Quantity.IsZero()
			}
			return true
		},
	}).ParseFS(renderTemplates, "templates/invoice.html")
	if err != nil {
		return fmt.Errorf("render invoice %s: template: %w", inv.ID, err)
	}
	type party struct {
		Role string
		P    Party
	}
	heading := "Invoice"
	if inv.Kind == DocCreditNote {
		heading = "Credit note"
	}
	title := heading + " " + inv.Number
	if inv.Number == "" {
		title = heading + " (draft) " + inv.ID
	}
	showTax := false
	for _, s := range inv.Taxes {
		showTax = showTax || !s.Rate.IsZero()
	}
	data := struct {
		Title, Heading string
		Inv            *Invoice
		Issuer, Buyer  party
		ShowTax        bool
	}{title, heading, inv, party{"From", inv.Issuer}, party{"Bill to", inv.Buyer}, showTax}
	if err := t.Execute(w, data); err != nil {
		return fmt.Errorf("render invoice %s as HTML: %w", inv.ID, err)
	}
	return nil
}
