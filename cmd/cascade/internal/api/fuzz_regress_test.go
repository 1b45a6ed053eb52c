package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFuzzFoundPaymentTermsBounded is a bug the body fuzz harness led to that takes two
// requests, so no single-body corpus file replays it: an account accepted with payment terms of
// 2^31-1 days got, at its first invoice, a due date past year 9999 whose snapshot does not
// encode; the whole invoice cycle failed and every later request of every account answered 500.
// Terms are now bounded (billing.maxPaymentTermsDays); the largest allowed still invoices.
func TestFuzzFoundPaymentTermsBounded(t *testing.T) {
	send := func(h *fuzzHarness, path, key, body string) (int, map[string]any) {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		h.h.ServeHTTP(rec, req)
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("POST %s %s: answer is not JSON: %s", path, body, rec.Body)
		}
		return rec.Code, v
	}
	account := func(terms string) string {
		return `{"id":"C9","kind":"customer","name":"Customer Nine","parent":"R1","currency":"EUR","tax_jurisdiction":"FR","billing_day":1,"payment_terms_days":` + terms + `}`
	}
	for _, tc := range []struct {
		terms string
		want  int
	}{{"2147483647", http.StatusBadRequest}, {"3651", http.StatusBadRequest}, {"3650", http.StatusCreated}} {
		t.Run(tc.terms, func(t *testing.T) {
			h := &fuzzHarness{world: coreFuzzWorld, spec: loadSpecTB(t), routes: accountRoutes()}
			h.build(t)
			status, v := send(h, "/v1/accounts", keyR1, account(tc.terms))
			if status != tc.want {
				t.Fatalf("payment_terms_days %s: status %d, want %d: %v", tc.terms, status, tc.want, v)
			}
			if status == http.StatusCreated {
				if status, v = send(h, "/v1/subscriptions", keyR1, `{"id":"S9","account":"C9","plan_id":"basic","start":"2026-10-01T00:00:00Z"}`); status != http.StatusCreated {
					t.Fatalf("subscription: %d %v", status, v)
				}
			}
			status, v = send(h, "/v1/cycles", keyFinance, `{}`)
			if status != http.StatusOK || v["complete"] != true {
				t.Fatalf("cycle after the account: %d %v", status, v)
			}
			if issued, _ := v["issued"].([]any); tc.want == http.StatusCreated && len(issued) != 1 {
				t.Fatalf("cycle issued %v, want C9's first invoice", issued)
			}
			h.checkHealthy(t, "the account")
		})
	}
}
