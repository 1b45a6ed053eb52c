package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
)

// The core routes' body fuzz targets, one per resource family (each gets its own fuzzing time
// under `make fuzz`). Seeds are the conformance walk's bodies (openapi_test.go) and the spec's
// request schemas; newFuzzHarness adds their truncations and type swaps.

// fuzzPayment is the payment the core fuzz world holds, with credit left to refund.
const fuzzPayment = "pay-fz"

// coreFuzzWorld is the world of world_test.go plus an overpaid payment of C3, so the refund
// route has a payment to refund from, and S2 suspended from 20 Nov, so resume has something to
// resume.
func coreFuzzWorld(tb testing.TB) *world {
	tb.Helper()
	w := newWorld(tb)
	_, err := w.svc.RecordPayment(context.Background(), billing.PaymentInput{ID: fuzzPayment, Account: "C3",
		Amount: w.invoiceOf("C3").Total.Add(decimalFive), Currency: "EUR",
		ReceivedAt: time.Date(2026, 10, 2, 10, 0, 0, 0, time.UTC), Method: "bank_transfer"}, "test")
	if err != nil {
		tb.Fatal(err)
	}
	err = w.svc.Do(context.Background(), func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.Suspend("S2", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), at, "test")
	})
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// accountRoutes: POST /v1/accounts (as a reseller below itself and as an admin anywhere) and
// POST /v1/accounts/{id}/apply-credit.
func accountRoutes() []fuzzRoute {
	return []fuzzRoute{
		{pattern: "POST /v1/accounts", key: keyR1, path: at("/v1/accounts"), exact: []string{"margin_percent"},
			seeds: bodies(`{"id":"C9","kind":"customer","name":"Customer Nine","parent":"R1","currency":"EUR","tax_jurisdiction":"FR","billing_day":1,"payment_terms_days":14}`)},
		{pattern: "POST /v1/accounts", key: keyAdmin, path: at("/v1/accounts"), exact: []string{"margin_percent"},
			seeds: bodies(`{"id":"R9","kind":"reseller","name":"Reseller Nine","parent":"D","currency":"EUR","tax_jurisdiction":"FR","billing_day":0,"payment_terms_days":0,"margin_percent":"12.5","contacts":[{"name":"Ann","email":"ann@example.com","role":"billing"}]}`,
				`{"id":"C8","kind":"customer","name":"Customer Eight","parent":"R2","currency":"EUR","tax_jurisdiction":"DE","tax_id":"DE123","billing_day":28,"payment_terms_days":30,"invoice_pattern":"C8-{YYYY}-{SEQ:4}"}`)},
		{pattern: "POST /v1/accounts/{id}/apply-credit", key: keyFinance, path: at("/v1/accounts/C3/apply-credit"),
			seeds: bodies(`{"id":"ac-1"}`)},
	}
}

// FuzzAccountBodies fuzzes the account routes' bodies.
func FuzzAccountBodies(f *testing.F) {
	h := newFuzzHarness(f, coreFuzzWorld, accountRoutes())
	f.Fuzz(func(t *testing.T, route uint8, body string) { h.check(t, route, "", body) })
}

// subscriptionRoutes: POST /v1/subscriptions and the five actions (on S1; resume on S2, the
// suspended one).
func subscriptionRoutes() []fuzzRoute {
	action := func(name string, seeds ...string) fuzzRoute {
		sub := "S1"
		if name == "resume" {
			sub = "S2" // suspended by coreFuzzWorld
		}
		return fuzzRoute{pattern: "POST /v1/subscriptions/{id}/" + name, key: keyR1, path: at("/v1/subscriptions/" + sub + "/" + name),
			money: []string{"seats"}, seeds: bodies(seeds...)}
	}
	return []fuzzRoute{
		{pattern: "POST /v1/subscriptions", key: keyR1, path: at("/v1/subscriptions"), money: []string{"seats"}, exact: []string{"seats"},
			seeds: bodies(`{"id":"S9","account":"C1","plan_id":"basic","seats":"2","start":"2026-11-01T00:00:00Z","trial_days":0}`,
				`{"id":"S8","account":"C2","plan_id":"pro","seats":"5","coupon":"","start":"2026-10-15T00:00:00Z","trial_days":14,"term":"annual","auto_renew":true}`)},
		action("seats", `{"seats":"3","effective":"2026-11-05T00:00:00Z"}`, `{"seats":"4","timing":"now","prorate":true,"effective":"2026-10-20T00:00:00Z"}`),
		action("change-plan", `{"plan_id":"pro","timing":"period_end","effective":"2026-11-06T00:00:00Z"}`, `{"plan_id":"pro","timing":"now","prorate":false}`),
		action("suspend", `{"effective":"2026-11-20T00:00:00Z"}`),
		action("resume", `{"effective":"2026-11-25T00:00:00Z"}`),
		action("cancel", `{"timing":"period_end","effective":"2026-11-26T00:00:00Z"}`, `{}`),
	}
}

// FuzzSubscriptionBodies fuzzes the subscription routes' bodies.
func FuzzSubscriptionBodies(f *testing.F) {
	h := newFuzzHarness(f, coreFuzzWorld, subscriptionRoutes())
	f.Fuzz(func(t *testing.T, route uint8, body string) { h.check(t, route, "", body) })
}

// invoiceRoutes: POST /v1/invoices/preview, /v1/invoices/{id}/void (of C2's invoice; its body
// is empty or {}), /v1/cycles and /v1/credit-notes (on C1's invoice).
func invoiceRoutes() []fuzzRoute {
	return []fuzzRoute{
		{pattern: "POST /v1/invoices/preview", key: keyR1, path: at("/v1/invoices/preview"),
			seeds: bodies(`{"account":"C1","at":"2026-11-01T00:00:00Z"}`, `{"account":"C2"}`)},
		{pattern: "POST /v1/invoices/{id}/void", key: keyFinance,
			path:  func(w *world) string { return "/v1/invoices/" + w.invoiceOf("C2").ID + "/void" },
			seeds: bodies(`{}`)},
		{pattern: "POST /v1/cycles", key: keyFinance, path: at("/v1/cycles"),
			seeds: bodies(`{"as_of":"2026-10-02T00:00:00Z"}`, `{}`)},
		{pattern: "POST /v1/credit-notes", key: keyFinance, path: at("/v1/credit-notes"), money: []string{"lines[].amount"},
			seeds: func(w *world) []string {
				inv := w.invoiceOf("C1").ID
				return []string{`{"id":"cn-1","invoice":"` + inv + `","reason":"goodwill","lines":[{"line":1,"amount":"10.00"}]}`,
					`{"id":"cn-2","invoice":"` + inv + `","reason":"cancelled","full":true}`}
			}},
	}
}

// FuzzInvoiceBodies fuzzes the invoice, cycle and credit-note routes' bodies.
func FuzzInvoiceBodies(f *testing.F) {
	h := newFuzzHarness(f, coreFuzzWorld, invoiceRoutes())
	f.Fuzz(func(t *testing.T, route uint8, body string) { h.check(t, route, "", body) })
}

// paymentRoutes: POST /v1/payments (C1 pays its invoice) and POST /v1/payments/{id}/refunds.
func paymentRoutes() []fuzzRoute {
	return []fuzzRoute{
		{pattern: "POST /v1/payments", key: keyFinance, path: at("/v1/payments"), money: []string{"amount"}, exact: []string{"amount"},
			seeds: func(w *world) []string {
				inv := w.invoiceOf("C1")
				return []string{`{"id":"pay-1","account":"C1","amount":"` + inv.Total.StringFixed(2) + `","currency":"EUR","received_at":"2026-10-02T10:00:00Z","method":"bank_transfer","reference":"SEPA-1","invoices":["` + inv.ID + `"]}`,
					`{"id":"pay-2","account":"C2","amount":"1.005","currency":"EUR","received_at":"2026-10-02T10:00:00Z"}`,
					"K:pay-3\n" + `{"account":"C2","amount":"3.00","currency":"EUR","received_at":"2026-10-02T10:00:00Z"}`}
			}},
		{pattern: "POST /v1/payments/{id}/refunds", key: keyFinance, path: at("/v1/payments/" + fuzzPayment + "/refunds"),
			money: []string{"amount"}, exact: []string{"amount"},
			seeds: bodies(`{"id":"rf-1","amount":"2.00","reason":"overpaid"}`, `{"id":"rf-2","amount":"0.01"}`)},
	}
}

// FuzzPaymentBodies fuzzes the payment routes' bodies and the Idempotency-Key header.
func FuzzPaymentBodies(f *testing.F) {
	h := newFuzzHarness(f, coreFuzzWorld, paymentRoutes())
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		// A body starting with "K:" carries an Idempotency-Key (up to the first newline), so
		// the header's merging with the id is fuzzed too.
		header := ""
		if len(body) > 2 && body[:2] == "K:" {
			for i := 2; i < len(body); i++ {
				if body[i] == '\n' {
					header, body = body[2:i], body[i+1:]
					break
				}
			}
		}
		h.check(t, route, header, body)
	})
}
