package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPaymentRefusesImpossibleDatesAndPaddedIDs: POST /v1/payments reaches billing's checks —
// received_at within 2000-01-01 … now + 5 minutes (the world's clock is 2 Oct 2026 12:00), ids
// and invoice ids without padding or control characters — as a 400 that writes nothing.
func TestPaymentRefusesImpossibleDatesAndPaddedIDs(t *testing.T) {
	w := newWorld(t)
	inv := w.invoiceOf("C1")
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	now := w.clock.Now()
	body := func(id, received string, invoices ...string) map[string]any {
		b := map[string]any{"id": id, "account": "C1", "amount": "1.00", "currency": "EUR", "received_at": received}
		if len(invoices) > 0 {
			b["invoices"] = invoices
		}
		return b
	}
	cases := []struct {
		name   string
		body   map[string]any
		status int
		want   string // in the answer
	}{
		{"6 minutes ahead", body("p-a", rfc(now.Add(6*time.Minute))), http.StatusBadRequest, "received_at"},
		{"year 9999", body("p-b", "9999-12-31T23:59:59Z"), http.StatusBadRequest, "received_at"},
		{"last second of 1999", body("p-c", "1999-12-31T23:59:59Z"), http.StatusBadRequest, "before 2000-01-01"},
		{"padded id", body(" p-d ", rfc(now)), http.StatusBadRequest, "leading or trailing whitespace"},
		{"id with a newline", body("p-e\n", rfc(now)), http.StatusBadRequest, "whitespace"},
		{"id with a control character", body("p-f\u0000x", rfc(now)), http.StatusBadRequest, "control character"},
		{"padded invoice", body("p-g", rfc(now), inv.Number+" "), http.StatusBadRequest, "invoices[0]"},
		{"5 minutes ahead", body("p-h", rfc(now.Add(5*time.Minute))), http.StatusCreated, `"id": "p-h"`},
		{"first second of 2000", body("p-i", "2000-01-01T00:00:00Z"), http.StatusCreated, `"id": "p-i"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, payments := w.written(), len(w.svc.Payments("C1"))
			r := w.call("POST", "/v1/payments", keyFinance, c.body)
			if r.status != c.status || !strings.Contains(string(r.body), c.want) {
				t.Fatalf("%d %s, want %d saying %q", r.status, r.body, c.status, c.want)
			}
			if c.status != http.StatusCreated {
				if got := w.written(); got != before {
					t.Errorf("the refused payment wrote %d records", got-before)
				}
				if got := len(w.svc.Payments("C1")); got != payments {
					t.Errorf("C1 has %d payments after a refusal, had %d", got, payments)
				}
			}
		})
	}
}

// TestRefundRefusesPaddedID: a refund's id is an idempotency key too.
func TestRefundRefusesPaddedID(t *testing.T) {
	w := newWorld(t)
	r := w.call("POST", "/v1/payments", keyFinance, map[string]any{"id": "over", "account": "C3", "amount": "5.00",
		"currency": "EUR", "received_at": w.clock.Now().Format(time.RFC3339), "invoices": []string{}})
	if r.status != http.StatusCreated {
		t.Fatalf("payment: %d %s", r.status, r.body)
	}
	before := w.written()
	r = w.call("POST", "/v1/payments/over/refunds", keyFinance, map[string]any{"id": "rf-1 ", "amount": "1.00"})
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "whitespace") {
		t.Errorf("padded refund id: %d %s, want 400", r.status, r.body)
	}
	if got := w.written(); got != before {
		t.Errorf("the refused refund wrote %d records", got-before)
	}
}

// TestSubscriptionStartIsBounded: a subscription starting in 1970 (681 catch-up invoices) or a
// change effective in year 9999 is a 400 naming the field, and writes nothing.
func TestSubscriptionStartIsBounded(t *testing.T) {
	w := newWorld(t)
	cases := []struct {
		name, path string
		body       map[string]any
		want       string
	}{
		{"start in 1970", "/v1/subscriptions", map[string]any{"id": "S9", "account": "C1", "plan_id": "basic", "start": "1970-01-01T00:00:00Z"},
			"billing.max_backdate"},
		{"seats effective in 9999", "/v1/subscriptions/S1/seats", map[string]any{"seats": "3", "effective": "9999-12-31T00:00:00Z"},
			"effective: 9999-12-31"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := w.written()
			r := w.call("POST", c.path, keyAdmin, c.body)
			if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), c.want) {
				t.Fatalf("%d %s, want 400 saying %q", r.status, r.body, c.want)
			}
			if got := w.written(); got != before {
				t.Errorf("the refused request wrote %d records", got-before)
			}
		})
	}
}
