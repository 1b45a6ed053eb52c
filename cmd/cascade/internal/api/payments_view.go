package api

import "github.com/cascade-billing/cascade/billing"

// paymentView is a payment as the API shows it: billing's Payment with every amount printed
// with the currency's minor digits, like the documents it pays ("169.20", not "169.2").
type paymentView struct {
	ID            string           `json:"id"`
	Account       string           `json:"account"`
	Amount        string           `json:"amount"`
	Currency      string           `json:"currency"`
	ReceivedAt    *string          `json:"received_at"`
	RecordedAt    *string          `json:"recorded_at"`
	Method        string           `json:"method,omitempty"`
	Reference     string           `json:"reference,omitempty"`
	Invoices      []string         `json:"invoices,omitempty"`
	Allocations   []allocationView `json:"allocations"`
	CreditApplied []allocationView `json:"credit_applied,omitempty"`
	Refunds       []refundView     `json:"refunds,omitempty"`
	// Released: money of this payment's allocations given back by refunds after a credit note
	// left the invoice overpaid.
	Released    []allocationView `json:"released,omitempty"`
	Notes       []string         `json:"notes,omitempty"`
	Unallocated string           `json:"unallocated"`
}

// allocationView is part of a payment applied to one invoice.
type allocationView struct {
	Payment string  `json:"payment"`
	Invoice string  `json:"invoice"`
	Number  string  `json:"number"`
	Amount  string  `json:"amount"`
	At      *string `json:"at"`
	Settled bool    `json:"settled,omitempty"`
}

// refundView is a recorded refund.
type refundView struct {
	ID      string  `json:"id"`
	Payment string  `json:"payment"`
	Amount  string  `json:"amount"`
	Reason  string  `json:"reason,omitempty"`
	At      *string `json:"at"`
}

func viewAllocations(as []billing.Allocation, currency string) []allocationView {
	out := make([]allocationView, 0, len(as))
	for _, a := range as {
		out = append(out, allocationView{Payment: a.Payment, Invoice: a.Invoice, Number: a.Number,
			Amount: money(a.Amount, currency), At: utc(a.At), Settled: a.Settled})
	}
	return out
}

func viewRefund(r billing.Refund, currency string) refundView {
	return refundView{ID: r.ID, Payment: r.Payment, Amount: money(r.Amount, currency), Reason: r.Reason, At: utc(r.At)}
}

func viewPayment(p *billing.Payment) paymentView {
	v := paymentView{ID: p.ID, Account: p.Account, Amount: money(p.Amount, p.Currency), Currency: p.Currency,
		ReceivedAt: utc(p.ReceivedAt), RecordedAt: utc(p.RecordedAt), Method: p.Method, Reference: p.Reference,
		Invoices: p.Invoices, Allocations: viewAllocations(p.Allocations, p.Currency), Notes: p.Notes,
		Unallocated: money(p.Unallocated, p.Currency)}
	if len(p.CreditApplied) > 0 {
		v.CreditApplied = viewAllocations(p.CreditApplied, p.Currency)
	}
	for _, r := range p.Refunds {
		v.Refunds = append(v.Refunds, viewRefund(r, p.Currency))
	}
	if len(p.Released) > 0 {
		v.Released = viewAllocations(p.Released, p.Currency)
	}
	return v
}
