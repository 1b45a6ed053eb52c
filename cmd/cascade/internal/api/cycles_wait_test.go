package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
)

// TestCycleWaitsForMediation: POST /v1/cycles first runs BeforeCycle (serve: wait until
// mediation has committed what the raw topic holds); when it fails the answer is 503 with
// Retry-After and nothing is written.
func TestCycleWaitsForMediation(t *testing.T) {
	w := newWorld(t)
	ring, err := api.NewKeyring([]api.Key{{Name: "fin", SHA256: keyHash("k-fin"), Role: api.RoleFinance}})
	if err != nil {
		t.Fatal(err)
	}
	called := 0
	a, err := api.New(api.Config{Billing: w.svc, Store: w.store, Keys: ring, Now: w.clock.Now,
		BeforeCycle: func(context.Context) error { called++; return errors.New("12 records not yet mediated") }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	before := w.written()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/cycles", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer k-fin")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || called != 1 {
		t.Errorf("cycle with mediation behind: %d, Retry-After %q, BeforeCycle called %d times; want 503 with a retry hint, once",
			res.StatusCode, res.Header.Get("Retry-After"), called)
	}
	if after := w.written(); after != before {
		t.Errorf("the refused cycle wrote %d ledger rows", after-before)
	}
}
