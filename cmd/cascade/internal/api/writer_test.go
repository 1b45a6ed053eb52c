package api_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
)

// TestNotWriterRefusesBillingChanges: on an instance that is not the billing writer, every
// route that changes billing answers 503 not_writer with Retry-After and changes nothing; reads
// and the read-only POSTs are served; on the writer each admitted request is released once.
func TestNotWriterRefusesBillingChanges(t *testing.T) {
	w := newWorld(t)
	writer, admitted, released := false, 0, 0
	a, err := api.New(api.Config{Billing: w.svc, Store: w.store, Keys: w.ring, Now: w.clock.Now,
		Writer: func() (func(), error) {
			if !writer {
				return nil, errors.New("this instance is not the billing writer")
			}
			admitted++
			return func() { released++ }, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+keyAdmin)
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, req)
		return rec
	}
	account := `{"id":"C9","kind":"customer","parent":"R1","name":"C9","currency":"EUR","tax_jurisdiction":"FR","billing_day":1}`
	before := len(w.svc.Invoices(billing.InvoiceFilter{}))
	for _, rt := range []struct{ path, body string }{
		{"/v1/accounts", account},
		{"/v1/subscriptions", `{"id":"S9","account":"C1","plan_id":"basic","start":"2026-10-01T00:00:00Z"}`},
		{"/v1/cycles", `{"at":"2026-11-02T00:00:00Z"}`},
		{"/v1/payments", `{"id":"p9","account":"C1","amount":"1.00","currency":"EUR","received_at":"2026-10-02T00:00:00Z"}`},
		{"/v1/subscriptions/S1/cancel", `{"at":"2026-11-01T00:00:00Z"}`},
	} {
		rec := call("POST", rt.path, rt.body)
		var e struct{ Error struct{ Code string } }
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != http.StatusServiceUnavailable || e.Error.Code != "not_writer" || rec.Header().Get("Retry-After") == "" {
			t.Errorf("POST %s on a follower: HTTP %d %q Retry-After %q, want 503 not_writer with Retry-After",
				rt.path, rec.Code, rec.Body, rec.Header().Get("Retry-After"))
		}
	}
	if rec := call("GET", "/v1/accounts/C9", ""); rec.Code != http.StatusNotFound {
		t.Errorf("the refused account exists: GET answers %d", rec.Code)
	}
	if got := len(w.svc.Invoices(billing.InvoiceFilter{})); got != before {
		t.Errorf("a refused cycle changed the invoices: %d → %d", before, got)
	}
	for _, path := range []string{"/v1/accounts", "/v1/invoices"} {
		if rec := call("GET", path, ""); rec.Code != http.StatusOK {
			t.Errorf("GET %s on a follower: HTTP %d", path, rec.Code)
		}
	}
	if rec := call("POST", "/v1/invoices/preview", `{"account":"C1","at":"2026-11-01T00:00:00Z"}`); rec.Code == http.StatusServiceUnavailable {
		t.Errorf("preview (read-only) refused on a follower: %s", rec.Body)
	}

	writer = true
	if rec := call("POST", "/v1/accounts", account); rec.Code != http.StatusCreated {
		t.Fatalf("POST /v1/accounts on the writer: HTTP %d %s", rec.Code, rec.Body)
	}
	if admitted != 1 || released != 1 {
		t.Errorf("writer work admitted %d released %d, want 1 and 1", admitted, released)
	}
}
