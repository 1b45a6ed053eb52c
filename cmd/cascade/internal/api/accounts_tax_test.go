package api_test

import (
	"cmp"
	"net/http"
	"strings"
	"testing"
)

// TestCreateAccountTaxJurisdiction: POST /v1/accounts refuses a tax_jurisdiction the service's
// tax rules do not have with a 400 naming the field and the known codes, and writes nothing; a
// known code is created. (Found by session 4's API fuzzing: such an account was accepted and
// then failed every cycle.)
func TestCreateAccountTaxJurisdiction(t *testing.T) {
	tests := []struct {
		code   string
		status int
		substr string
	}{
		{"GB", http.StatusCreated, `"GB"`},
		{"XX", http.StatusBadRequest, `account N1: tax_jurisdiction: \"XX\" is not in the tax rules (known: DE, FR, GB, JP, US-CA)`},
		{"fr", http.StatusBadRequest, `tax_jurisdiction: \"fr\" is not in the tax rules`},
		{"", http.StatusBadRequest, `account N1: tax_jurisdiction: required`},
	}
	for _, tt := range tests {
		t.Run(cmp.Or(tt.code, "empty"), func(t *testing.T) {
			w := newWorld(t)
			before := w.written()
			body := `{"id":"N1","kind":"customer","parent":"R1","name":"New","currency":"EUR","billing_day":1,"tax_jurisdiction":"` + tt.code + `"}`
			r := w.call("POST", "/v1/accounts", keyAdmin, body)
			if r.status != tt.status || !strings.Contains(string(r.body), tt.substr) {
				t.Fatalf("HTTP %d %s, want %d containing %s", r.status, r.body, tt.status, tt.substr)
			}
			if tt.status == http.StatusCreated {
				if got := r.json(t)["tax_jurisdiction"]; got != tt.code {
					t.Errorf("created account's tax_jurisdiction %v, want %s", got, tt.code)
				}
				return
			}
			if got := r.json(t)["error"].(map[string]any)["code"]; got != "invalid" {
				t.Errorf("error code %v, want invalid", got)
			}
			if after := w.written(); after != before {
				t.Errorf("a refused account wrote %d records", after-before)
			}
			if g := w.call("GET", "/v1/accounts/N1", keyAdmin, nil); g.status != http.StatusNotFound {
				t.Errorf("GET the refused account: HTTP %d %s, want 404", g.status, g.body)
			}
		})
	}
}
