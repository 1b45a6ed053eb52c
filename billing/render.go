package billing

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// RenderJSON writes the invoice as the document a person or an accounting system reads: stable
// field order, indented, every decimal a string, and every amount printed with exactly the
// currency's minor digits ("49.00", JPY "3000"), tier amounts included (rounded for display; the
// line amount is the one rounded sum that counts). Unrounded working amounts (Line.Exact) stay
// in the stored Invoice, not on the document, so a 0-decimal currency never shows a fraction of
// money. Unit prices are printed as the catalog states them: a rate of 0.0002 per call is a
// price, not an amount due.
func RenderJSON(w io.Writer, inv *Invoice) error {
	doc, err := jsonDocument(inv)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("render invoice %s as JSON: %w", inv.ID, err)
	}
	return nil
}

// The JSON document's shapes: field order here is the order in the file.
type (
	jsonInvoice struct {
		ID       string       `json:"id"`
		Kind     DocumentKind `json:"kind"`
		Number   string       `json:"number,omitempty"`
		Status   Status       `json:"status"`
		Issuer   Party        `json:"issuer"`
		Buyer    Party        `json:"buyer"`
		Currency string       `json:"currency"`
		Period   Period       `json:"period"`
		Boundary time.Time    `json:"boundary"`
		IssuedAt *time.Time   `json:"issued_at,omitempty"`
		DueAt    *time.Time   `json:"due_at,omitempty"`
		RefersTo string       `json:"refers_to,omitempty"`
		Lines    []jsonLine   `json:"lines"`
		Taxes    []jsonTax    `json:"taxes"`
		Subtotal string       `json:"subtotal"`
		Tax      string       `json:"tax"`
		Total    string       `json:"total"`
		Credited string       `json:"credited"`
		Notes    []string     `json:"notes,omitempty"`
		Catalog  string       `json:"catalog,omitempty"`
	}
	jsonLine struct {
		No           int        `json:"no"`
		Kind         LineKind   `json:"kind"`
		Description  string     `json:"description"`
		Subscription string     `json:"subscription,omitempty"`
		PlanID       string     `json:"plan_id,omitempty"`
		PlanVersion  int        `json:"plan_version,omitempty"`
		ChargeID     string     `json:"charge_id,omitempty"`
		Ref          string     `json:"ref,omitempty"`
		Meter        string     `json:"meter,omitempty"`
		Window       Period     `json:"window"`
		Quantity     string     `json:"quantity"`
		Allowance    string     `json:"allowance"`
		UnitPrice    string     `json:"unit_price"`
		Parts        []jsonPart `json:"parts,omitempty"`
		Amount       string     `json:"amount"`
		TaxRate      string     `json:"tax_rate"`
		Net          string     `json:"net"`
		Tax          string     `json:"tax"`
		Gross        string     `json:"gross"`
	}
	jsonPart struct {
		Description string `json:"description"`
		Quantity    string `json:"quantity"`
		UnitPrice   string `json:"unit_price"`
		Amount      string `json:"amount"`
	}
	jsonTax struct {
		Jurisdiction  string `json:"jurisdiction"`
		Name          string `json:"name"`
		Rate          string `json:"rate"`
		Inclusive     bool   `json:"inclusive"`
		ReverseCharge bool   `json:"reverse_charge"`
		Net           string `json:"net"`
		Tax           string `json:"tax"`
	}
)

func jsonDocument(inv *Invoice) (*jsonInvoice, error) {
	if inv == nil {
		return nil, fmt.Errorf("render invoice: nil invoice: %w", ErrInvalid)
	}
	cur, err := rating.LookupCurrency(inv.Currency)
	if err != nil {
		return nil, fmt.Errorf("render invoice %s: %v: %w", inv.ID, err, ErrInvalid)
	}
	m := func(d decimal.Decimal) string { return cur.Round(d, rating.RoundHalfUp).StringFixed(cur.MinorUnits) }
	doc := &jsonInvoice{ID: inv.ID, Kind: inv.Kind, Number: inv.Number, Status: inv.Status, Issuer: inv.Issuer,
		Buyer: inv.Buyer, Currency: inv.Currency, Period: inv.Period, Boundary: inv.Boundary,
		IssuedAt: optionalTime(inv.IssuedAt), DueAt: optionalTime(inv.DueAt), RefersTo: inv.RefersTo,
		Lines: make([]jsonLine, 0, len(inv.Lines)), Taxes: make([]jsonTax, 0, len(inv.Taxes)),
		Subtotal: m(inv.Subtotal), Tax: m(inv.Tax), Total: m(inv.Total), Credited: m(inv.Credited),
		Notes: inv.Notes, Catalog: inv.Catalog}
	for _, l := range inv.Lines {
		jl := jsonLine{No: l.No, Kind: l.Kind, Description: l.Description, Subscription: l.Subscription,
			PlanID: l.PlanID, PlanVersion: l.PlanVersion, ChargeID: l.ChargeID, Ref: l.Ref, Meter: l.Meter,
			Window: l.Window, Quantity: l.Quantity.String(), Allowance: l.Allowance.String(),
			UnitPrice: formatMoney(l.UnitPrice, cur), Amount: m(l.Amount), TaxRate: l.TaxRate.String(),
			Net: m(l.Net), Tax: m(l.Tax), Gross: m(l.Gross)}
		for _, p := range l.Parts {
			jl.Parts = append(jl.Parts, jsonPart{Description: p.Description, Quantity: p.Quantity.String(),
				UnitPrice: formatMoney(p.UnitPrice, cur), Amount: m(p.Amount)})
		}
		doc.Lines = append(doc.Lines, jl)
	}
	for _, t := range inv.Taxes {
		doc.Taxes = append(doc.Taxes, jsonTax{Jurisdiction: t.Jurisdiction, Name: t.Name, Rate: t.Rate.String(),
			Inclusive: t.Inclusive, ReverseCharge: t.ReverseCharge, Net: m(t.Net), Tax: m(t.Tax)})
	}
	return doc, nil
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
