package billing

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// paymentEvent is the JSON payload of every payment event; each type fills what it needs.
// received: the payment and its allocations at receipt; allocated: a later allocation of its
// leftover credit (By = the payment whose recording used it); refunded: one refund.
type paymentEvent struct {
	Account       string           `json:"account,omitempty"`
	Amount        *decimal.Decimal `json:"amount,omitempty"`
	Currency      string           `json:"currency,omitempty"`
	ReceivedAt    *time.Time       `json:"received_at,omitempty"`
	Method        string           `json:"method,omitempty"`
	Reference     string           `json:"reference,omitempty"`
	Invoices      []string         `json:"invoices,omitempty"`
	Notes         []string         `json:"notes,omitempty"`
	CreditApplied []Allocation     `json:"credit_applied,omitempty"`
	Allocations   []Allocation     `json:"allocations,omitempty"`
	By            string           `json:"by,omitempty"`
	Refund        *Refund          `json:"refund,omitempty"`
	// Released: with a refund, what it takes back from this payment's allocations to invoices
	// that no longer owe them (payment_release.go).
	Released []Allocation `json:"released,omitempty"`
}

// paymentEventOf builds a payment event; the payload is JSON with decimals as strings.
func paymentEventOf(id string, seq uint64, typ string, at, recorded time.Time, actor string, data paymentEvent) (ledger.Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return ledger.Event{}, fmt.Errorf("payment %s: event %s: %v: %w", id, typ, err, ErrInvalid)
	}
	ev := ledger.Event{Aggregate: PaymentAggregate + id, Seq: seq, Type: typ, At: at.UTC(), RecordedAt: recorded.UTC(), Actor: actor, Data: raw}
	if err := ev.Validate(); err != nil {
		return ledger.Event{}, fmt.Errorf("payment %s: %w: %w", id, ErrInvalid, err)
	}
	return ev, nil
}

// paymentBook holds the payments rebuilt from the ledger. The Service's load fills it through
// apply, stamped with the State the load builds; the book is current only while that State is
// the Service's, so a load with no payment event (or one that failed half-way) never leaves
// stale or partial payments in use: live() hands out the payments of the current State only.
type paymentBook struct {
	cur, next *payments
}

// payments is one generation of the book.
type payments struct {
	state     *State
	byID      map[string]*Payment
	seq       map[string]uint64
	allocated map[string]decimal.Decimal // invoice id → Σ allocations of every payment
	refunds   map[string]*Refund         // refund id → refund
	// applied: what used earlier credit (a payment id or an ApplyCredit id) → the allocations.
	applied map[string][]appliedAllocation
}

func newPayments(st *State) *payments {
	return &payments{state: st, byID: map[string]*Payment{}, seq: map[string]uint64{},
		allocated: map[string]decimal.Decimal{}, refunds: map[string]*Refund{}, applied: map[string][]appliedAllocation{}}
}

// apply is load's step for a payment event; st is the State that load is building.
func (b *paymentBook) apply(st *State, ev ledger.Event) error {
	if b.next == nil || b.next.state != st {
		b.next = newPayments(st)
	}
	return b.next.apply(ev)
}

// live returns the payments that belong to the Service's current State. Called with the lock.
func (b *paymentBook) live(st *State) *payments {
	if b.next != nil && b.next.state == st {
		b.cur, b.next = b.next, nil
	}
	if b.cur == nil || b.cur.state != st {
		b.cur = newPayments(st)
	}
	return b.cur
}

// apply applies one payment event; a gap or repeat, an unknown type or a payload that does not
// fit is refused naming the event, and nothing is changed.
func (p *payments) apply(ev ledger.Event) error {
	id, _ := strings.CutPrefix(ev.Aggregate, PaymentAggregate)
	if next := p.seq[id] + 1; ev.Seq != next {
		return fmt.Errorf("apply %s: seq %d, want %d (a gap or a repeat): %w", ev.Aggregate, ev.Seq, next, ErrConflict)
	}
	var d paymentEvent
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return fmt.Errorf("apply %s: %v: %w", ev.Key(), err, ErrInvalid)
	}
	pay := p.byID[id]
	switch ev.Type {
	case EventPaymentReceived:
		if pay != nil || d.Amount == nil || d.ReceivedAt == nil {
			return fmt.Errorf("apply %s: a receipt needs amount and received_at, once: %w", ev.Key(), ErrInvalid)
		}
		pay = &Payment{ID: id, Account: d.Account, Amount: *d.Amount, Currency: d.Currency, ReceivedAt: d.ReceivedAt.UTC(),
			RecordedAt: ev.RecordedAt.UTC(), Method: d.Method, Reference: d.Reference, Invoices: d.Invoices,
			Notes: d.Notes, CreditApplied: d.CreditApplied}
	case EventPaymentAllocated:
		if pay == nil {
			return fmt.Errorf("apply %s: allocation of an unknown payment: %w", ev.Key(), ErrInvalid)
		}
		pay = pay.clone()
	case EventPaymentRefunded:
		if pay == nil || d.Refund == nil || d.Refund.Payment != id {
			return fmt.Errorf("apply %s: a refund needs its payment and the refund: %w", ev.Key(), ErrInvalid)
		}
		if _, dup := p.refunds[d.Refund.ID]; dup {
			return fmt.Errorf("apply %s: refund %s is recorded twice: %w", ev.Key(), d.Refund.ID, ErrConflict)
		}
		pay = pay.clone()
		pay.Refunds = append(pay.Refunds, *d.Refund)
		for _, a := range d.Released {
			if a.Payment != id || !a.Amount.IsPositive() || a.Amount.GreaterThan(p.netAllocated(pay, a.Invoice)) {
				return fmt.Errorf("apply %s: release from %s of %s: %w", ev.Key(), a.Invoice, a.Amount.String(), ErrInvalid)
			}
		}
		pay.Released = append(pay.Released, d.Released...)
	default:
		return fmt.Errorf("apply %s: unknown payment event type %q: %w", ev.Key(), ev.Type, ErrInvalid)
	}
	for _, a := range d.Allocations {
		if a.Payment != id || !a.Amount.IsPositive() {
			return fmt.Errorf("apply %s: allocation to %s of %s by %q: %w", ev.Key(), a.Invoice, a.Amount.String(), a.Payment, ErrInvalid)
		}
	}
	pay.Allocations = append(pay.Allocations, d.Allocations...)
	pay.Unallocated = pay.Amount
	for _, a := range pay.Allocations {
		pay.Unallocated = pay.Unallocated.Sub(a.Amount)
	}
	for _, r := range pay.Refunds {
		pay.Unallocated = pay.Unallocated.Sub(r.Amount)
	}
	for _, a := range pay.Released {
		pay.Unallocated = pay.Unallocated.Add(a.Amount)
	}
	if pay.Unallocated.IsNegative() {
		return fmt.Errorf("apply %s: payment %s would have allocated or refunded %s more than it received: %w",
			ev.Key(), id, pay.Unallocated.Neg().String(), ErrConflict)
	}
	// Validated: now change the book.
	for _, a := range d.Allocations {
		p.allocated[a.Invoice] = p.allocated[a.Invoice].Add(a.Amount)
	}
	for _, a := range d.Released {
		p.allocated[a.Invoice] = p.allocated[a.Invoice].Sub(a.Amount)
	}
	if ev.Type == EventPaymentAllocated {
		for _, a := range d.Allocations {
			p.applied[d.By] = append(p.applied[d.By], appliedAllocation{Allocation: a, account: pay.Account})
		}
	}
	if d.Refund != nil {
		r := *d.Refund
		p.refunds[r.ID] = &r
	}
	p.byID[id], p.seq[id] = pay, ev.Seq
	return nil
}

// credits lists an account's payments that hold credit, oldest receipt first (then by id): the
// order older credit is used in.
func (p *payments) credits(account string) []*Payment {
	var out []*Payment
	for _, pay := range p.byID {
		if pay.Account == account && pay.Unallocated.IsPositive() {
			out = append(out, pay)
		}
	}
	slices.SortFunc(out, func(a, b *Payment) int {
		return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// ofAccount lists an account's payments, oldest receipt first.
func (p *payments) ofAccount(account string) []*Payment {
	var out []*Payment
	for _, pay := range p.byID {
		if pay.Account == account {
			out = append(out, pay)
		}
	}
	slices.SortFunc(out, func(a, b *Payment) int {
		return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}
