package api

import (
	"bytes"
	"net/http"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// getCommissions answers GET /v1/reports/commissions?partner=ID&period=YYYY-MM&format=json|csv|html:
// the partner's commission statement for the calendar month (UTC), rendered by billing's
// statement renderers. A partner key may ask for itself or a partner below it.
func (a *API) getCommissions(w http.ResponseWriter, r *http.Request, p Principal) {
	q := r.URL.Query()
	partner, month, format := q.Get("partner"), q.Get("period"), q.Get("format")
	if partner == "" && p.Role.IsPartner() {
		partner = p.Partner
	}
	if format == "" {
		format = "json"
	}
	err := firstErr(required("partner", partner), required("period", month))
	var from time.Time
	if err == nil {
		if from, err = time.Parse("2006-01", month); err != nil {
			err = invalid("period", "%q is not a month (YYYY-MM)", month)
		}
	}
	render, ctype := map[string]func(*bytes.Buffer, *billing.Statement) error{
		"json": func(b *bytes.Buffer, st *billing.Statement) error { return billing.RenderStatementJSON(b, st) },
		"csv":  func(b *bytes.Buffer, st *billing.Statement) error { return billing.RenderStatementCSV(b, st) },
		"html": func(b *bytes.Buffer, st *billing.Statement) error { return billing.RenderStatementHTML(b, st) },
	}[format], map[string]string{"json": "application/json", "csv": "text/csv; charset=utf-8", "html": "text/html; charset=utf-8"}[format]
	if err == nil && render == nil {
		err = invalid("format", "%q is not json, csv or html", format)
	}
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	if _, ok := a.account(w, p, partner); !ok {
		return
	}
	period := billing.Period{From: from, To: from.AddDate(0, 1, 0)}
	st, err := a.cfg.Billing.Statement(r.Context(), partner, period)
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := render(&b, st); err != nil {
		a.writeFail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	if format == "csv" {
		w.Header().Set("Content-Disposition", `attachment; filename="commissions-`+partner+`-`+month+`.csv"`)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}
