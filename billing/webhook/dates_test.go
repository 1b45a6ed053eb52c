package webhook_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/billing/webhook"
)

// TestWebhookRefusesImpossiblePayments: the provider's notifications reach billing's checks of
// received_at (2000-01-01 … now + 5 minutes, billing's clock) and of padded ids; a refusal is a
// 400 naming the field (the provider must not retry it) and records nothing.
func TestWebhookRefusesImpossiblePayments(t *testing.T) {
	svc, _ := billed(t)
	billingNow := billingtest.Day(2026, 10, 9) // billed leaves billing's clock there
	h, err := webhook.New(webhook.Config{Secret: secret, Service: svc, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	rfc := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	cases := []struct {
		name, id, received string
		status             int
		want               string
	}{
		{name: "6 minutes ahead", id: "evt_a", received: rfc(billingNow.Add(6 * time.Minute)), status: http.StatusBadRequest, want: "received_at"},
		{name: "year 9999", id: "evt_b", received: "9999-12-31T00:00:00Z", status: http.StatusBadRequest, want: "received_at"},
		{name: "1999", id: "evt_c", received: "1999-12-31T23:59:59Z", status: http.StatusBadRequest, want: "before 2000-01-01"},
		{name: "padded id", id: " evt_d ", received: rfc(billingNow), status: http.StatusBadRequest, want: "leading or trailing whitespace"},
		{name: "control character in the id", id: "evt_e\u0007", received: rfc(billingNow), status: http.StatusBadRequest, want: "control character"},
		{name: "5 minutes ahead", id: "evt_f", received: rfc(billingNow.Add(5 * time.Minute)), status: http.StatusOK, want: `"id":"evt_f"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(svc.Payments("C"))
			body, err := json.Marshal(map[string]string{"id": c.id, "account": "C", "amount": "10.00", "currency": "EUR", "received_at": c.received})
			if err != nil {
				t.Fatal(err)
			}
			status, answer := post(t, srv.URL, body, now)
			if status != c.status || !strings.Contains(string(answer), c.want) {
				t.Fatalf("%d %s, want %d saying %q", status, answer, c.status, c.want)
			}
			want := before
			if c.status == http.StatusOK {
				want++
			}
			if got := len(svc.Payments("C")); got != want {
				t.Errorf("C has %d payments, want %d", got, want)
			}
		})
	}
}
