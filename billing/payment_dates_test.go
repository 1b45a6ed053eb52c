package billing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/shopspring/decimal"
)

// paymentIDWorld is a Service with vendor V and customer K and nothing billed: a payment is all
// credit, so it can be refunded.
func paymentIDWorld(t *testing.T) (*billing.Service, *ledgertest.MemStore, *svcClock) {
	t.Helper()
	store := ledgertest.NewMemStore()
	clock := &svcClock{t: time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)}
	svc := datesService(t, store, clock, 0)
	if err := svc.Do(context.Background(), datesAccounts(1)...); err != nil {
		t.Fatal(err)
	}
	return svc, store, clock
}

func payIn(id string, received time.Time, invoices ...string) billing.PaymentInput {
	return billing.PaymentInput{ID: id, Account: "K", Amount: decimal.RequireFromString("12.50"), Currency: "EUR",
		ReceivedAt: received, Invoices: invoices}
}

func TestPaymentInputRefusesPaddedIDs(t *testing.T) {
	at := billingtest.Day(2026, 11, 20)
	cases := []struct {
		name  string
		in    billing.PaymentInput
		field string // "" valid
	}{
		{name: "plain", in: payIn("pay-1", at)},
		{name: "provider formats stay free", in: payIn("ch_3N:xyz/1+é ü", at, "INV 2026/01")},
		{name: "inner space", in: payIn("pay 1", at)},
		{name: "leading space", in: payIn(" pay-1", at), field: `id: " pay-1" has leading or trailing whitespace`},
		{name: "trailing space", in: payIn("pay-1 ", at), field: "id: "},
		{name: "trailing newline", in: payIn("pay-1\n", at), field: "id: "},
		{name: "no-break space", in: payIn("\u00a0pay-1", at), field: "id: "},
		{name: "tab inside", in: payIn("pay\t1", at), field: "id: " + `"pay\t1" contains a control character`},
		{name: "NUL inside", in: payIn("pay\x001", at), field: "id: "},
		{name: "blank", in: payIn("   ", at), field: "id: is required"},
		{name: "padded invoice", in: payIn("pay-1", at, "INV-1", " INV-2"), field: `invoices[1]: " INV-2" has leading`},
		{name: "invoice with a control character", in: payIn("pay-1", at, "INV\r1"), field: "invoices[0]: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.in.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("Validate: %v, want ErrInvalid saying %q", err, c.field)
			}
		})
	}
}

// TestPaddedIDIsNotASecondPayment: a provider retry with stray whitespace is refused, so the
// money is recorded once.
func TestPaddedIDIsNotASecondPayment(t *testing.T) {
	svc, store, clock := paymentIDWorld(t)
	ctx := context.Background()
	if _, err := svc.RecordPayment(ctx, payIn("pay-1", clock.Now()), "finance"); err != nil {
		t.Fatal(err)
	}
	before := datesEventCount(t, store)
	for _, id := range []string{" pay-1 ", "pay-1\r\n", "pay-1\u200b\t"} {
		if _, err := svc.RecordPayment(ctx, payIn(id, clock.Now()), "finance"); !errors.Is(err, billing.ErrInvalid) {
			t.Errorf("payment %q: %v, want ErrInvalid", id, err)
		}
	}
	if got := len(svc.Payments("K")); got != 1 {
		t.Errorf("K has %d payments, want 1", got)
	}
	if got := datesEventCount(t, store); got != before {
		t.Errorf("the refused retries wrote %d events", got-before)
	}
}

func TestRecordPaymentReceivedAtBounds(t *testing.T) {
	cases := []struct {
		name     string
		received func(now time.Time) time.Time
		want     string // "" accepted
	}{
		{name: "now", received: func(now time.Time) time.Time { return now }},
		{name: "5 minutes ahead (clock skew)", received: func(now time.Time) time.Time { return now.Add(5 * time.Minute) }},
		{name: "6 minutes ahead", received: func(now time.Time) time.Time { return now.Add(6 * time.Minute) },
			want: "received_at: 2026-11-25T09:36:00Z is after now (2026-11-25T09:30:00Z) + 5m0s"},
		{name: "year 9999", received: func(time.Time) time.Time { return time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) },
			want: "received_at: 9999-12-31T00:00:00Z is after now"},
		{name: "first second of 2000", received: func(time.Time) time.Time { return billingtest.Day(2000, 1, 1) }},
		{name: "last second of 1999", received: func(time.Time) time.Time { return billingtest.Day(2000, 1, 1).Add(-time.Second) },
			want: "received_at: 1999-12-31T23:59:59Z is before 2000-01-01"},
		{name: "1970", received: func(time.Time) time.Time { return time.Unix(0, 0) }, want: "received_at: 1970-01-01T00:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, store, clock := paymentIDWorld(t)
			before := datesEventCount(t, store)
			pay, err := svc.RecordPayment(context.Background(), payIn("pay-1", c.received(clock.Now())), "finance")
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if !pay.ReceivedAt.Equal(c.received(clock.Now())) {
					t.Errorf("received_at %s, want %s", pay.ReceivedAt, c.received(clock.Now()))
				}
				return
			}
			if !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("RecordPayment: %v, want ErrInvalid saying %q", err, c.want)
			}
			if _, ok := svc.Payment("pay-1"); ok {
				t.Error("the refused payment is listed")
			}
			if got := datesEventCount(t, store); got != before {
				t.Errorf("the refused payment wrote %d events", got-before)
			}
		})
	}
}

// TestReplayAnswersAsRecorded: the bound applies to new payments; a retry of one recorded
// received 5 minutes ahead still answers with it after the clock stepped back 2 minutes (the
// same id and content are the same payment, whatever the clock says now).
func TestReplayAnswersAsRecorded(t *testing.T) {
	svc, store, clock := paymentIDWorld(t)
	ctx := context.Background()
	in := payIn("pay-1", clock.Now().Add(5*time.Minute))
	first, err := svc.RecordPayment(ctx, in, "finance")
	if err != nil {
		t.Fatal(err)
	}
	before := datesEventCount(t, store)
	clock.Add(-2 * time.Minute)
	again, err := svc.RecordPayment(ctx, in, "finance")
	if err != nil || !again.RecordedAt.Equal(first.RecordedAt) {
		t.Fatalf("replay: %v (%+v), want the payment recorded at %s", err, again, first.RecordedAt)
	}
	if got := datesEventCount(t, store); got != before {
		t.Errorf("the replay wrote %d events", got-before)
	}
}

func TestRefundRefusesPaddedID(t *testing.T) {
	svc, store, clock := paymentIDWorld(t)
	ctx := context.Background()
	if _, err := svc.RecordPayment(ctx, payIn("pay-1", clock.Now()), "finance"); err != nil {
		t.Fatal(err)
	}
	before := datesEventCount(t, store)
	one := decimal.RequireFromString("1.00")
	for _, id := range []string{" r-1", "r-1 ", "r\x7f1"} {
		_, err := svc.RefundPayment(ctx, billing.RefundInput{ID: id, Payment: "pay-1", Amount: one}, "finance")
		if !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), "id: ") {
			t.Errorf("refund %q: %v, want ErrInvalid naming the id", id, err)
		}
	}
	if got := datesEventCount(t, store); got != before {
		t.Errorf("the refused refunds wrote %d events", got-before)
	}
	if _, err := svc.RefundPayment(ctx, billing.RefundInput{ID: "r-1", Payment: "pay-1", Amount: one}, "finance"); err != nil {
		t.Errorf("the same refund without whitespace: %v", err)
	}
}
