package api

import (
	"net/http"
	"strings"

	"github.com/cascade-billing/cascade/billing"
)

// paymentBody is POST /v1/payments. id is the idempotency key (the bank's or provider's
// transaction id); an Idempotency-Key header may carry it too, and must then agree.
type paymentBody struct {
	ID         string        `json:"id"`
	Account    string        `json:"account"`
	Amount     decimalString `json:"amount"`
	Currency   string        `json:"currency"`
	ReceivedAt string        `json:"received_at"`
	Method     string        `json:"method"`
	Reference  string        `json:"reference"`
	Invoices   []string      `json:"invoices"`
}

// paymentInput checks the body's fields, naming each, and merges the idempotency header.
func paymentInput(in paymentBody, header string) (billing.PaymentInput, error) {
	header = strings.TrimSpace(header)
	switch {
	case header != "" && in.ID == "":
		in.ID = header
	case header != "" && header != in.ID:
		return billing.PaymentInput{}, invalid("id", "%q differs from the Idempotency-Key header %q", in.ID, header)
	}
	out := billing.PaymentInput{ID: in.ID, Account: in.Account, Currency: in.Currency, Method: in.Method,
		Reference: in.Reference, Invoices: in.Invoices}
	err := firstErr(required("id", in.ID), required("account", in.Account), required("currency", in.Currency),
		required("received_at", in.ReceivedAt))
	if err == nil {
		out.Amount, err = decimalField("amount", in.Amount, true)
	}
	if err == nil {
		out.ReceivedAt, err = parseTime("received_at", in.ReceivedAt)
	}
	return out, err
}

// recordPayment answers POST /v1/payments (finance, admin): 201 with the payment and its
// allocations, 200 when the same payment was already recorded under the id, 409 when the id
// was recorded with other content.
func (a *API) recordPayment(w http.ResponseWriter, r *http.Request, p Principal) {
	var body paymentBody
	if err := decode(w, r, &body, false); err != nil {
		a.writeFail(w, r, err)
		return
	}
	in, err := paymentInput(body, r.Header.Get("Idempotency-Key"))
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	if _, ok := a.account(w, p, in.Account); !ok {
		return
	}
	_, existed := a.cfg.Billing.Payment(in.ID)
	pay, err := a.cfg.Billing.RecordPayment(r.Context(), in, p.Actor())
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	writeJSON(w, status, viewPayment(pay))
}

// listPayments answers GET /v1/payments?account=ID (required: payments are listed per payer).
func (a *API) listPayments(w http.ResponseWriter, r *http.Request, p Principal) {
	id := r.URL.Query().Get("account")
	if err := required("account", id); err != nil {
		a.writeFail(w, r, err)
		return
	}
	if _, ok := a.account(w, p, id); !ok {
		return
	}
	out := []paymentView{}
	for _, pay := range a.cfg.Billing.Payments(id) {
		out = append(out, viewPayment(pay))
	}
	writeJSON(w, http.StatusOK, map[string]any{"payments": out})
}

// paymentFor looks a payment up for p: a payment of an account outside its subtree is a 404.
func (a *API) paymentFor(w http.ResponseWriter, p Principal, id string) (*billing.Payment, bool) {
	pay, ok := a.cfg.Billing.Payment(id)
	if !ok || !a.visible(p, pay.Account) {
		notFoundForPartner(w, "payment", id)
		return nil, false
	}
	return pay, true
}

// getPayment answers GET /v1/payments/{id}.
func (a *API) getPayment(w http.ResponseWriter, r *http.Request, p Principal) {
	if pay, ok := a.paymentFor(w, p, r.PathValue("id")); ok {
		writeJSON(w, http.StatusOK, viewPayment(pay))
	}
}

// refundBody is POST /v1/payments/{id}/refunds; id is the refund's idempotency key.
type refundBody struct {
	ID     string        `json:"id"`
	Amount decimalString `json:"amount"`
	Reason string        `json:"reason"`
}

// refundPayment answers POST /v1/payments/{id}/refunds (finance, admin): gives back part of the
// payment's unallocated credit.
func (a *API) refundPayment(w http.ResponseWriter, r *http.Request, p Principal) {
	pay, ok := a.paymentFor(w, p, r.PathValue("id"))
	if !ok {
		return
	}
	var in refundBody
	if err := decode(w, r, &in, false); err != nil {
		a.writeFail(w, r, err)
		return
	}
	req := billing.RefundInput{ID: in.ID, Payment: pay.ID, Reason: in.Reason}
	err := required("id", in.ID)
	if err == nil {
		req.Amount, err = decimalField("amount", in.Amount, true)
	}
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	ref, err := a.cfg.Billing.RefundPayment(r.Context(), req, p.Actor())
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewRefund(*ref, pay.Currency))
}

// applyCreditBody is POST /v1/accounts/{id}/apply-credit; id is the idempotency key.
type applyCreditBody struct {
	ID string `json:"id"`
}

// applyCredit answers POST /v1/accounts/{id}/apply-credit (finance, admin): spends the
// account's credit on its open invoices and lists the allocations made (none: nothing to pay).
func (a *API) applyCredit(w http.ResponseWriter, r *http.Request, p Principal) {
	acc, ok := a.account(w, p, r.PathValue("id"))
	if !ok {
		return
	}
	var in applyCreditBody
	if err := decode(w, r, &in, false); err != nil {
		a.writeFail(w, r, err)
		return
	}
	if err := required("id", in.ID); err != nil {
		a.writeFail(w, r, err)
		return
	}
	allocs, err := a.cfg.Billing.ApplyCredit(r.Context(), in.ID, acc.ID, p.Actor())
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": in.ID, "account": acc.ID, "allocations": viewAllocations(allocs, acc.Currency)})
}
