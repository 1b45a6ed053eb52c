package api_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// notFuzzedHere are the routes with a body that no target of this package fuzzes, and why.
var notFuzzedHere = map[string]string{
	"POST /v1/usage":                       "the connector's own handler: mediation/connector FuzzIngest",
	"POST /v1/payments/webhook":            "the provider webhook's own handler: billing/webhook FuzzWebhookHTTP",
	"POST /v1/catalog/drafts/{id}/submit":  "reads no body",
	"POST /v1/catalog/drafts/{id}/approve": "reads no body",
}

// TestEveryBodyRouteIsFuzzed: every POST, PUT and PATCH route of the API is in a fuzz target's
// route table or in notFuzzedHere, so a new route with a body cannot go unfuzzed unnoticed.
func TestEveryBodyRouteIsFuzzed(t *testing.T) {
	var fuzzed []string
	for _, rts := range [][]fuzzRoute{accountRoutes(), subscriptionRoutes(), invoiceRoutes(), paymentRoutes(), catalogRoutes()} {
		for _, rt := range rts {
			fuzzed = append(fuzzed, rt.pattern)
		}
	}
	w := newWorld(t)
	for _, p := range w.api.Patterns() {
		method, _, _ := strings.Cut(p, " ")
		if method == http.MethodGet || method == http.MethodDelete {
			continue
		}
		if _, elsewhere := notFuzzedHere[p]; !slices.Contains(fuzzed, p) && !elsewhere {
			t.Errorf("%s reads a body no fuzz target sends: add it to a route table in fuzz_*_test.go", p)
		}
	}
}

// TestFuzzSeedsSucceed: the first seed of every fuzzed route is a valid request that succeeds on
// a fresh world. A seed that is refused would leave the fuzzer mutating only refusals, never
// reaching the code that writes (nor the money checks that run on a success).
func TestFuzzSeedsSucceed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		world  func(testing.TB) *world
		routes []fuzzRoute
	}{
		{"accounts", coreFuzzWorld, accountRoutes()},
		{"subscriptions", coreFuzzWorld, subscriptionRoutes()},
		{"invoices", coreFuzzWorld, invoiceRoutes()},
		{"payments", coreFuzzWorld, paymentRoutes()},
		{"catalog", catalogFuzzWorld, catalogRoutes()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, rt := range tc.routes {
				h := &fuzzHarness{world: tc.world, spec: loadSpecTB(t), routes: []fuzzRoute{rt}}
				h.build(t)
				body := rt.seeds(h.w)[0]
				req := httptest.NewRequest(http.MethodPost, h.paths[0], strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+rt.key)
				rec := httptest.NewRecorder()
				h.h.ServeHTTP(rec, req)
				if rec.Code < 200 || rec.Code > 299 {
					t.Errorf("%s as %s: seed %s: status %d: %s", rt.pattern, rt.key, body, rec.Code, rec.Body)
				}
				h.check(t, 0, "", body) // the same request again: an idempotent replay or a documented refusal
			}
		})
	}
}
