package billing

import (
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/rating"
)

// The lifecycle methods change an Invoice value and nothing else: the Service persists the
// result (snapshot event, document version, journal). Each refuses a transition the state
// does not allow with ErrConflict naming both states, and leaves the invoice unchanged on error.

// Issue turns a draft into an issued document with its number: IssuedAt = at, and for an
// invoice DueAt = at + termsDays days (a credit note is owed nothing, so it has no due date).
func (inv *Invoice) Issue(number string, at time.Time, termsDays int) error {
	if inv.Status != StatusDraft {
		return inv.refuse("issue")
	}
	switch {
	case number == "":
		return fmt.Errorf("issue %s %s: number is required: %w", inv.Kind, inv.ID, ErrInvalid)
	case at.IsZero():
		return fmt.Errorf("issue %s %s: issue time is required: %w", inv.Kind, inv.ID, ErrInvalid)
	case termsDays < 0:
		return fmt.Errorf("issue %s %s: payment terms %d days is negative: %w", inv.Kind, inv.ID, termsDays, ErrInvalid)
	}
	inv.Number, inv.Status, inv.IssuedAt = number, StatusIssued, at.UTC()
	inv.DueAt = time.Time{}
	if inv.Kind == DocInvoice {
		inv.DueAt = inv.IssuedAt.AddDate(0, 0, termsDays)
	}
	return nil
}

// MarkPaid records an issued invoice as paid. Credit notes are never paid (they are settled by
// reducing what the buyer owes), so only invoices can be.
func (inv *Invoice) MarkPaid(at time.Time) error {
	if inv.Status != StatusIssued || inv.Kind != DocInvoice {
		return inv.refuse("mark paid")
	}
	if at.Before(inv.IssuedAt) {
		return fmt.Errorf("mark %s %s paid at %s: before it was issued at %s: %w", inv.Kind, inv.Number,
			at.UTC().Format(time.RFC3339), inv.IssuedAt.Format(time.RFC3339), ErrInvalid)
	}
	inv.Status = StatusPaid
	return nil
}

// Void cancels an issued document. An invoice a credit note already refers to cannot be
// voided (the credit would point at nothing): credit the rest instead. A paid invoice cannot be
// voided either: the money moved, so only a credit note can give it back.
func (inv *Invoice) Void(at time.Time) error {
	if inv.Status != StatusIssued {
		return inv.refuse("void")
	}
	if !inv.Credited.IsZero() {
		return fmt.Errorf("void %s %s: credit notes already credit %s %s of it; credit the rest instead: %w",
			inv.Kind, inv.Number, inv.Credited.String(), inv.Currency, ErrConflict)
	}
	if at.Before(inv.IssuedAt) {
		return fmt.Errorf("void %s %s at %s: before it was issued at %s: %w", inv.Kind, inv.Number,
			at.UTC().Format(time.RFC3339), inv.IssuedAt.Format(time.RFC3339), ErrInvalid)
	}
	inv.Status = StatusVoid
	return nil
}

// refuse builds the ErrConflict of a transition the current state does not allow.
func (inv *Invoice) refuse(op string) error {
	name := inv.Number
	if name == "" {
		name = inv.ID
	}
	return fmt.Errorf("%s %s %s: not allowed from status %s: %w", op, inv.Kind, name, inv.Status, ErrConflict)
}

// AddCredit records on an invoice the credit note cn just issued against it: Credited grows by
// the note's total (credit notes carry negative amounts). It refuses a note for another
// invoice, a draft or void note, and a credit beyond the invoice's total.
func (inv *Invoice) AddCredit(cn *Invoice) error {
	if err := inv.checkCredit(cn); err != nil {
		return err
	}
	if cn.Status != StatusIssued {
		return fmt.Errorf("credit invoice %s with %s: credit note is %s, not issued: %w", inv.Number, cn.ID, cn.Status, ErrConflict)
	}
	credited := inv.Credited.Sub(cn.Total)
	if credited.GreaterThan(inv.Total) {
		return fmt.Errorf("credit invoice %s with %s: %s %s would exceed its total %s: %w",
			inv.Number, cn.ID, credited.String(), inv.Currency, inv.Total.String(), ErrConflict)
	}
	inv.Credited = credited
	return nil
}

// RemoveCredit gives back on the invoice the credit of a credit note that was voided.
func (inv *Invoice) RemoveCredit(cn *Invoice) error {
	if err := inv.checkCredit(cn); err != nil {
		return err
	}
	if cn.Status != StatusVoid {
		return fmt.Errorf("release credit of %s on invoice %s: credit note is %s, not void: %w", cn.ID, inv.Number, cn.Status, ErrConflict)
	}
	credited := inv.Credited.Add(cn.Total)
	if credited.IsNegative() {
		return fmt.Errorf("release credit of %s on invoice %s: only %s %s is credited: %w", cn.ID, inv.Number, inv.Credited.String(), inv.Currency, ErrConflict)
	}
	inv.Credited = credited
	return nil
}

func (inv *Invoice) checkCredit(cn *Invoice) error {
	switch {
	case inv.Kind != DocInvoice:
		return fmt.Errorf("credit %s: it is a %s, not an invoice: %w", inv.ID, inv.Kind, ErrConflict)
	case cn.Kind != DocCreditNote || cn.RefersTo != inv.ID:
		return fmt.Errorf("credit invoice %s with %s %s: it refers to %q: %w", inv.ID, cn.Kind, cn.ID, cn.RefersTo, ErrConflict)
	case cn.Currency != inv.Currency:
		return fmt.Errorf("credit invoice %s (%s) with %s (%s): %w", inv.ID, inv.Currency, cn.ID, cn.Currency, ErrCurrencyMismatch)
	}
	return nil
}

// currencyOf looks up a document's currency, as an ErrInvalid naming the document.
func currencyOf(inv *Invoice) (rating.Currency, error) {
	c, err := rating.LookupCurrency(inv.Currency)
	if err != nil {
		return rating.Currency{}, fmt.Errorf("%s %s: currency: %v: %w", inv.Kind, inv.ID, err, ErrInvalid)
	}
	return c, nil
}
