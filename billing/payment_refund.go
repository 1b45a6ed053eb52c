package billing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// RefundPayment gives back part of a payment's money the account is owed: first its unallocated
// credit (an overpayment), then money allocated to invoices that no longer owe it because a
// credit note came after the payment (payment_release.go: released from the invoice, reclassified
// from the receivable to the payer's credit, then refunded). Money an invoice still owes is not
// refundable: credit the invoice first. The refund id is the idempotency key: the same id with
// the same content returns the refund as recorded, with other content ErrConflict.
func (s *Service) RefundPayment(ctx context.Context, in RefundInput, actor string) (*Refund, error) {
	switch {
	case strings.TrimSpace(in.ID) == "":
		return nil, fmt.Errorf("refund: id is required (the idempotency key): %w", ErrInvalid)
	case validExternalID(in.ID) != nil:
		return nil, fmt.Errorf("refund %q: id: %v: %w", in.ID, validExternalID(in.ID), ErrInvalid)
	case strings.TrimSpace(in.Payment) == "":
		return nil, fmt.Errorf("refund %s: payment is required: %w", in.ID, ErrInvalid)
	case !in.Amount.IsPositive():
		return nil, fmt.Errorf("refund %s: amount: %s must be positive: %w", in.ID, in.Amount.String(), ErrInvalid)
	case actor == "":
		return nil, fmt.Errorf("refund %s: actor is required (the audit log names who refunded): %w", in.ID, ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.recover(ctx); err != nil {
		return nil, err
	}
	if err := s.ready(); err != nil {
		return nil, err
	}
	book := s.payments.live(s.state)
	if prev, ok := book.refunds[in.ID]; ok {
		if prev.Payment != in.Payment || !prev.Amount.Equal(in.Amount) || prev.Reason != in.Reason {
			return nil, fmt.Errorf("refund %s: already recorded with other content (payment %s, %s): %w", in.ID, prev.Payment, prev.Amount.String(), ErrConflict)
		}
		r := *prev
		return &r, nil
	}
	pay, ok := book.byID[in.Payment]
	if !ok {
		return nil, fmt.Errorf("refund %s: payment %s: %w", in.ID, in.Payment, ErrNotFound)
	}
	// Only the amount is checked against the payment's currency: the payment itself was valid
	// when recorded (an id recorded before ids were checked must stay refundable).
	cur, err := rating.LookupCurrency(pay.Currency)
	if err != nil {
		return nil, fmt.Errorf("refund %s: payment %s: currency: %v: %w", in.ID, pay.ID, err, ErrInvalid)
	}
	if !cur.IsRounded(in.Amount) {
		return nil, fmt.Errorf("refund %s: amount: %s is finer than %s's minor unit: %w", in.ID, in.Amount.String(), cur.Code, ErrInvalid)
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	var released []Allocation
	if in.Amount.GreaterThan(pay.Unallocated) {
		avail := s.releasable(book, pay)
		free := pay.Unallocated
		for _, a := range avail {
			free = free.Add(a.Amount)
		}
		if in.Amount.GreaterThan(free) {
			return nil, fmt.Errorf("refund %s: amount %s %s exceeds the %s %s payment %s holds for the account (unallocated %s, on invoices credited after it %s): %w",
				in.ID, in.Amount.String(), pay.Currency, free.String(), pay.Currency, pay.ID, pay.Unallocated.String(),
				free.Sub(pay.Unallocated).String(), ErrConflict)
		}
		released = releaseFor(avail, in.Amount.Sub(pay.Unallocated), now)
	}
	acc, ok := s.state.Account(pay.Account)
	if !ok {
		return nil, fmt.Errorf("refund %s: payer %s of payment %s: %w", in.ID, pay.Account, pay.ID, ErrNotFound)
	}
	r := Refund{ID: in.ID, Payment: pay.ID, Amount: in.Amount, Reason: in.Reason, At: now}
	ev, err := paymentEventOf(pay.ID, book.seq[pay.ID]+1, EventPaymentRefunded, now, now, actor, paymentEvent{Refund: &r, Released: released})
	if err != nil {
		return nil, fmt.Errorf("refund %s: %w", in.ID, err)
	}
	tx, err := RefundTransaction(PartyOf(acc), r, pay.Currency)
	if err != nil {
		return nil, fmt.Errorf("refund %s: %w", in.ID, err)
	}
	txs := []ledger.Transaction{tx}
	if len(released) > 0 {
		rel, err := ReleaseTransaction(PartyOf(acc), r, released, pay.Currency)
		if err != nil {
			return nil, fmt.Errorf("refund %s: %w", in.ID, err)
		}
		txs = []ledger.Transaction{rel, tx}
	}
	w := &paymentWrite{txs: txs, events: []ledger.Event{ev},
		audit: []ledger.AuditEntry{paymentAudit(AuditPaymentRefund, PaymentAggregate+pay.ID, r.ID, now, actor,
			fmt.Sprintf("refund %s of %s %s from payment %s to %s: %s", r.ID, r.Amount.String(), pay.Currency, pay.ID, pay.Account, r.Reason))}}
	if err := s.writePayment(ctx, book, w); err != nil {
		return nil, fmt.Errorf("refund %s: %w", in.ID, err)
	}
	return &r, nil
}
