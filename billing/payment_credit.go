package billing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ApplyCredit spends an account's credit (its payments' unallocated money, oldest first) on its
// open invoices, oldest due first — for an overpayment followed by a new invoice, without
// waiting for the next payment. id is the idempotency key: the same id again returns what that
// application allocated. An application that found nothing to pay writes nothing, so its id
// stays free. It returns the allocations made.
func (s *Service) ApplyCredit(ctx context.Context, id, account, actor string) ([]Allocation, error) {
	switch {
	case strings.TrimSpace(id) == "":
		return nil, fmt.Errorf("apply credit: id is required (the idempotency key): %w", ErrInvalid)
	case validExternalID(id) != nil:
		return nil, fmt.Errorf("apply credit: id: %v: %w", validExternalID(id), ErrInvalid)
	case actor == "":
		return nil, fmt.Errorf("apply credit %s: actor is required: %w", id, ErrInvalid)
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
	if _, ok := book.byID[id]; ok {
		return nil, fmt.Errorf("apply credit %s: the id is a payment's: %w", id, ErrConflict)
	}
	if prev, ok := book.applied[id]; ok {
		if len(prev) > 0 && prev[0].account != account {
			return nil, fmt.Errorf("apply credit %s: already used for account %s: %w", id, prev[0].account, ErrConflict)
		}
		out := make([]Allocation, len(prev))
		for i, a := range prev {
			out[i] = a.Allocation
		}
		return out, nil
	}
	acc, ok := s.state.Account(account)
	if !ok {
		return nil, fmt.Errorf("apply credit %s: account %s: %w", id, account, ErrNotFound)
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	var targets []paymentTarget
	for _, o := range s.openInvoices(book, acc.ID, acc.Currency) {
		targets = append(targets, paymentTarget{inv: s.docs[o.ID], open: o.Open})
	}
	funds := creditFunds(book, acc.ID, now)
	w := &paymentWrite{}
	buyers, err := spend(funds, targets, w)
	if err != nil {
		return nil, fmt.Errorf("apply credit %s: %w", id, err)
	}
	allocs, err := s.creditUses(book, PartyOf(acc), funds, id, acc.Currency, buyers, now, actor, w)
	if err != nil {
		return nil, fmt.Errorf("apply credit %s: %w", id, err)
	}
	if len(allocs) == 0 {
		return nil, nil
	}
	if err := s.paidVersions(w, id, now, actor); err != nil {
		return nil, fmt.Errorf("apply credit %s: %w", id, err)
	}
	if err := s.writePayment(ctx, book, w); err != nil {
		return nil, fmt.Errorf("apply credit %s: %w", id, err)
	}
	return allocs, nil
}

// creditFunds are the account's earlier payments holding credit, oldest first, as funds.
func creditFunds(book *payments, account string, now time.Time) []*fund {
	var funds []*fund
	for _, c := range book.credits(account) {
		funds = append(funds, &fund{pay: c, avail: c.Unallocated, at: now})
	}
	return funds
}

// spend pays the targets in order from the funds in order, recording each fund's allocations
// and the invoices settled (marked paid, in w.paid). It returns the buyer party of each target.
func spend(funds []*fund, targets []paymentTarget, w *paymentWrite) (map[string]Party, error) {
	buyers := map[string]Party{}
	for _, t := range targets {
		buyers[t.inv.ID] = t.inv.Buyer
		for _, f := range funds {
			if !t.open.IsPositive() {
				break
			}
			if !f.avail.IsPositive() {
				continue
			}
			x := decimal.Min(f.avail, t.open)
			at := f.at
			if at.Before(t.inv.IssuedAt) {
				at = t.inv.IssuedAt // paid before it was issued (a prepayment): paid at issue
			}
			a := Allocation{Payment: f.pay.ID, Invoice: t.inv.ID, Number: t.inv.Number, Amount: x, At: at}
			f.avail, t.open = f.avail.Sub(x), t.open.Sub(x)
			if t.open.IsZero() {
				a.Settled = true
				inv := t.inv.clone()
				if err := inv.MarkPaid(at); err != nil {
					return nil, err
				}
				w.paid = append(w.paid, inv)
			}
			f.allocs = append(f.allocs, a)
		}
	}
	return buyers, nil
}

// creditUses adds to w, for every earlier payment whose credit was spent, its allocated event
// (By = what used it), posting and audit entry, and returns all those allocations.
func (s *Service) creditUses(book *payments, payer Party, funds []*fund, by, currency string, buyers map[string]Party,
	now time.Time, actor string, w *paymentWrite) ([]Allocation, error) {
	var out []Allocation
	for _, f := range funds {
		if len(f.allocs) == 0 {
			continue
		}
		seq := book.seq[f.pay.ID] + 1
		ev, err := paymentEventOf(f.pay.ID, seq, EventPaymentAllocated, now, now, actor, paymentEvent{Allocations: f.allocs, By: by})
		if err != nil {
			return nil, err
		}
		tx, err := CreditTransaction(payer, f.pay.ID, seq, currency, f.allocs, buyers, now)
		if err != nil {
			return nil, err
		}
		w.events = append(w.events, ev)
		w.txs = append(w.txs, tx)
		w.audit = append(w.audit, paymentAudit(AuditCreditApplied, PaymentAggregate+f.pay.ID, fmt.Sprintf("%s#%d", f.pay.ID, seq), now, actor,
			fmt.Sprintf("credit %s %s of payment %s applied by %s: %s", sumAllocations(f.allocs).String(), currency,
				f.pay.ID, by, describeAllocations(f.allocs))))
		out = append(out, f.allocs...)
	}
	return out, nil
}

// paidVersions adds the new "paid" version of every settled invoice: document row, snapshot
// event (after the payment events) and audit entry.
func (s *Service) paidVersions(w *paymentWrite, by string, now time.Time, actor string) error {
	for _, inv := range w.paid {
		seq := s.docSeq[inv.ID] + 1
		snap, err := SnapshotEvent(inv, seq, now, actor)
		if err != nil {
			return err
		}
		w.docs = append(w.docs, ToDocument(inv, seq, now, actor))
		w.events = append(w.events, snap)
		w.audit = append(w.audit, paymentAudit(AuditInvoicePaidBy, "invoice:"+inv.Number, inv.ID, now, actor,
			fmt.Sprintf("invoice %s (%s) paid in full, %s %s, last by %s", inv.Number, inv.ID, inv.Total.String(), inv.Currency, by)))
	}
	return nil
}

// appliedAllocation is an allocation made by a credit application, with the payer (for the
// idempotency check of ApplyCredit).
type appliedAllocation struct {
	Allocation
	account string
}
