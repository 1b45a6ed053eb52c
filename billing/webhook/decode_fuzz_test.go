package webhook_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/billing/webhook"
)

// FuzzDecodePayment: any body either decodes to a payment with every required field set and a
// positive amount, or fails with a FieldError — never a panic, never a half-filled payment.
func FuzzDecodePayment(f *testing.F) {
	for _, seed := range []string{
		goodBody,
		`{"id":"e","account":"a","amount":1,"currency":"EUR","received_at":"2026-01-01T00:00:00Z","invoices":["i1","i2"]}`,
		`{"id":"e","account":"a","amount":"0.000000000000000001","currency":"JPY","received_at":"2026-01-01T00:00:00+09:00"}`,
		`{"amount":1e999999999}`, `{"amount":"-0"}`, `null`, `[]`, `{}`, `{"id":null}`, `{"invoices":[""]}`, "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := webhook.DecodePayment(body)
		if err != nil {
			var fe *webhook.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a FieldError: %v", err)
			}
			return
		}
		switch {
		case strings.TrimSpace(in.ID) == "", strings.TrimSpace(in.Account) == "", in.Currency == "", in.ReceivedAt.IsZero():
			t.Fatalf("decoded a payment without a required field: %+v", in)
		case !in.Amount.IsPositive():
			t.Fatalf("decoded a non-positive amount %s", in.Amount)
		}
		for i, id := range in.Invoices {
			if strings.TrimSpace(id) == "" {
				t.Fatalf("invoices[%d] is empty", i)
			}
		}
	})
}
