package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
)

// roleKeys is one key per role.
var roleKeys = map[api.Role]string{
	api.RoleAdmin: keyAdmin, api.RoleFinance: keyFinance, api.RoleAnalyst: keyAnalyst,
	api.RoleVendor: keyVendor, api.RoleDistributor: keyDist, api.RoleReseller: keyR1,
}

// allowed is who may call each core route, written out here independently of the route table:
// a change of either must be deliberate. nil: the handler authenticates itself.
func allowed() map[string][]api.Role {
	all := api.Roles()
	money := []api.Role{api.RoleFinance, api.RoleAdmin}
	manage := []api.Role{api.RoleDistributor, api.RoleReseller, api.RoleAdmin}
	return map[string][]api.Role{
		"POST /v1/usage":                          nil,
		"POST /v1/payments/webhook":               nil,
		"GET /v1/accounts":                        all,
		"POST /v1/accounts":                       manage,
		"GET /v1/accounts/{id}":                   all,
		"GET /v1/accounts/{id}/balance":           all,
		"GET /v1/accounts/{id}/subscriptions":     all,
		"POST /v1/accounts/{id}/apply-credit":     money,
		"POST /v1/subscriptions":                  manage,
		"GET /v1/subscriptions/{id}":              all,
		"POST /v1/subscriptions/{id}/cancel":      manage,
		"POST /v1/subscriptions/{id}/change-plan": manage,
		"POST /v1/subscriptions/{id}/seats":       manage,
		"POST /v1/subscriptions/{id}/suspend":     manage,
		"POST /v1/subscriptions/{id}/resume":      manage,
		"GET /v1/invoices":                        all,
		"GET /v1/invoices/{id}":                   all,
		"GET /v1/invoices/{id}/html":              all,
		"POST /v1/invoices/preview":               all,
		"POST /v1/invoices/{id}/void":             money,
		"POST /v1/cycles":                         money,
		"POST /v1/credit-notes":                   money,
		"POST /v1/payments":                       money,
		"GET /v1/payments":                        all,
		"GET /v1/payments/{id}":                   all,
		"POST /v1/payments/{id}/refunds":          money,
		"GET /v1/reports/commissions":             all,
	}
}

// TestEveryRouteAuthenticatesAndAuthorizes: no key is 401, a role outside the route's list is
// 403, and a role in it gets past both (whatever the handler then says about the empty body).
func TestEveryRouteAuthenticatesAndAuthorizes(t *testing.T) {
	w := newWorld(t)
	table := allowed()
	for _, pattern := range apiCorePatterns(w) {
		roles, ok := table[pattern]
		if !ok {
			t.Errorf("%s: no authorization expectation in this test", pattern)
			continue
		}
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.ReplaceAll(path, "{id}", "nope")
		t.Run(pattern, func(t *testing.T) {
			if roles == nil {
				return // the connector and the webhook authenticate on their own
			}
			if r := w.call(method, path, "", nil); r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("no key: %d %q, want 401 with WWW-Authenticate: Bearer", r.status, r.header.Get("WWW-Authenticate"))
			}
			if r := w.call(method, path, "not-a-configured-key", nil); r.status != http.StatusUnauthorized {
				t.Errorf("unknown key: %d, want 401", r.status)
			}
			for _, role := range api.Roles() {
				r := w.call(method, path, roleKeys[role], "{}")
				switch {
				case slices.Contains(roles, role) && (r.status == http.StatusUnauthorized || r.status == http.StatusForbidden):
					t.Errorf("%s: %d, want it let through: %s", role, r.status, r.body)
				case !slices.Contains(roles, role) && r.status != http.StatusForbidden:
					t.Errorf("%s: %d, want 403: %s", role, r.status, r.body)
				}
			}
		})
	}
}

// TestResellerCannotSeeAnotherResellersCustomer: R1 asking for anything of R2's customer C3
// gets the 404 of an id that does not exist, never C3's data; the distributor above both
// sees it.
func TestResellerCannotSeeAnotherResellersCustomer(t *testing.T) {
	w := newWorld(t)
	inv := w.invoiceOf("C3")
	// C3 pays, so it has a payment to ask for.
	if r := w.call("POST", "/v1/payments", keyFinance, map[string]any{"id": "pay-c3", "account": "C3",
		"amount": inv.Total.StringFixed(2), "currency": "EUR", "received_at": "2026-10-02T08:00:00Z"}); r.status != http.StatusCreated {
		t.Fatalf("payment: %d %s", r.status, r.body)
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
	}{
		{"account", "GET", "/v1/accounts/C3", nil},
		{"balance", "GET", "/v1/accounts/C3/balance", nil},
		{"subscriptions", "GET", "/v1/accounts/C3/subscriptions", nil},
		{"subscription", "GET", "/v1/subscriptions/S3", nil},
		{"invoice", "GET", "/v1/invoices/" + inv.ID, nil},
		{"invoice html", "GET", "/v1/invoices/" + inv.ID + "/html", nil},
		{"preview", "POST", "/v1/invoices/preview", map[string]any{"account": "C3"}},
		{"payments", "GET", "/v1/payments?account=C3", nil},
		{"payment", "GET", "/v1/payments/pay-c3", nil},
		{"commissions", "GET", "/v1/reports/commissions?partner=R2&period=2026-10", nil},
		{"subscribe", "POST", "/v1/subscriptions", map[string]any{"id": "S9", "account": "C3", "plan_id": "basic", "start": "2026-11-01T00:00:00Z"}},
		{"cancel", "POST", "/v1/subscriptions/S3/cancel", map[string]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.call(tc.method, tc.path, keyR1, tc.body)
			if r.status != http.StatusNotFound {
				t.Fatalf("R1: %d, want 404: %s", r.status, r.body)
			}
			for _, leak := range []string{"Customer Three", inv.Number, inv.Total.StringFixed(2)} {
				if strings.Contains(string(r.body), leak) {
					t.Errorf("R1's 404 shows %q: %s", leak, r.body)
				}
			}
			if tc.method == "GET" {
				if r := w.call(tc.method, tc.path, keyDist, nil); r.status != http.StatusOK {
					t.Errorf("D (above C3): %d, want 200: %s", r.status, r.body)
				}
			}
		})
	}
	// The lists leave C3 out for R1 and keep it for the vendor.
	for _, tc := range []struct {
		key, path, needle string
		want              bool
	}{
		{keyR1, "/v1/accounts", `"C3"`, false},
		{keyR1, "/v1/accounts", `"C1"`, true},
		{keyR1, "/v1/invoices", inv.ID, false},
		{keyR1, "/v1/invoices?account=C3", inv.ID, false},
		{keyR1, "/v1/invoices", w.invoiceOf("C1").ID, true},
		{keyVendor, "/v1/invoices", inv.ID, true},
		{keyVendor, "/v1/accounts", `"C3"`, true},
	} {
		r := w.call("GET", tc.path, tc.key, nil)
		if r.status != http.StatusOK || strings.Contains(string(r.body), tc.needle) != tc.want {
			t.Errorf("%s %s: %d, contains %s = %v, want %v", tc.key, tc.path, r.status, tc.needle, !tc.want, tc.want)
		}
	}
}

// TestPartnerCreatesAccountsOnlyBelowItself: a reseller may add a customer under itself, not
// under another reseller nor under its distributor; the analyst moves no money.
func TestPartnerCreatesAccountsOnlyBelowItself(t *testing.T) {
	w := newWorld(t)
	customer := func(id, parent string) map[string]any {
		return map[string]any{"id": id, "kind": "customer", "name": "New " + id, "parent": parent, "currency": "EUR",
			"tax_jurisdiction": "FR", "billing_day": 1}
	}
	for _, tc := range []struct {
		name, key string
		body      map[string]any
		want      int
	}{
		{"reseller below itself", keyR1, customer("N1", "R1"), http.StatusCreated},
		{"reseller below another reseller", keyR1, customer("N2", "R2"), http.StatusForbidden},
		{"reseller below its distributor", keyR1, customer("N3", "D"), http.StatusForbidden},
		{"distributor below itself", keyDist, map[string]any{"id": "R3", "kind": "reseller", "name": "R3", "parent": "D",
			"currency": "EUR", "tax_jurisdiction": "FR"}, http.StatusCreated},
		{"admin anywhere", keyAdmin, customer("N4", "R2"), http.StatusCreated},
		{"the same id again", keyAdmin, customer("N4", "R2"), http.StatusConflict},
		{"vendor may not", keyVendor, customer("N5", "V"), http.StatusForbidden},
		{"finance may not", keyFinance, customer("N6", "R1"), http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.call("POST", "/v1/accounts", tc.key, tc.body)
			if r.status != tc.want {
				t.Fatalf("%d, want %d: %s", r.status, tc.want, r.body)
			}
			if tc.want == http.StatusCreated {
				got := r.json(t)
				if got["id"] != tc.body["id"] || got["parent"] != tc.body["parent"] {
					t.Errorf("created %v, want id %v parent %v", got, tc.body["id"], tc.body["parent"])
				}
			}
		})
	}
	for _, path := range []string{"/v1/payments", "/v1/cycles", "/v1/credit-notes", "/v1/accounts/C1/apply-credit",
		"/v1/invoices/" + w.invoiceOf("C1").ID + "/void"} {
		if r := w.call("POST", path, keyAnalyst, "{}"); r.status != http.StatusForbidden {
			t.Errorf("analyst POST %s: %d, want 403", path, r.status)
		}
	}
}
