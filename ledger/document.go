package ledger

import (
	"time"

	"github.com/shopspring/decimal"
)

// DocumentKind tells invoices from credit notes.
type DocumentKind string

// Document kinds.
const (
	KindInvoice    DocumentKind = "invoice"
	KindCreditNote DocumentKind = "credit_note"
)

// DocumentStatus is a document's lifecycle state. The current status is the one of the
// highest Version written.
type DocumentStatus string

// Document statuses.
const (
	StatusDraft  DocumentStatus = "draft"
	StatusIssued DocumentStatus = "issued"
	StatusPaid   DocumentStatus = "paid"
	StatusVoid   DocumentStatus = "void"
)

// Document is one version of an invoice or credit note. Every change (issue, payment, void)
// writes the document again with a higher Version; the ledger keeps every version's status
// event and reads the latest. Lines belong to the version they were written with; a version
// written without lines keeps the lines of the latest version that had them.
type Document struct {
	ID          string
	Version     uint64
	Kind        DocumentKind
	Number      string // gap-free per issuer; empty while draft
	Issuer      string
	Account     string
	Currency    string
	PeriodStart time.Time
	PeriodEnd   time.Time
	IssuedAt    time.Time // zero while draft
	Status      DocumentStatus
	Subtotal    decimal.Decimal
	Tax         decimal.Decimal
	Total       decimal.Decimal
	RefersTo    string    // a credit note's invoice id
	ChangedAt   time.Time // when this version was made
	Actor       string    // who made this version
	Lines       []DocumentLine
}

// DocumentLine is one line of a document version.
type DocumentLine struct {
	LineNo      uint32
	Description string
	Charge      string
	Meter       string
	Quantity    decimal.Decimal // Decimal(38, 12)
	UnitPrice   decimal.Decimal // Decimal(38, 18)
	Amount      decimal.Decimal // Decimal(38, 18)
	TaxAmount   decimal.Decimal // Decimal(38, 18)
}

// Validate checks identity, required fields and storage bounds of the document and its lines.
// A zero IssuedAt is allowed (draft); other times must be storable.
func (d *Document) Validate() error {
	v := validator{record: "document", id: d.ID}
	v.required("id", d.ID)
	v.required("kind", string(d.Kind))
	v.required("status", string(d.Status))
	v.required("account", d.Account)
	v.currency("currency", d.Currency)
	v.time("period_start", d.PeriodStart)
	v.time("period_end", d.PeriodEnd)
	v.time("changed_at", d.ChangedAt)
	if !d.IssuedAt.IsZero() {
		v.time("issued_at", d.IssuedAt)
	}
	v.decimal("subtotal", d.Subtotal, AmountScale)
	v.decimal("tax", d.Tax, AmountScale)
	v.decimal("total", d.Total, AmountScale)
	for i, l := range d.Lines {
		f := "lines[" + itoa(i) + "]"
		v.decimal(f+".quantity", l.Quantity, QuantityScale)
		v.decimal(f+".unit_price", l.UnitPrice, AmountScale)
		v.decimal(f+".amount", l.Amount, AmountScale)
		v.decimal(f+".tax_amount", l.TaxAmount, AmountScale)
	}
	return v.result()
}
