package billing

import (
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// DocumentKind tells an invoice from a credit note.
type DocumentKind string

// Document kinds (the same strings as the ledger's).
const (
	DocInvoice    DocumentKind = "invoice"
	DocCreditNote DocumentKind = "credit_note"
)

// Status is a document's lifecycle state. Overdue is not stored: an issued document is overdue
// once its due date has passed (Invoice.Overdue).
type Status string

// The lifecycle: draft → issued → paid | void. Credit notes are issued or void.
const (
	StatusDraft  Status = "draft"
	StatusIssued Status = "issued"
	StatusPaid   Status = "paid"
	StatusVoid   Status = "void"
)

// LineKind says what an invoice line is.
type LineKind string

// Line kinds: the quote's kinds plus what only invoices have.
const (
	LineRecurring       LineKind = "recurring"
	LineOneTime         LineKind = "one_time"
	LineUsage           LineKind = "usage"
	LineDiscount        LineKind = "discount"
	LineCoupon          LineKind = "coupon"
	LineCommitment      LineKind = "commitment"
	LineProrationCredit LineKind = "proration_credit"
	LineUsageAdjustment LineKind = "usage_adjustment"
	LineCredit          LineKind = "credit" // a credit note's line
)

// Party is the snapshot of an account printed on a document: what it was when issued.
type Party struct {
	ID              string      `json:"id"`
	Kind            AccountKind `json:"kind"`
	Name            string      `json:"name"`
	Address         string      `json:"address,omitempty"`
	TaxJurisdiction string      `json:"tax_jurisdiction"`
	TaxID           string      `json:"tax_id,omitempty"`
	Email           string      `json:"email,omitempty"`
}

// PartyOf snapshots an account.
func PartyOf(a *Account) Party {
	p := Party{ID: a.ID, Kind: a.Kind, Name: a.Name, Address: a.Address, TaxJurisdiction: a.TaxJurisdiction, TaxID: a.TaxID}
	for _, c := range a.Contacts {
		if c.Email != "" {
			p.Email = c.Email
			break
		}
	}
	return p
}

// Invoice is an invoice or credit note. Amounts are decimal in the document's currency; line
// amounts are rounded to the currency's minor unit once each, and every total is a sum of
// rounded lines, so a document always adds up on paper.
type Invoice struct {
	ID       string       `json:"id"` // deterministic: issuer, buyer and boundary (credit notes: invoice and request)
	Kind     DocumentKind `json:"kind"`
	Number   string       `json:"number,omitempty"` // empty while draft
	Status   Status       `json:"status"`
	Issuer   Party        `json:"issuer"`
	Buyer    Party        `json:"buyer"`
	Currency string       `json:"currency"`
	// Period is the usage period the invoice closes; Boundary the cycle instant it was cut at
	// (the end of Period; for a subscription's first invoice, its start).
	Period   Period    `json:"period"`
	Boundary time.Time `json:"boundary"`
	IssuedAt time.Time `json:"issued_at,omitempty"`
	DueAt    time.Time `json:"due_at,omitempty"`
	Lines    []Line    `json:"lines"`
	// Taxes summarises line taxes per (jurisdiction, rate, treatment).
	Taxes    []TaxSummary    `json:"taxes"`
	Subtotal decimal.Decimal `json:"subtotal"` // Σ line net
	Tax      decimal.Decimal `json:"tax"`      // Σ line tax
	Total    decimal.Decimal `json:"total"`    // Σ line gross = Subtotal + Tax
	// RefersTo is a credit note's invoice id; Credited is how much of an invoice's total credit
	// notes have taken back so far.
	RefersTo string          `json:"refers_to,omitempty"`
	Credited decimal.Decimal `json:"credited"`
	Notes    []string        `json:"notes,omitempty"` // e.g. the reverse-charge mention
	// Catalog names the catalog version the invoice was priced with (reproducibility).
	Catalog string `json:"catalog,omitempty"`
	// Request is a credit note's request fingerprint (CreditNoteRequest.Fingerprint): the same
	// id sent again with another request is a conflict, not a silent replay.
	Request string `json:"request,omitempty"`
}

// Line is one invoice line. Amount is the priced amount as the catalog states prices (net when
// the tax is exclusive, gross when inclusive), rounded once; Net, Tax and Gross follow from it
// and the line's tax rate (Tax rounded per line).
type Line struct {
	No           int             `json:"no"` // 1, 2, 3...
	Kind         LineKind        `json:"kind"`
	Description  string          `json:"description"`
	Subscription string          `json:"subscription,omitempty"`
	PlanID       string          `json:"plan_id,omitempty"`
	PlanVersion  int             `json:"plan_version,omitempty"`
	ChargeID     string          `json:"charge_id,omitempty"`
	Ref          string          `json:"ref,omitempty"` // discount id or coupon code
	Meter        string          `json:"meter,omitempty"`
	Window       Period          `json:"window"`
	Quantity     decimal.Decimal `json:"quantity"`
	Allowance    decimal.Decimal `json:"allowance"`
	// UnitPrice is shown when the line has a single unit price (per unit, recurring); zero otherwise.
	UnitPrice decimal.Decimal `json:"unit_price"`
	Parts     []rating.Part   `json:"parts,omitempty"` // tiers touched
	Exact     decimal.Decimal `json:"exact"`           // unrounded
	Amount    decimal.Decimal `json:"amount"`
	TaxRate   decimal.Decimal `json:"tax_rate"` // percent; 0 for reverse charge and exempt
	Net       decimal.Decimal `json:"net"`
	Tax       decimal.Decimal `json:"tax"`
	Gross     decimal.Decimal `json:"gross"`
}

// TaxSummary is the tax of all lines at one rate.
type TaxSummary struct {
	Jurisdiction  string          `json:"jurisdiction"`
	Name          string          `json:"name"` // "VAT 19%"
	Rate          decimal.Decimal `json:"rate"`
	Inclusive     bool            `json:"inclusive"`
	ReverseCharge bool            `json:"reverse_charge"`
	Net           decimal.Decimal `json:"net"`
	Tax           decimal.Decimal `json:"tax"`
}

// Overdue reports whether an issued, unpaid invoice is past its due date at now.
func (inv *Invoice) Overdue(now time.Time) bool {
	return inv.Status == StatusIssued && inv.Kind == DocInvoice && !inv.DueAt.IsZero() && now.After(inv.DueAt)
}

// InvoiceInput is everything Build needs: one issuer → buyer invoice at one boundary.
type InvoiceInput struct {
	ID       string
	Issuer   *Account
	Buyer    *Account
	Period   Period
	Boundary time.Time
	Items    []Item // usage quantities filled
	Catalog  *rating.Catalog
	Taxes    *TaxRules
}

// TaxRules are the tax rules per jurisdiction (loaded from a YAML file, see LoadTaxRules).
type TaxRules struct {
	Jurisdictions map[string]TaxJurisdiction
}

// TaxJurisdiction is one jurisdiction's rule.
type TaxJurisdiction struct {
	Code string
	Name string          // "VAT", "Consumption tax", "Sales tax"
	Rate decimal.Decimal // percent: 19 for 19 %
	// Inclusive: catalog prices sold in this jurisdiction include the tax, which is extracted
	// per line (tax = amount × rate ÷ (100 + rate), rounded); otherwise it is added on top.
	Inclusive bool
	// ReverseCharge: a business buyer (with a tax id) in another jurisdiction than the issuer's
	// pays no tax on the invoice; the invoice says so (Notes) and the buyer self-assesses.
	ReverseCharge bool
}
