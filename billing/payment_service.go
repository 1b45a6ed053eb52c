package billing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// RecordPayment records money received from an account and allocates it (docs/billing.md,
// "Payments"). The payment id is the idempotency key: the same id with the same content returns
// the payment as recorded (nothing is written twice); with other content it is ErrConflict.
//
// Allocation: the targets are the named invoices (in the order named), else the payer's open
// invoices oldest due first (by due date, then number). Older credit of the payer (earlier
// overpayments, oldest first) pays the targets first, then this payment's money. An invoice
// whose open amount reaches zero is marked paid (a new document version). What is left stays on
// the payment as the account's credit (Unallocated), used by the next payment recorded for the
// account or refunded (RefundPayment). A named invoice that is not open (paid, void, fully
// credited) gets nothing and a note says so: the money is kept as credit, never refused.
func (s *Service) RecordPayment(ctx context.Context, in PaymentInput, actor string) (*Payment, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if actor == "" {
		return nil, fmt.Errorf("payment %s: actor is required (the audit log names who recorded it): %w", in.ID, ErrInvalid)
	}
	in = in.normalized()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.recover(ctx); err != nil {
		return nil, err
	}
	if err := s.ready(); err != nil {
		return nil, err
	}
	book := s.payments.live(s.state)
	if prev, ok := book.byID[in.ID]; ok {
		if !prev.sameRequest(in) {
			return nil, fmt.Errorf("payment %s: already recorded with other content (account %s, %s %s, received %s): %w",
				in.ID, prev.Account, prev.Amount.String(), prev.Currency, prev.ReceivedAt.Format(time.RFC3339), ErrConflict)
		}
		return prev.clone(), nil
	}
	// After the replay check: an identical retry answers as recorded; a new payment is held to
	// the clock (no money received in 1970, or in the future beyond clock skew).
	if err := in.checkReceivedAt(s.cfg.Now()); err != nil {
		return nil, err
	}
	if _, ok := book.applied[in.ID]; ok {
		return nil, fmt.Errorf("payment %s: the id is a credit application's: %w", in.ID, ErrConflict)
	}
	acc, ok := s.state.Account(in.Account)
	if !ok {
		return nil, fmt.Errorf("payment %s: account %s: %w", in.ID, in.Account, ErrNotFound)
	}
	if acc.Currency != in.Currency {
		return nil, fmt.Errorf("payment %s: %s payment for account %s, which is billed in %s: %w", in.ID, in.Currency, acc.ID, acc.Currency, ErrCurrencyMismatch)
	}
	targets, notes, err := s.paymentTargets(book, acc, in)
	if err != nil {
		return nil, fmt.Errorf("payment %s: %w", in.ID, err)
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	pay := &Payment{ID: in.ID, Account: in.Account, Amount: in.Amount, Currency: in.Currency, ReceivedAt: in.ReceivedAt,
		RecordedAt: now, Method: in.Method, Reference: in.Reference, Invoices: in.Invoices, Notes: notes}
	w, err := s.allocatePayment(book, acc, pay, targets, now, actor)
	if err != nil {
		return nil, fmt.Errorf("payment %s: %w", in.ID, err)
	}
	if err := s.writePayment(ctx, book, w); err != nil {
		return nil, fmt.Errorf("payment %s: %w", in.ID, err)
	}
	s.log.Info("payment recorded", "payment", pay.ID, "account", pay.Account, "amount", pay.Amount.String(), "currency", pay.Currency,
		"invoices_paid", len(w.paid))
	return book.byID[pay.ID].clone(), nil
}

// paymentTarget is an invoice a payment may pay and what is still open on it.
type paymentTarget struct {
	inv  *Invoice
	open decimal.Decimal
}

// fund is money that can pay targets: an earlier payment's credit or the new payment.
type fund struct {
	pay    *Payment
	avail  decimal.Decimal
	at     time.Time
	allocs []Allocation
}

// allocatePayment spends the funds (older credit, then the new payment) on the targets in order
// and builds everything to write. It changes nothing in memory.
func (s *Service) allocatePayment(book *payments, acc *Account, pay *Payment, targets []paymentTarget, now time.Time, actor string) (*paymentWrite, error) {
	funds := creditFunds(book, acc.ID, now)
	own := &fund{pay: pay, avail: pay.Amount, at: pay.ReceivedAt}
	w := &paymentWrite{}
	buyers, err := spend(append(funds, own), targets, w)
	if err != nil {
		return nil, err
	}
	payer := PartyOf(acc)
	credited, err := s.creditUses(book, payer, funds, pay.ID, pay.Currency, buyers, now, actor, w)
	if err != nil {
		return nil, err
	}
	pay.CreditApplied = credited
	ev, err := paymentEventOf(pay.ID, 1, EventPaymentReceived, pay.ReceivedAt, now, actor, paymentEvent{
		Account: pay.Account, Amount: &pay.Amount, Currency: pay.Currency, ReceivedAt: &pay.ReceivedAt, Method: pay.Method,
		Reference: pay.Reference, Invoices: pay.Invoices, Notes: pay.Notes, CreditApplied: pay.CreditApplied, Allocations: own.allocs})
	if err != nil {
		return nil, err
	}
	tx, err := PaymentTransaction(payer, pay, own.allocs, buyers)
	if err != nil {
		return nil, err
	}
	w.txs = append(w.txs, tx)
	w.audit = append(w.audit, paymentAudit(AuditPaymentRecord, PaymentAggregate+pay.ID, pay.ID, now, actor,
		fmt.Sprintf("received %s %s from %s on %s (%s %s); allocated %s; credit %s", pay.Amount.String(), pay.Currency, pay.Account,
			pay.ReceivedAt.Format(time.RFC3339), pay.Method, pay.Reference, describeAllocations(own.allocs), own.avail.String())))
	// The receipt goes first: the events are applied in this order once written.
	w.events = append([]ledger.Event{ev}, w.events...)
	if err := s.paidVersions(w, pay.ID, now, actor); err != nil {
		return nil, err
	}
	return w, nil
}

// paymentTargets resolves what a payment pays: the named invoices (ids or numbers) or the
// payer's open invoices, oldest due first.
func (s *Service) paymentTargets(book *payments, acc *Account, in PaymentInput) ([]paymentTarget, []string, error) {
	if len(in.Invoices) == 0 {
		var out []paymentTarget
		for _, o := range s.openInvoices(book, acc.ID, in.Currency) {
			out = append(out, paymentTarget{inv: s.docs[o.ID], open: o.Open})
		}
		return out, nil, nil
	}
	var out []paymentTarget
	var notes []string
	seen := map[string]bool{}
	for i, ref := range in.Invoices {
		field := fmt.Sprintf("invoices[%d]", i)
		inv := s.findInvoice(acc.ID, ref)
		switch {
		case inv == nil:
			return nil, nil, fmt.Errorf("%s: invoice %q of %s: %w", field, ref, acc.ID, ErrNotFound)
		case inv.Kind != DocInvoice:
			return nil, nil, fmt.Errorf("%s: %q is a %s, not an invoice: %w", field, ref, inv.Kind, ErrInvalid)
		case inv.Buyer.ID != acc.ID:
			return nil, nil, fmt.Errorf("%s: invoice %s is billed to %s, not to the payer %s: %w", field, inv.Number, inv.Buyer.ID, acc.ID, ErrConflict)
		case inv.Currency != in.Currency:
			return nil, nil, fmt.Errorf("%s: invoice %s is in %s, the payment in %s: %w", field, inv.Number, inv.Currency, in.Currency, ErrCurrencyMismatch)
		case seen[inv.ID]:
			return nil, nil, fmt.Errorf("%s: invoice %s is named twice: %w", field, inv.Number, ErrInvalid)
		}
		seen[inv.ID] = true
		open := openOf(inv, book)
		if inv.Status != StatusIssued || !open.IsPositive() {
			notes = append(notes, fmt.Sprintf("invoice %s is %s with %s %s open: nothing allocated to it", inv.Number, inv.Status, open.String(), inv.Currency))
			continue
		}
		out = append(out, paymentTarget{inv: inv, open: open})
	}
	return out, notes, nil
}

// findInvoice finds a document of the payer by id, or by number among the payer's documents.
func (s *Service) findInvoice(account, ref string) *Invoice {
	if inv, ok := s.docs[ref]; ok {
		return inv
	}
	for _, inv := range s.docs {
		if inv.Number == ref && inv.Buyer.ID == account {
			return inv
		}
	}
	return nil
}

// openOf is an invoice's open amount: Total − Credited − Σ allocations.
func openOf(inv *Invoice, book *payments) decimal.Decimal {
	return inv.Total.Sub(inv.Credited).Sub(book.allocated[inv.ID])
}

// openInvoices lists an account's issued invoices in a currency with money owed, oldest due
// first (due date, number, id): the allocation order.
func (s *Service) openInvoices(book *payments, account, currency string) []OpenInvoice {
	var out []OpenInvoice
	for _, inv := range s.docs {
		if inv.Kind != DocInvoice || inv.Status != StatusIssued || inv.Buyer.ID != account || inv.Currency != currency {
			continue
		}
		if open := openOf(inv, book); open.IsPositive() {
			out = append(out, OpenInvoice{ID: inv.ID, Number: inv.Number, IssuedAt: inv.IssuedAt, DueAt: inv.DueAt, Total: inv.Total,
				Credited: inv.Credited, Paid: book.allocated[inv.ID], Open: open})
		}
	}
	slices.SortFunc(out, func(a, b OpenInvoice) int {
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		if c := strings.Compare(a.Number, b.Number); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func sumAllocations(as []Allocation) decimal.Decimal {
	sum := decimal.Zero
	for _, a := range as {
		sum = sum.Add(a.Amount)
	}
	return sum
}

func describeAllocations(as []Allocation) string {
	if len(as) == 0 {
		return "nothing"
	}
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.Amount.String() + " to " + a.Number
		if a.Settled {
			parts[i] += " (paid)"
		}
	}
	return strings.Join(parts, ", ")
}
