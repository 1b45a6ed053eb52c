package billing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// TestQueueDocumentNotifications: one "invoice issued" per invoice and one "payment received"
// per paid invoice, rendered with the invoice's number and amount, queued once across re-runs
// and restarts; invoices before since are not notified.
func TestQueueDocumentNotifications(t *testing.T) {
	ctx := context.Background()
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.clock.Set(billingtest.Day(2026, 9, 30))
	w.channel(2)
	w.run(billingtest.Day(2026, 10, 1))
	w.run(billingtest.Day(2026, 11, 1))
	paid := w.payFirstUnpaid("K1", billingtest.Day(2026, 11, 2))

	type step struct {
		name      string
		since     time.Time
		restart   bool
		wantNew   int
		wantExist int
	}
	for _, st := range []step{
		{"only November", billingtest.Day(2026, 10, 15), false, 2, 0},
		{"everything", billingtest.Day(2026, 1, 1), false, 3, 2}, // October: 2 issued + K1's payment
		{"re-run", billingtest.Day(2026, 1, 1), false, 0, 5},
		{"after a restart", billingtest.Day(2026, 1, 1), true, 0, 5},
	} {
		if st.restart {
			w.svc = w.open()
		}
		rep, err := w.svc.QueueDocumentNotifications(ctx, st.since, "test")
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if len(rep.Queued) != st.wantNew || rep.Existing != st.wantExist {
			t.Errorf("%s: queued %d, existing %d; want %d and %d", st.name, len(rep.Queued), rep.Existing, st.wantNew, st.wantExist)
		}
	}
	outbox, err := billing.LoadOutbox(ctx, w.store)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[billing.NotificationKind]int{}
	for _, e := range outbox {
		kinds[e.Kind]++
		inv, ok := w.svc.Invoice(strings.TrimPrefix(e.Object, "invoice:"))
		if !ok {
			t.Fatalf("%s refers to %s: no such invoice", e.ID, e.Object)
		}
		if e.ID != billing.NotificationID(e.Kind, e.Object, "") || !strings.Contains(e.Subject, inv.Number) ||
			!strings.Contains(e.Body, inv.Total.StringFixed(2)+" EUR") || e.Data["total"] != inv.Total.StringFixed(2) {
			t.Errorf("%s (%s): id, subject %q or body does not match invoice %s of %s", e.ID, e.Kind, e.Subject, inv.Number, inv.Total)
		}
		if e.Kind == billing.NotifyPaymentReceived && inv.Number != paid {
			t.Errorf("payment notification for %s, want %s", inv.Number, paid)
		}
	}
	if kinds[billing.NotifyInvoiceIssued] != 4 || kinds[billing.NotifyPaymentReceived] != 1 {
		t.Errorf("kinds %v, want 4 invoice_issued and 1 payment_received", kinds)
	}
}

// TestQueueStatementReady queues the partner's statement notice once, with its totals.
func TestQueueStatementReady(t *testing.T) {
	ctx := context.Background()
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.clock.Set(billingtest.Day(2026, 9, 30))
	w.channel(2)
	w.run(billingtest.Day(2026, 10, 1))
	oct := billing.Period{From: billingtest.Day(2026, 10, 1), To: billingtest.Day(2026, 11, 1)}
	st, err := w.svc.Statement(ctx, "R", oct)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 0} {
		rep, err := w.svc.QueueStatementReady(ctx, "R", oct, "test")
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Queued) != want {
			t.Fatalf("call %d queued %d, want %d", i+1, len(rep.Queued), want)
		}
	}
	outbox, err := billing.LoadOutbox(ctx, w.store)
	if err != nil || len(outbox) != 1 {
		t.Fatalf("outbox %d entries, %v; want 1", len(outbox), err)
	}
	e := outbox[0]
	if len(st.Totals) != 1 || !strings.Contains(e.Body, "retail "+st.Totals[0].Retail.StringFixed(2)) || e.Subject != "Commission statement 2026-10 is ready" {
		t.Errorf("statement notice %q / %q does not carry the statement's totals %+v", e.Subject, e.Body, st.Totals)
	}
}

// TestOutboxEntryOutcomes: outcomes apply in seq order; a gap, a repeat or a bad payload is
// refused with the kind that says why.
func TestOutboxEntryOutcomes(t *testing.T) {
	ctx := context.Background()
	store := ledgertest.NewMemStore()
	e := &billing.OutboxEntry{ID: billing.NotificationID(billing.NotifyReminder, "invoice:X", "r1"), Kind: billing.NotifyReminder,
		Object: "invoice:X", Account: "K1", Subject: "s", Body: "b", QueuedAt: billingtest.Day(2026, 10, 1)}
	q, err := e.QueuedEvent("test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.OutcomeEvent(billing.OutboxOutcome{Channel: "webhook", Status: billing.EventDelivered}, "test"); !errorsIs(err, billing.ErrInvalid) {
		t.Errorf("outcome of an entry not loaded: %v, want invalid", err)
	}
	e.Seq = 1 // as LoadOutbox leaves it
	ok, err := e.OutcomeEvent(billing.OutboxOutcome{Channel: "webhook", Status: billing.EventDelivered, Attempts: 2, At: billingtest.Day(2026, 10, 2)}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.WriteEvents(ctx, []ledger.Event{q, ok}); err != nil {
		t.Fatal(err)
	}
	got, err := billing.LoadOutbox(ctx, store)
	if err != nil || len(got) != 1 || got[0].Pending("webhook") || !got[0].Pending("email") || got[0].Outcomes["webhook"].Attempts != 2 {
		t.Fatalf("loaded %+v, %v: want webhook delivered after 2 attempts, email pending", got, err)
	}
	for _, tc := range []struct {
		name string
		ev   ledger.Event
		kind error
	}{
		{"repeat", ok, billing.ErrConflict},
		{"gap", func() ledger.Event { x := ok; x.Seq = 4; return x }(), billing.ErrConflict},
		{"bad type", func() ledger.Event { x := ok; x.Seq = 3; x.Type = "sent"; return x }(), billing.ErrInvalid},
		{"other entry", func() ledger.Event { x := ok; x.Seq = 3; x.Aggregate = "outbox:other"; return x }(), billing.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := got[0].Apply(tc.ev); !errorsIs(err, tc.kind) {
				t.Errorf("Apply: %v, want %v", err, tc.kind)
			}
		})
	}
	if _, err := e.OutcomeEvent(billing.OutboxOutcome{Channel: "webhook", Status: "maybe"}, "test"); !errorsIs(err, billing.ErrInvalid) {
		t.Errorf("outcome with a bad status: %v, want invalid", err)
	}
}

func errorsIs(err, kind error) bool { return errors.Is(err, kind) }
