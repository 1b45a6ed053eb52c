package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// FuzzCommandBodies sends arbitrary bodies to the routes that decode commands: whatever the
// bytes, the answer is a documented client status with a JSON body, never a 500 or a panic.
func FuzzCommandBodies(f *testing.F) {
	for _, seed := range []string{
		`{"id":"p","account":"C1","amount":"1.00","currency":"EUR","received_at":"2026-10-02T00:00:00Z"}`,
		`{"account":"C1","at":"2026-11-01T00:00:00Z"}`,
		`{"id":"cn","invoice":"x","reason":"r","lines":[{"line":1,"amount":"1"}]}`,
		`{"seats":"3","effective":"2026-11-05T00:00:00Z"}`,
		`{"amount":1e999}`, `[]`, `null`, `{"a":`, "",
	} {
		for route := range 5 {
			f.Add(route, seed)
		}
	}
	w := newWorld(f)
	routes := []string{"/v1/payments", "/v1/invoices/preview", "/v1/credit-notes", "/v1/subscriptions/S1/seats", "/v1/subscriptions"}
	f.Fuzz(func(t *testing.T, route int, body string) {
		path := routes[(route%len(routes)+len(routes))%len(routes)]
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+keyAdmin)
		rec := httptest.NewRecorder()
		w.api.ServeHTTP(rec, req)
		if !slices.Contains([]int{200, 201, 400, 404, 409, 413}, rec.Code) {
			t.Fatalf("POST %s %q: status %d: %s", path, body, rec.Code, rec.Body)
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("POST %s %q: answer is not a JSON object: %s", path, body, rec.Body)
		}
		if rec.Code >= 400 {
			if e, ok := v["error"].(map[string]any); !ok || e["message"] == "" {
				t.Fatalf("POST %s %q: error answer without a message: %s", path, body, rec.Body)
			}
		}
	})
}
