package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/notify"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

var t0 = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)

// entry is a queued suspension notice for account acc (email may be "").
func entry(acc, email, step string) *billing.OutboxEntry {
	return &billing.OutboxEntry{ID: billing.NotificationID(billing.NotifySuspension, "invoice:inv_"+acc, step),
		Kind: billing.NotifySuspension, Object: "invoice:inv_" + acc, Step: step, Account: acc, Email: email,
		Subject: "Service suspended: invoice R-1 of 338.40 € is 21 days overdue",
		Body:    "Dear " + acc + ",\n\nwe have suspended S1. A long line that quoted-printable has to wrap because it is longer than seventy-six characters.\n",
		Data:    map[string]string{"number": "R-1", "outstanding": "338.40"}, QueuedAt: t0}
}

// seed writes the entries' queued events, as the billing Service does.
func seed(t *testing.T, store ledger.EventLog, es ...*billing.OutboxEntry) {
	t.Helper()
	for _, e := range es {
		ev, err := e.QueuedEvent("test")
		if err != nil {
			t.Fatal(err)
		}
		if err := store.WriteEvents(context.Background(), []ledger.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
}

// sleeps records the dispatcher's backoff waits instead of sleeping.
type sleeps struct{ waits []time.Duration }

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.waits = append(s.waits, d)
	return nil
}

func newDispatcher(t *testing.T, store ledger.EventLog, sl *sleeps, senders ...notify.Sender) *notify.Dispatcher {
	t.Helper()
	d, err := notify.New(notify.Config{Log: store, Senders: senders, Attempts: 3, Backoff: 10 * time.Millisecond,
		Sleep: sl.sleep, Now: func() time.Time { return t0.Add(time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// outcomes loads the outbox and returns each entry's outcome on a channel.
func outcomes(t *testing.T, store ledger.EventLog, channel string) map[string]billing.OutboxOutcome {
	t.Helper()
	es, err := billing.LoadOutbox(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]billing.OutboxOutcome{}
	for _, e := range es {
		if o, ok := e.Outcomes[channel]; ok {
			out[e.ID] = o
		}
	}
	return out
}

func TestConfigValidate(t *testing.T) {
	store := ledgertest.NewMemStore()
	wh, err := notify.NewWebhook(notify.WebhookConfig{URL: "http://127.0.0.1:1/hook", Secret: []byte("0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  notify.Config
		ok   bool
	}{
		{"valid", notify.Config{Log: store, Senders: []notify.Sender{wh}}, true},
		{"no log", notify.Config{Senders: []notify.Sender{wh}}, false},
		{"no sender", notify.Config{Log: store}, false},
		{"same channel twice", notify.Config{Log: store, Senders: []notify.Sender{wh, wh}}, false},
		{"negative attempts", notify.Config{Log: store, Senders: []notify.Sender{wh}, Attempts: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notify.New(tc.cfg)
			if (err == nil) != tc.ok {
				t.Fatalf("New: %v, want ok=%v", err, tc.ok)
			}
		})
	}
	for _, bad := range []notify.WebhookConfig{
		{URL: "ftp://x/y", Secret: []byte("0123456789abcdef")},
		{URL: "http://127.0.0.1/hook", Secret: []byte("short")},
	} {
		if _, err := notify.NewWebhook(bad); err == nil {
			t.Errorf("NewWebhook(%+v) accepted a bad config", bad)
		}
	}
	for _, bad := range []notify.SMTPConfig{{Addr: "no-port", From: "a@b.c"}, {Addr: "127.0.0.1:25", From: "not an address"}} {
		if _, err := notify.NewSMTP(bad); err == nil {
			t.Errorf("NewSMTP(%+v) accepted a bad config", bad)
		}
	}
}
