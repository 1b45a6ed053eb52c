package billing

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// PaymentAggregate is the ledger aggregate prefix of payments: "payment:<id>". A payment's
// events are its receipt, later allocations of its leftover credit, and its refunds.
const PaymentAggregate = "payment:"

// Event types of the payment aggregate.
const (
	EventPaymentReceived  = "received"
	EventPaymentAllocated = "allocated"
	EventPaymentRefunded  = "refunded"
)

// PaymentInput is money received from an account (the payer). ID is the idempotency key: the
// provider's or the bank's transaction id, so the same payment reported twice is recorded once.
type PaymentInput struct {
	ID       string
	Account  string          // the payer: the buyer of the invoices it pays
	Amount   decimal.Decimal // positive, in the currency's minor unit
	Currency string
	// ReceivedAt is when the money arrived (the value date); it is stored to the second.
	ReceivedAt time.Time
	Method     string // "bank_transfer", "card", "webhook"...: free text for finance
	Reference  string // the payer's or provider's reference
	// Invoices names the invoices (ids or numbers) the payer says it pays, in order. Empty: the
	// oldest open invoices are paid first.
	Invoices []string
}

// Validate checks the fields on their own, naming the field; the state checks come later.
func (p *PaymentInput) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("payment %q: %s: %s: %w", p.ID, field, fmt.Sprintf(format, args...), ErrInvalid)
	}
	switch {
	case strings.TrimSpace(p.ID) == "":
		return bad("id", "is required (the idempotency key)")
	case validExternalID(p.ID) != nil:
		return bad("id", "%v", validExternalID(p.ID))
	case strings.TrimSpace(p.Account) == "":
		return bad("account", "is required")
	case !p.Amount.IsPositive():
		return bad("amount", "%s must be positive", p.Amount.String())
	case p.ReceivedAt.IsZero():
		return bad("received_at", "is required")
	}
	cur, err := rating.LookupCurrency(p.Currency)
	if err != nil {
		return bad("currency", "%v", err)
	}
	if !cur.IsRounded(p.Amount) {
		return bad("amount", "%s is finer than %s's minor unit", p.Amount.String(), cur.Code)
	}
	seen := map[string]bool{}
	for i, id := range p.Invoices {
		switch {
		case strings.TrimSpace(id) == "":
			return bad(fmt.Sprintf("invoices[%d]", i), "is empty")
		case validExternalID(id) != nil:
			return bad(fmt.Sprintf("invoices[%d]", i), "%v", validExternalID(id))
		case seen[id]:
			return bad(fmt.Sprintf("invoices[%d]", i), "%q is named twice", id)
		}
		seen[id] = true
	}
	return nil
}

// validExternalID checks an id that comes from outside (a provider's transaction id, an invoice
// named by the payer) and is compared as given: "pay-1" and " pay-1 " are two idempotency keys,
// so a retry with stray whitespace would record the money twice. Leading or trailing whitespace
// and control characters are refused; any other format is the provider's business.
func validExternalID(id string) error {
	switch {
	case strings.TrimSpace(id) != id:
		return fmt.Errorf("%q has leading or trailing whitespace (ids are compared as given: a retry without it would be another one)", id)
	case strings.ContainsFunc(id, unicode.IsControl):
		return fmt.Errorf("%q contains a control character", id)
	}
	return nil
}

// Bounds of a payment's received_at (checkReceivedAt).
const (
	// maxPaymentSkew is how far after now a payment may say it was received: the provider's
	// clock may run a little ahead, no further (the ledger refuses far-future dates later).
	maxPaymentSkew = 5 * time.Minute
	// earliestPaymentYear: no payment system Cascade talks to predates 2000; money "received"
	// in 1970 is a zero date or a typo.
	earliestPaymentYear = 2000
)

// checkReceivedAt bounds received_at to 2000-01-01 … now + maxPaymentSkew, as an ErrInvalid
// naming the field. It needs the clock, so the Service calls it (Validate checks fields alone).
func (p *PaymentInput) checkReceivedAt(now time.Time) error {
	t := p.ReceivedAt.UTC()
	earliest := time.Date(earliestPaymentYear, 1, 1, 0, 0, 0, 0, time.UTC)
	switch {
	case t.Before(earliest):
		return fmt.Errorf("payment %q: received_at: %s is before %s (a zero date or a typo): %w",
			p.ID, t.Format(time.RFC3339), earliest.Format(time.DateOnly), ErrInvalid)
	case t.After(now.Add(maxPaymentSkew)):
		return fmt.Errorf("payment %q: received_at: %s is after now (%s) + %s of clock skew: money is recorded once received: %w",
			p.ID, t.Format(time.RFC3339), now.UTC().Format(time.RFC3339), maxPaymentSkew, ErrInvalid)
	}
	return nil
}

// normalized is the input as it is stored and compared on a replay: times in UTC to the second
// (the ledger's precision), so a replay after a restart compares equal.
func (p PaymentInput) normalized() PaymentInput {
	p.ReceivedAt = p.ReceivedAt.UTC().Truncate(time.Second)
	p.Invoices = slices.Clone(p.Invoices)
	return p
}

// sameRequest reports whether a replayed input is the payment already recorded under its id.
func (p *Payment) sameRequest(in PaymentInput) bool {
	return p.Account == in.Account && p.Amount.Equal(in.Amount) && p.Currency == in.Currency &&
		p.ReceivedAt.Equal(in.ReceivedAt) && p.Method == in.Method && p.Reference == in.Reference &&
		slices.Equal(p.Invoices, in.Invoices)
}

// Payment is a recorded payment and what became of its money: allocated to invoices, refunded,
// or still held as the account's credit (Unallocated).
type Payment struct {
	ID         string          `json:"id"`
	Account    string          `json:"account"`
	Amount     decimal.Decimal `json:"amount"`
	Currency   string          `json:"currency"`
	ReceivedAt time.Time       `json:"received_at"`
	RecordedAt time.Time       `json:"recorded_at"`
	Method     string          `json:"method,omitempty"`
	Reference  string          `json:"reference,omitempty"`
	Invoices   []string        `json:"invoices,omitempty"` // as named in the input
	// Allocations is every allocation of this payment's money, in order: at receipt, then later
	// ones of its leftover credit (when a later payment of the account is recorded).
	Allocations []Allocation `json:"allocations"`
	// CreditApplied is what earlier payments' credit paid when this payment was recorded (those
	// allocations belong to the earlier payments; listed here so the recording shows all it did).
	CreditApplied []Allocation `json:"credit_applied,omitempty"`
	Refunds       []Refund     `json:"refunds,omitempty"`
	// Released is money of this payment's allocations given back by a refund after the invoice
	// stopped owing it (a credit note after the payment): per invoice, positive amounts.
	Released []Allocation `json:"released,omitempty"`
	// Notes explain what was not allocated as asked (a named invoice already paid).
	Notes []string `json:"notes,omitempty"`
	// Unallocated = Amount − Σ Allocations + Σ Released − Σ Refunds: the account credit this
	// payment holds.
	Unallocated decimal.Decimal `json:"unallocated"`
}

// Allocation is part of a payment applied to one invoice.
type Allocation struct {
	Payment string          `json:"payment"` // whose money it is
	Invoice string          `json:"invoice"`
	Number  string          `json:"number"`
	Amount  decimal.Decimal `json:"amount"`
	At      time.Time       `json:"at"`
	// Settled: this allocation paid the invoice in full (it was marked paid).
	Settled bool `json:"settled,omitempty"`
}

// RefundInput gives back part of a payment's unallocated credit. ID is the idempotency key.
type RefundInput struct {
	ID      string
	Payment string
	Amount  decimal.Decimal // positive, at most the payment's Unallocated
	Reason  string
}

// Refund is a recorded refund.
type Refund struct {
	ID      string          `json:"id"`
	Payment string          `json:"payment"`
	Amount  decimal.Decimal `json:"amount"`
	Reason  string          `json:"reason,omitempty"`
	At      time.Time       `json:"at"`
}

// clone copies a payment so callers cannot change the book.
func (p *Payment) clone() *Payment {
	c := *p
	c.Invoices = slices.Clone(p.Invoices)
	c.Allocations = slices.Clone(p.Allocations)
	c.CreditApplied = slices.Clone(p.CreditApplied)
	c.Refunds = slices.Clone(p.Refunds)
	c.Released = slices.Clone(p.Released)
	c.Notes = slices.Clone(p.Notes)
	return &c
}

// AccountBalance is what an account owes and holds: its open invoices and its credit.
type AccountBalance struct {
	Account  string
	Currency string
	// Open lists the account's issued invoices with money still owed, oldest due first (the
	// order payments are allocated in).
	Open []OpenInvoice
	// Due = Σ Open[i].Open.
	Due decimal.Decimal
	// Credit = Σ payments' Unallocated: overpayments not yet used or refunded.
	Credit decimal.Decimal
	// Overpaid is money allocated to invoices that no longer owe it: an invoice credited (credit
	// note) or voided after it was paid. The journal shows it on the receivable (a credit
	// balance); it is not turned back into Credit automatically (docs/billing.md, "Payments").
	// The receivable of the account is Due − Overpaid.
	Overpaid []OpenInvoice
}

// OpenInvoice is an invoice with an open amount: Open = Total − Credited − Paid (0 − Paid for a
// voided invoice); negative in AccountBalance.Overpaid.
type OpenInvoice struct {
	ID       string
	Number   string
	IssuedAt time.Time
	DueAt    time.Time
	Total    decimal.Decimal
	Credited decimal.Decimal
	Paid     decimal.Decimal // Σ allocations
	Open     decimal.Decimal
}
