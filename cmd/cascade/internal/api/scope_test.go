package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
)

// TestPartnerKeyMustMatchItsAccountKind: a reseller key whose partner is the vendor account V
// (a configuration mistake) is refused on every route instead of seeing V's whole subtree; a
// key whose partner has no account yet sees nothing below it.
func TestPartnerKeyMustMatchItsAccountKind(t *testing.T) {
	w := newWorld(t)
	ring, err := api.NewKeyring([]api.Key{
		{Name: "wrong", SHA256: keyHash("k-wrong"), Role: api.RoleReseller, Partner: "V"},
		{Name: "new", SHA256: keyHash("k-new"), Role: api.RoleReseller, Partner: "R9"},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Config{Billing: w.svc, Store: w.store, Keys: ring, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	get := func(key, path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, path := range []string{"/v1/accounts", "/v1/accounts/C1", "/v1/invoices"} {
		if code, body := get("k-wrong", path); code != http.StatusForbidden || !strings.Contains(body, "is a vendor account") {
			t.Errorf("reseller key on vendor V, GET %s: %d %.200s; want 403 naming the mismatch", path, code, body)
		}
	}
	if code, body := get("k-new", "/v1/accounts"); code != http.StatusOK || strings.Contains(body, `"C1"`) {
		t.Errorf("a partner without an account: %d %.200s; want 200 and no accounts", code, body)
	}
}
