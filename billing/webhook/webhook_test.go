package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/webhook"
)

var (
	secret = []byte("whsec_test")
	now    = time.Date(2026, 11, 10, 9, 30, 0, 0, time.UTC)
)

// fakeRecorder records payments by id like billing does: the same id returns the first result.
type fakeRecorder struct {
	mu    sync.Mutex
	calls int
	seen  map[string]*billing.Payment
	fail  error
}

func (f *fakeRecorder) RecordPayment(_ context.Context, in billing.PaymentInput, actor string) (*billing.Payment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return nil, f.fail
	}
	if p, ok := f.seen[in.ID]; ok {
		return p, nil
	}
	p := &billing.Payment{ID: in.ID, Account: in.Account, Amount: in.Amount, Currency: in.Currency, ReceivedAt: in.ReceivedAt,
		Method: in.Method + "/" + actor, Reference: in.Reference, Unallocated: in.Amount}
	f.seen[in.ID] = p
	return p, nil
}

const goodBody = `{"id":"evt_1","account":"K1","amount":"120.50","currency":"EUR","received_at":"2026-11-10T09:00:00Z","reference":"SEPA-1"}`

func TestWebhook(t *testing.T) {
	signed := func(body string) string { return webhook.Sign(secret, now, []byte(body)) }
	tests := []struct {
		name      string
		method    string
		body      string
		signature string
		fail      error
		status    int
		field     string // for 400: the field named
		recorded  bool
	}{
		{name: "a signed payment is recorded", body: goodBody, signature: signed(goodBody), status: 200, recorded: true},
		{name: "amount as a JSON number", body: strings.Replace(goodBody, `"120.50"`, `120.50`, 1),
			signature: signed(strings.Replace(goodBody, `"120.50"`, `120.50`, 1)), status: 200, recorded: true},
		{name: "a rotated secret: one of two signatures matches", body: goodBody,
			signature: signed(goodBody) + ",v1=" + strings.Repeat("ab", 32), status: 200, recorded: true},
		{name: "no signature", body: goodBody, status: 401},
		{name: "another secret", body: goodBody, signature: webhook.Sign([]byte("other"), now, []byte(goodBody)), status: 401},
		{name: "a tampered body", body: strings.Replace(goodBody, "120.50", "1200.50", 1), signature: signed(goodBody), status: 401},
		{name: "stale", body: goodBody, signature: webhook.Sign(secret, now.Add(-6*time.Minute), []byte(goodBody)), status: 401},
		{name: "from the future", body: goodBody, signature: webhook.Sign(secret, now.Add(6*time.Minute), []byte(goodBody)), status: 401},
		{name: "malformed header", body: goodBody, signature: "v1=zz", status: 401},
		{name: "not JSON", body: `{"id":`, signature: signed(`{"id":`), status: 400, field: ""},
		{name: "no amount", body: `{"id":"e","account":"K1","currency":"EUR","received_at":"2026-11-10T09:00:00Z"}`, status: 400, field: "amount"},
		{name: "amount with an exponent", body: strings.Replace(goodBody, `"120.50"`, `1.2e2`, 1), status: 400, field: "amount"},
		{name: "negative amount", body: strings.Replace(goodBody, `"120.50"`, `"-1"`, 1), status: 400, field: "amount"},
		{name: "bad time", body: strings.Replace(goodBody, `2026-11-10T09:00:00Z`, `yesterday`, 1), status: 400, field: "received_at"},
		{name: "id not a string", body: strings.Replace(goodBody, `"evt_1"`, `7`, 1), status: 400, field: "id"},
		{name: "invoices not strings", body: strings.Replace(goodBody, `}`, `,"invoices":[1]}`, 1), status: 400, field: "invoices"},
		{name: "GET", method: http.MethodGet, body: goodBody, signature: signed(goodBody), status: 405},
		{name: "id reused for another payment", body: goodBody, signature: signed(goodBody), fail: fmt.Errorf("x: %w", billing.ErrConflict), status: 409},
		{name: "unknown account", body: goodBody, signature: signed(goodBody), fail: fmt.Errorf("x: %w", billing.ErrNotFound), status: 422},
		{name: "currency mismatch", body: goodBody, signature: signed(goodBody), fail: fmt.Errorf("x: %w", billing.ErrCurrencyMismatch), status: 422},
		{name: "ledger down", body: goodBody, signature: signed(goodBody), fail: errors.New("connection refused"), status: 500},
		{name: "too large", body: `{"id":"` + strings.Repeat("x", 2048) + `"}`, status: 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &fakeRecorder{seen: map[string]*billing.Payment{}, fail: tt.fail}
			h, err := webhook.New(webhook.Config{Secret: secret, Service: rec, Now: func() time.Time { return now }, MaxBody: 1024})
			if err != nil {
				t.Fatal(err)
			}
			sig := tt.signature
			if sig == "" && (tt.status == 400 || tt.status == 413) {
				sig = signed(tt.body)
			}
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "/webhooks/payments", strings.NewReader(tt.body))
			if sig != "" {
				req.Header.Set(webhook.SignatureHeader, sig)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			var answer struct {
				ID    string `json:"id"`
				Error string `json:"error"`
				Field string `json:"field"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
				t.Fatalf("answer is not JSON: %v: %s", err, w.Body)
			}
			if tt.status == 400 && answer.Field != tt.field {
				t.Errorf("400 names field %q, want %q (%s)", answer.Field, tt.field, answer.Error)
			}
			if tt.status == 200 && answer.ID != "evt_1" {
				t.Errorf("answer is for payment %q", answer.ID)
			}
			if got := len(rec.seen) == 1; got != tt.recorded {
				t.Errorf("recorded: %v, want %v", got, tt.recorded)
			}
			if tt.status == 401 && rec.calls != 0 {
				t.Errorf("an unauthenticated request reached billing")
			}
		})
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []webhook.Config{
		{Service: &fakeRecorder{}},
		{Secret: secret},
		{Secret: secret, Service: &fakeRecorder{}, Tolerance: -time.Second},
	} {
		if _, err := webhook.New(cfg); !errors.Is(err, billing.ErrInvalid) {
			t.Errorf("New(%+v): %v, want invalid", cfg, err)
		}
	}
}

// post sends a signed body to a real server and returns the status and the answer.
func post(t *testing.T, url string, body []byte, at time.Time) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(secret, at, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}
