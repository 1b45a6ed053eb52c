package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
)

// moreAllowed is who may call each catalog / rejects / consumption route, written out here
// independently of routes_more.go: a change of either must be deliberate.
func moreAllowed() map[string][]api.Role {
	all := api.Roles()
	return map[string][]api.Role{
		"GET /v1/catalog":                      all,
		"POST /v1/catalog/drafts":              {api.RoleVendor},
		"GET /v1/catalog/drafts":               {api.RoleVendor, api.RoleAdmin},
		"GET /v1/catalog/drafts/{id}":          {api.RoleVendor, api.RoleAdmin},
		"POST /v1/catalog/drafts/{id}/submit":  {api.RoleVendor},
		"POST /v1/catalog/drafts/{id}/approve": {api.RoleAdmin},
		"POST /v1/catalog/drafts/{id}/reject":  {api.RoleAdmin},
		"GET /v1/rejects":                      {api.RoleAdmin, api.RoleFinance, api.RoleAnalyst, api.RoleVendor},
		"POST /v1/rejects/replay":              {api.RoleAdmin},
		"GET /v1/reports/consumption":          all,
	}
}

// moreRoleKey is one key per role.
var moreRoleKey = map[api.Role]string{
	api.RoleAdmin: "admin", api.RoleFinance: "finance", api.RoleAnalyst: "analyst",
	api.RoleVendor: "vendor-v", api.RoleDistributor: "dist", api.RoleReseller: "reseller-1",
}

// TestMoreRoutesAuthorize: no key is 401, a role outside the route's list is 403, a role in it
// gets past both.
func TestMoreRoutesAuthorize(t *testing.T) {
	w := newMoreWorld(t, true)
	table := moreAllowed()
	var patterns []string
	for p := range table {
		patterns = append(patterns, p)
	}
	slices.Sort(patterns)
	for _, p := range w.api.Patterns() {
		if strings.Contains(p, "/v1/catalog") || strings.Contains(p, "/v1/rejects") || strings.Contains(p, "/v1/reports/consumption") {
			if _, ok := table[p]; !ok {
				t.Errorf("%s is served but has no expectation here", p)
			}
		}
	}
	for _, pattern := range patterns {
		roles := table[pattern]
		method, path, _ := strings.Cut(pattern, " ")
		path = strings.ReplaceAll(path, "{id}", "nope")
		t.Run(pattern, func(t *testing.T) {
			if status, _ := w.call(method, path, "", nil); status != http.StatusUnauthorized {
				t.Errorf("no key: %d, want 401", status)
			}
			for _, role := range api.Roles() {
				status, b := w.call(method, path, moreRoleKey[role], []byte("{}"))
				allowed := slices.Contains(roles, role)
				switch {
				case allowed && (status == http.StatusUnauthorized || status == http.StatusForbidden):
					t.Errorf("%s: %d, want it let through: %s", role, status, b)
				case !allowed && status != http.StatusForbidden:
					t.Errorf("%s: %d, want 403: %s", role, status, b)
				}
			}
		})
	}
}

// TestMoreRoutesConformToOpenAPI walks every catalog / rejects / consumption route and checks
// each answer's status is documented and its JSON body has the documented shape.
func TestMoreRoutesConformToOpenAPI(t *testing.T) {
	w := newMoreWorld(t, true)
	w.moreRejects()
	s := loadSpec(t)
	second := strings.NewReplacer("vision", "audio", "images", "sounds").Replace(visionDraft)
	walk := []struct {
		pattern, method, path, key, body string
		want                             int
	}{
		{"GET /v1/catalog", "GET", "/v1/catalog", "analyst", "", 200},
		{"POST /v1/catalog/drafts", "POST", "/v1/catalog/drafts", "vendor-v", visionDraft, 201},
		{"POST /v1/catalog/drafts", "POST", "/v1/catalog/drafts", "vendor-v", "products: [{id: x, vendor: W}]", 400},
		{"POST /v1/catalog/drafts", "POST", "/v1/catalog/drafts", "admin", visionDraft, 403},
		{"GET /v1/catalog/drafts", "GET", "/v1/catalog/drafts", "admin", "", 200},
		{"GET /v1/catalog/drafts", "GET", "/v1/catalog/drafts?status=open", "admin", "", 400},
		{"GET /v1/catalog/drafts/{id}", "GET", "/v1/catalog/drafts/V-1", "vendor-v", "", 200},
		{"GET /v1/catalog/drafts/{id}", "GET", "/v1/catalog/drafts/V-1", "vendor-w", "", 404},
		{"POST /v1/catalog/drafts/{id}/approve", "POST", "/v1/catalog/drafts/V-1/approve", "admin", "", 409},
		{"POST /v1/catalog/drafts/{id}/submit", "POST", "/v1/catalog/drafts/V-1/submit", "vendor-v", "", 200},
		{"POST /v1/catalog/drafts/{id}/submit", "POST", "/v1/catalog/drafts/V-1/submit", "vendor-w", "", 404},
		{"POST /v1/catalog/drafts/{id}/approve", "POST", "/v1/catalog/drafts/V-1/approve", "admin", "", 200},
		{"POST /v1/catalog/drafts", "POST", "/v1/catalog/drafts", "vendor-v", second, 201},
		{"POST /v1/catalog/drafts/{id}/submit", "POST", "/v1/catalog/drafts/V-2/submit", "vendor-v", "", 200},
		{"POST /v1/catalog/drafts/{id}/reject", "POST", "/v1/catalog/drafts/V-2/reject", "admin", `{}`, 400},
		{"POST /v1/catalog/drafts/{id}/reject", "POST", "/v1/catalog/drafts/V-2/reject", "admin", `{"reason":"no"}`, 200},
		{"POST /v1/catalog/drafts/{id}/reject", "POST", "/v1/catalog/drafts/V-9/reject", "admin", `{"reason":"no"}`, 404},
		{"POST /v1/catalog/drafts/{id}/approve", "POST", "/v1/catalog/drafts/V-2/approve", "analyst", "", 403},
		{"GET /v1/catalog", "GET", "/v1/catalog", "reseller-1", "", 200},
		{"GET /v1/rejects", "GET", "/v1/rejects", "vendor-v", "", 200},
		{"GET /v1/rejects", "GET", "/v1/rejects?limit=x", "admin", "", 400},
		{"GET /v1/rejects", "GET", "/v1/rejects", "", "", 401},
		{"POST /v1/rejects/replay", "POST", "/v1/rejects/replay", "admin", `{"from":"2026-11-01","to":"2026-11-10"}`, 200},
		{"POST /v1/rejects/replay", "POST", "/v1/rejects/replay", "admin", `{"from":"2026-11-01"}`, 400},
		{"GET /v1/reports/consumption", "GET", "/v1/reports/consumption?account=C1&period=2026-10", "reseller-1", "", 200},
		{"GET /v1/reports/consumption", "GET", "/v1/reports/consumption?account=C1&period=2026-10", "reseller-2", "", 404},
		{"GET /v1/reports/consumption", "GET", "/v1/reports/consumption?account=C1", "admin", "", 400},
	}
	covered := map[string]bool{}
	for _, ex := range walk {
		covered[ex.pattern] = true
	}
	for p := range moreAllowed() {
		if !covered[p] {
			t.Errorf("no conformance example for %s", p)
		}
	}
	for i, ex := range walk {
		var body []byte
		if ex.body != "" {
			body = []byte(ex.body)
		}
		status, b := w.call(ex.method, ex.path, ex.key, body)
		if status != ex.want {
			t.Errorf("#%d %s: status %d, want %d: %s", i, ex.path, status, ex.want, b)
			continue
		}
		resp, err := s.responseFor(ex.pattern, status)
		if err != nil {
			t.Errorf("#%d %v", i, err)
			continue
		}
		media, ok := resp.Content["application/json"]
		if !ok {
			t.Errorf("#%d %s %d: application/json is not documented", i, ex.pattern, status)
			continue
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("#%d %s: body is not JSON: %v", i, ex.pattern, err)
			continue
		}
		for _, problem := range s.validate("$", v, media.Schema) {
			t.Errorf("#%d %s %d: %s", i, ex.pattern, status, problem)
		}
	}
}
