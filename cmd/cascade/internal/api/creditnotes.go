package api

import (
	"fmt"
	"net/http"

	"github.com/cascade-billing/cascade/billing"
)

// creditNoteBody is POST /v1/credit-notes. id is the idempotency key: the same request again
// answers the note already issued.
type creditNoteBody struct {
	ID      string           `json:"id"`
	Invoice string           `json:"invoice"`
	Reason  string           `json:"reason"`
	Full    bool             `json:"full"`
	Lines   []creditLineBody `json:"lines"`
}

// creditLineBody credits part of one invoice line (its gross amount).
type creditLineBody struct {
	Line   int           `json:"line"`
	Amount decimalString `json:"amount"`
}

// createCreditNote answers POST /v1/credit-notes (finance, admin): 201 with the note, or 200
// when the id was already issued for the same invoice.
func (a *API) createCreditNote(w http.ResponseWriter, r *http.Request, p Principal) {
	var in creditNoteBody
	if err := decode(w, r, &in, false); err != nil {
		a.writeFail(w, r, err)
		return
	}
	req := billing.CreditNoteRequest{ID: in.ID, Invoice: in.Invoice, Reason: in.Reason, Full: in.Full}
	err := firstErr(required("id", in.ID), required("invoice", in.Invoice), required("reason", in.Reason))
	for i, l := range in.Lines {
		if err != nil {
			break
		}
		field := fmt.Sprintf("lines[%d]", i)
		if l.Line <= 0 {
			err = invalid(field+".line", "must be an invoice line number (1, 2, ...)")
			break
		}
		var amt = billing.CreditLine{LineNo: l.Line}
		amt.Amount, err = decimalField(field+".amount", l.Amount, true)
		req.Lines = append(req.Lines, amt)
	}
	if err == nil && !in.Full && len(in.Lines) == 0 {
		err = invalid("lines", "give the lines to credit, or full: true")
	}
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	_, existed := a.cfg.Billing.Invoice(in.ID)
	cn, err := a.cfg.Billing.CreditNote(r.Context(), req, p.Actor())
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	a.writeDocument(w, r, status, cn)
}
