package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestOpenAPIListsEveryRoute: the route table and the spec name the same operations, both ways.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	w := newWorld(t)
	s := loadSpec(t)
	routes := w.api.Patterns()
	sort.Strings(routes)
	documented := s.patterns()
	for _, p := range routes {
		if !slices.Contains(documented, p) {
			t.Errorf("route %s is not in docs/openapi.yaml", p)
		}
	}
	for _, p := range documented {
		if !slices.Contains(routes, p) {
			t.Errorf("docs/openapi.yaml documents %s, which no route serves", p)
		}
	}
}

// example is one request of the conformance walk; path and body may read the world (ids of
// invoices it issued).
type example struct {
	pattern string
	key     string
	path    func(w *world) string
	body    func(w *world) any
	want    int
}

func fixed(p string) func(*world) string { return func(*world) string { return p } }

func jsonBody(v any) func(*world) any { return func(*world) any { return v } }

// conformanceWalk is a request per core route, in an order that gives each what it needs
// (an account before its subscription, a payment before its refund), then error answers.
func conformanceWalk() []example {
	inv := func(buyer, suffix string) func(w *world) string {
		return func(w *world) string { return "/v1/invoices/" + w.invoiceOf(buyer).ID + suffix }
	}
	sub := func(action string, body any) example {
		return example{pattern: "POST /v1/subscriptions/{id}/" + action, key: keyR1, path: fixed("/v1/subscriptions/S4/" + action),
			body: jsonBody(body), want: http.StatusOK}
	}
	return []example{
		{pattern: "GET /v1/accounts", key: keyAnalyst, path: fixed("/v1/accounts"), want: 200},
		{pattern: "POST /v1/accounts", key: keyR1, path: fixed("/v1/accounts"), want: 201, body: jsonBody(map[string]any{
			"id": "C4", "kind": "customer", "name": "Customer Four", "parent": "R1", "currency": "EUR",
			"tax_jurisdiction": "FR", "billing_day": 1, "payment_terms_days": 14})},
		{pattern: "GET /v1/accounts/{id}", key: keyR1, path: fixed("/v1/accounts/C4"), want: 200},
		{pattern: "GET /v1/accounts/{id}/balance", key: keyR1, path: fixed("/v1/accounts/C1/balance"), want: 200},
		{pattern: "GET /v1/accounts/{id}/subscriptions", key: keyR1, path: fixed("/v1/accounts/C1/subscriptions"), want: 200},
		{pattern: "POST /v1/subscriptions", key: keyR1, path: fixed("/v1/subscriptions"), want: 201, body: jsonBody(map[string]any{
			"id": "S4", "account": "C4", "plan_id": "basic", "seats": "2", "start": "2026-11-01T00:00:00Z", "trial_days": 0})},
		{pattern: "GET /v1/subscriptions/{id}", key: keyDist, path: fixed("/v1/subscriptions/S4"), want: 200},
		sub("seats", map[string]any{"seats": "3", "effective": "2026-11-05T00:00:00Z"}),
		sub("change-plan", map[string]any{"plan_id": "pro", "timing": "period_end", "effective": "2026-11-06T00:00:00Z"}),
		sub("suspend", map[string]any{"effective": "2026-11-20T00:00:00Z"}),
		sub("resume", map[string]any{"effective": "2026-11-25T00:00:00Z"}),
		sub("cancel", map[string]any{"timing": "period_end", "effective": "2026-11-26T00:00:00Z"}),
		{pattern: "GET /v1/invoices", key: keyVendor, path: fixed("/v1/invoices?kind=invoice&issued_from=2026-10-01T00:00:00Z"), want: 200},
		{pattern: "GET /v1/invoices/{id}", key: keyR1, path: inv("C1", ""), want: 200},
		{pattern: "GET /v1/invoices/{id}/html", key: keyR1, path: inv("C1", "/html"), want: 200},
		{pattern: "POST /v1/invoices/preview", key: keyR1, path: fixed("/v1/invoices/preview"), want: 200,
			body: jsonBody(map[string]any{"account": "C1", "at": "2026-11-01T00:00:00Z"})},
		{pattern: "POST /v1/invoices/{id}/void", key: keyFinance, path: inv("C2", "/void"), want: 200},
		{pattern: "POST /v1/cycles", key: keyFinance, path: fixed("/v1/cycles"), want: 200,
			body: jsonBody(map[string]any{"as_of": "2026-10-02T00:00:00Z"})},
		{pattern: "POST /v1/credit-notes", key: keyFinance, path: fixed("/v1/credit-notes"), want: 201,
			body: func(w *world) any {
				return map[string]any{"id": "cn-1", "invoice": w.invoiceOf("C1").ID, "reason": "goodwill",
					"lines": []any{map[string]any{"line": 1, "amount": "10.00"}}}
			}},
		{pattern: "POST /v1/payments", key: keyFinance, path: fixed("/v1/payments"), want: 201,
			body: func(w *world) any {
				return map[string]any{"id": "pay-1", "account": "C3", "amount": w.invoiceOf("C3").Total.Add(decimalFive).StringFixed(2),
					"currency": "EUR", "received_at": "2026-10-02T10:00:00Z", "method": "bank_transfer"}
			}},
		{pattern: "GET /v1/payments", key: keyR2, path: fixed("/v1/payments?account=C3"), want: 200},
		{pattern: "GET /v1/payments/{id}", key: keyR2, path: fixed("/v1/payments/pay-1"), want: 200},
		{pattern: "POST /v1/payments/{id}/refunds", key: keyFinance, path: fixed("/v1/payments/pay-1/refunds"), want: 201,
			body: jsonBody(map[string]any{"id": "rf-1", "amount": "2.00", "reason": "overpaid"})},
		{pattern: "POST /v1/accounts/{id}/apply-credit", key: keyFinance, path: fixed("/v1/accounts/C3/apply-credit"), want: 200,
			body: jsonBody(map[string]any{"id": "ac-1"})},
		{pattern: "GET /v1/reports/commissions", key: keyR1, path: fixed("/v1/reports/commissions?partner=R1&period=2026-10"), want: 200},
		{pattern: "POST /v1/usage", path: fixed("/v1/usage"), body: jsonBody(map[string]any{}), want: 503},
		{pattern: "POST /v1/payments/webhook", path: fixed("/v1/payments/webhook"), body: jsonBody(map[string]any{}), want: 503},
		// Error answers are documented too.
		{pattern: "GET /v1/accounts/{id}", key: keyR1, path: fixed("/v1/accounts/C3"), want: 404},
		{pattern: "POST /v1/accounts", key: keyAdmin, path: fixed("/v1/accounts"), body: jsonBody(map[string]any{"id": "X", "colour": "red"}), want: 400},
		{pattern: "POST /v1/payments", key: keyAnalyst, path: fixed("/v1/payments"), body: jsonBody(map[string]any{}), want: 403},
		{pattern: "GET /v1/invoices", path: fixed("/v1/invoices"), want: 401},
		{pattern: "POST /v1/invoices/{id}/void", key: keyFinance, path: inv("C2", "/void"), want: 409},
	}
}

// TestOpenAPIConformance sends a request per core route and checks the answer's status is
// documented for the operation and its JSON body has the documented shape.
func TestOpenAPIConformance(t *testing.T) {
	w := newWorld(t)
	s := loadSpec(t)
	walk := conformanceWalk()
	covered := map[string]bool{}
	for _, ex := range walk {
		covered[ex.pattern] = true
	}
	for _, p := range apiCorePatterns(w) {
		if !covered[p] {
			t.Errorf("no conformance example for %s", p)
		}
	}
	for i, ex := range walk {
		var body any
		if ex.body != nil {
			body = ex.body(w)
		}
		method, _, _ := strings.Cut(ex.pattern, " ")
		r := w.call(method, ex.path(w), ex.key, body)
		if r.status != ex.want {
			t.Errorf("#%d %s: status %d, want %d: %s", i, ex.pattern, r.status, ex.want, r.body)
			continue
		}
		resp, err := s.responseFor(ex.pattern, r.status)
		if err != nil {
			t.Errorf("#%d %v", i, err)
			continue
		}
		ctype, _, _ := strings.Cut(r.header.Get("Content-Type"), ";")
		media, ok := resp.Content[ctype]
		if !ok {
			t.Errorf("#%d %s %d: content type %q is not documented", i, ex.pattern, r.status, ctype)
			continue
		}
		if ctype != "application/json" {
			if len(r.body) == 0 {
				t.Errorf("#%d %s: empty %s body", i, ex.pattern, ctype)
			}
			continue
		}
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Errorf("#%d %s: body is not JSON: %v", i, ex.pattern, err)
			continue
		}
		for _, problem := range s.validate("$", v, media.Schema) {
			t.Errorf("#%d %s %d: %s", i, ex.pattern, r.status, problem)
		}
	}
}

// TestSchemaValidator: the validator itself finds what it is there to find.
func TestSchemaValidator(t *testing.T) {
	s := loadSpec(t)
	ref := &schema{Ref: "#/components/schemas/Error"}
	for _, tc := range []struct {
		name  string
		body  string
		sc    *schema
		wants string // a substring of the first problem; "" for none
	}{
		{"valid error", `{"error":{"code":"x","message":"y"}}`, ref, ""},
		{"missing required", `{"error":{"code":"x"}}`, ref, "$.error.message: required"},
		{"wrong type", `{"error":{"code":1,"message":"y"}}`, ref, "$.error.code: float64, want string"},
		{"not an object", `[]`, ref, "want object"},
		{"array items", `{"accounts":[{"id":"a"}]}`, &schema{Ref: "#/components/schemas/AccountList"}, "$.accounts[0].kind: required"},
		{"enum", `{"id":"a","kind":"alien","name":"n","currency":"EUR","billing_day":1,"tax_jurisdiction":"DE","payment_terms_days":0}`,
			&schema{Ref: "#/components/schemas/Account"}, `"alien" not in`},
		{"integer", `{"id":"a","kind":"vendor","name":"n","currency":"EUR","billing_day":1.5,"tax_jurisdiction":"DE","payment_terms_days":0}`,
			&schema{Ref: "#/components/schemas/Account"}, "billing_day: float64, want integer"},
		{"unknown ref", `{}`, &schema{Ref: "#/components/schemas/Nope"}, "unresolvable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tc.body), &v); err != nil {
				t.Fatal(err)
			}
			got := s.validate("$", v, tc.sc)
			switch {
			case tc.wants == "" && len(got) > 0:
				t.Errorf("problems %v, want none", got)
			case tc.wants != "" && (len(got) == 0 || !strings.Contains(got[0], tc.wants)):
				t.Errorf("problems %v, want one containing %q", got, tc.wants)
			}
		})
	}
}
