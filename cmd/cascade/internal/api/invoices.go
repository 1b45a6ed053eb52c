package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// invoiceSummary is one row of GET /v1/invoices: enough to pick a document; GET
// /v1/invoices/{id} has the whole of it.
type invoiceSummary struct {
	ID       string  `json:"id"`
	Kind     string  `json:"kind"`
	Number   string  `json:"number,omitempty"`
	Status   string  `json:"status"`
	Issuer   string  `json:"issuer"`
	Buyer    string  `json:"buyer"`
	Currency string  `json:"currency"`
	IssuedAt *string `json:"issued_at,omitempty"`
	DueAt    *string `json:"due_at,omitempty"`
	RefersTo string  `json:"refers_to,omitempty"`
	Subtotal string  `json:"subtotal"`
	Tax      string  `json:"tax"`
	Total    string  `json:"total"`
	Credited string  `json:"credited"`
}

// docVisible says whether p may see a document: a partner sees the documents of buyers in its
// subtree (which covers everything it issued, and what its parent billed it).
func docVisible(set map[string]bool, inv *billing.Invoice) bool {
	return in(set, inv.Buyer.ID) || in(set, inv.Issuer.ID)
}

// invoiceFor looks a document up for p: one outside p's subtree is a 404.
func (a *API) invoiceFor(w http.ResponseWriter, p Principal, id string) (*billing.Invoice, bool) {
	inv, ok := a.cfg.Billing.Invoice(id)
	if !ok || !(a.visible(p, inv.Buyer.ID) || a.visible(p, inv.Issuer.ID)) {
		notFoundForPartner(w, "invoice", id)
		return nil, false
	}
	return inv, true
}

// listInvoices answers GET /v1/invoices?account=&issuer=&status=&kind=&issued_from=&issued_to=.
// account is the buyer; the issued range is [issued_from, issued_to).
func (a *API) listInvoices(w http.ResponseWriter, r *http.Request, p Principal) {
	q := r.URL.Query()
	from, err := parseTime("issued_from", q.Get("issued_from"))
	var to time.Time
	if err == nil {
		to, err = parseTime("issued_to", q.Get("issued_to"))
	}
	kind, status := billing.DocumentKind(q.Get("kind")), billing.Status(q.Get("status"))
	switch {
	case err != nil:
	case kind != "" && kind != billing.DocInvoice && kind != billing.DocCreditNote:
		err = invalid("kind", "%q is not invoice or credit_note", kind)
	case status != "" && !slices.Contains([]billing.Status{billing.StatusDraft, billing.StatusIssued, billing.StatusPaid, billing.StatusVoid}, status):
		err = invalid("status", "%q is not draft, issued, paid or void", status)
	}
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	set := a.subtree(p)
	out := []invoiceSummary{}
	for _, inv := range a.cfg.Billing.Invoices(billing.InvoiceFilter{Buyer: q.Get("account"), Issuer: q.Get("issuer"), Kind: kind, Status: status}) {
		if !docVisible(set, inv) || !from.IsZero() && inv.IssuedAt.Before(from) || !to.IsZero() && !inv.IssuedAt.Before(to) {
			continue
		}
		out = append(out, invoiceSummary{ID: inv.ID, Kind: string(inv.Kind), Number: inv.Number, Status: string(inv.Status),
			Issuer: inv.Issuer.ID, Buyer: inv.Buyer.ID, Currency: inv.Currency, IssuedAt: utc(inv.IssuedAt), DueAt: utc(inv.DueAt),
			RefersTo: inv.RefersTo, Subtotal: money(inv.Subtotal, inv.Currency), Tax: money(inv.Tax, inv.Currency),
			Total: money(inv.Total, inv.Currency), Credited: money(inv.Credited, inv.Currency)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"invoices": out})
}

// rendered is a document as billing renders it (RenderJSON), embedded as it is so the API
// shows exactly the document finance files.
func rendered(inv *billing.Invoice) (json.RawMessage, error) {
	var b bytes.Buffer
	if err := billing.RenderJSON(&b, inv); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimSpace(b.Bytes())), nil
}

// writeDocument answers with one rendered document.
func (a *API) writeDocument(w http.ResponseWriter, r *http.Request, status int, inv *billing.Invoice) {
	doc, err := rendered(inv)
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	writeJSON(w, status, doc)
}

// getInvoice answers GET /v1/invoices/{id} with the JSON document.
func (a *API) getInvoice(w http.ResponseWriter, r *http.Request, p Principal) {
	if inv, ok := a.invoiceFor(w, p, r.PathValue("id")); ok {
		a.writeDocument(w, r, http.StatusOK, inv)
	}
}

// getInvoiceHTML answers GET /v1/invoices/{id}/html with the printable document.
func (a *API) getInvoiceHTML(w http.ResponseWriter, r *http.Request, p Principal) {
	inv, ok := a.invoiceFor(w, p, r.PathValue("id"))
	if !ok {
		return
	}
	var b bytes.Buffer
	if err := billing.RenderHTML(&b, inv); err != nil {
		a.writeFail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}

// previewBody is POST /v1/invoices/preview.
type previewBody struct {
	Account string `json:"account"`
	At      string `json:"at"`
}

// previewInvoices answers POST /v1/invoices/preview: the drafts a cycle at `at` (default now)
// would issue the account, or the invoice in progress. Writes nothing.
func (a *API) previewInvoices(w http.ResponseWriter, r *http.Request, p Principal) {
	var in previewBody
	if err := decode(w, r, &in, false); err != nil {
		a.writeFail(w, r, err)
		return
	}
	at, err := parseTime("at", in.At)
	if err == nil {
		err = required("account", in.Account)
	}
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	if at.IsZero() {
		at = a.cfg.Now().UTC()
	}
	if _, ok := a.account(w, p, in.Account); !ok {
		return
	}
	drafts, err := a.cfg.Billing.Preview(r.Context(), in.Account, at)
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	out := []json.RawMessage{}
	for _, d := range drafts {
		doc, err := rendered(d)
		if err != nil {
			a.writeFail(w, r, err)
			return
		}
		out = append(out, doc)
	}
	writeJSON(w, http.StatusOK, map[string]any{"account": in.Account, "at": at.Format(time.RFC3339), "invoices": out})
}

// voidInvoice answers POST /v1/invoices/{id}/void (finance, admin) with the void document.
func (a *API) voidInvoice(w http.ResponseWriter, r *http.Request, p Principal) {
	id := r.PathValue("id")
	if err := decode(w, r, &struct{}{}, true); err != nil {
		a.writeFail(w, r, err)
		return
	}
	if _, ok := a.invoiceFor(w, p, id); !ok {
		return
	}
	inv, err := a.cfg.Billing.Void(r.Context(), id, p.Actor())
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	a.writeDocument(w, r, http.StatusOK, inv)
}
