package billing_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// dunFailStore fails the next event write touching an aggregate with the armed prefix, as a
// crash or an unreachable ledger at that point would.
type dunFailStore struct {
	*ledgertest.MemStore
	mu     sync.Mutex
	prefix string
}

func (f *dunFailStore) arm(prefix string) { f.mu.Lock(); f.prefix = prefix; f.mu.Unlock() }

func (f *dunFailStore) WriteEvents(ctx context.Context, evs []ledger.Event) error {
	f.mu.Lock()
	p := f.prefix
	for _, ev := range evs {
		if p != "" && strings.HasPrefix(ev.Aggregate, p) {
			f.prefix = ""
			f.mu.Unlock()
			return ledger.ErrUnavailable
		}
	}
	f.mu.Unlock()
	return f.MemStore.WriteEvents(ctx, evs)
}

// TestDunningFailedWriteTakesTheStepOnceLater: a step whose commit fails is taken by the next
// run, with one notification and one audit entry per step however many attempts it took.
func TestDunningFailedWriteTakesTheStepOnceLater(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fail    string // aggregate prefix whose write fails once
		runDays int
		want    []string
		susp    bool // S1 suspended at the end
	}{
		{"reminder commit fails", "dunning:", 1, []string{"step_skipped/reminder-3", "reminder_sent/reminder+1"}, false},
		{"notification write fails", "outbox:", 1, []string{"step_skipped/reminder-3", "reminder_sent/reminder+1"}, false},
		{"suspension write fails", "subscription:", 22, []string{"step_skipped/reminder-3", "step_skipped/reminder+1",
			"step_skipped/reminder+7", "step_skipped/reminder+14", "suspended/suspend+21"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			store := &dunFailStore{MemStore: ledgertest.NewMemStore()}
			w := newSvcWorld(t, store)
			w.clock.Set(billingtest.Day(2026, 9, 30))
			w.channel(1)
			w.run(billingtest.Day(2026, 10, 1))
			inv := w.svc.Invoices(billing.InvoiceFilter{Buyer: "K1"})[0]
			at := inv.DueAt.AddDate(0, 0, tc.runDays)
			w.clock.Set(at)
			policy := billing.DunningPolicy{Steps: billing.DefaultDunningSteps()}

			store.arm(tc.fail)
			rep, err := w.svc.RunDunning(ctx, at, policy)
			if !errors.Is(err, billing.ErrIncomplete) || !errors.Is(err, ledger.ErrUnavailable) || len(rep.Failed) != 1 {
				t.Fatalf("failing run: err %v, failed %d; want ErrIncomplete wrapping ErrUnavailable for 1 invoice", err, len(rep.Failed))
			}
			var got []string
			for i := 0; i < 3; i++ { // the retry, then re-runs that must record nothing
				at = at.Add(time.Hour)
				w.clock.Set(at)
				if i == 2 {
					w.svc = w.open()
				}
				again, err := w.svc.RunDunning(ctx, at, policy)
				if err != nil {
					t.Fatalf("run %d: %v", i+2, err)
				}
				for _, r := range again.Records {
					got = append(got, r.Type+"/"+r.Step)
				}
			}
			all := append(recordsOf(rep), got...)
			if strings.Join(all, " ") != strings.Join(tc.want, " ") {
				t.Errorf("records %v, want each of %v once", all, tc.want)
			}
			outbox, err := billing.LoadOutbox(ctx, store)
			if err != nil {
				t.Fatal(err)
			}
			if len(outbox) != 1 {
				t.Errorf("%d notifications, want 1", len(outbox))
			}
			audit, err := store.Audit(ctx, ledger.AuditQuery{Period: ledger.Period{From: inv.IssuedAt, To: at.AddDate(0, 0, 1)}})
			if err != nil {
				t.Fatal(err)
			}
			audit = withoutDocumentAudit(audit) // the invoice's own issue and split rows (audit.go)
			wantAudit := len(tc.want)
			if tc.susp {
				wantAudit++ // the subscription's own entry
			}
			if len(audit) != wantAudit {
				t.Errorf("%d audit entries, want %d", len(audit), wantAudit)
			}
			if got := w.suspendedOn("S1", at); got != tc.susp {
				t.Errorf("S1 suspended: %v, want %v", got, tc.susp)
			}
		})
	}
}

func recordsOf(rep billing.DunningReport) []string {
	var out []string
	for _, r := range rep.Records {
		out = append(out, r.Type+"/"+r.Step)
	}
	return out
}

// TestDunningResumesOnlyWhatItSuspended: an operator who resumed a dunning suspension and
// suspended the subscription again keeps it suspended after the buyer pays; a subscription the
// operator suspended before dunning stays suspended too.
func TestDunningResumesOnlyWhatItSuspended(t *testing.T) {
	for _, tc := range []struct {
		name     string
		operator bool // the operator resumes then re-suspends S1 after dunning suspended it
		want     map[string]bool
	}{
		{"dunning's suspension is resumed", false, map[string]bool{"S1": false, "S1x": true}},
		{"an operator's later suspension is kept", true, map[string]bool{"S1": true, "S1x": true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			w := newSvcWorld(t, ledgertest.NewMemStore())
			w.clock.Set(billingtest.Day(2026, 9, 30))
			w.channel(1)
			w.do(svcSubscribe(billing.NewSubscription{ID: "S1x", Account: "K1", PlanID: "basic", Start: billingtest.Day(2026, 10, 1)}))
			w.run(billingtest.Day(2026, 10, 1))
			w.do(func(st *billing.State, at time.Time) ([]ledger.Event, error) {
				return st.Suspend("S1x", at, at, "operator")
			})
			inv := w.svc.Invoices(billing.InvoiceFilter{Buyer: "K1"})[0]
			policy := billing.DunningPolicy{Steps: billing.DefaultDunningSteps()}
			at := inv.DueAt.AddDate(0, 0, 21)
			w.clock.Set(at)
			rep, err := w.svc.RunDunning(ctx, at, policy)
			if err != nil || rep.Suspensions != 1 || strings.Join(rep.Records[len(rep.Records)-1].Subscriptions, ",") != "S1" {
				t.Fatalf("suspension run: %+v, %v; want S1 suspended (S1x already was)", rep.Records, err)
			}
			if tc.operator {
				at = at.Add(time.Hour)
				w.clock.Set(at)
				w.do(func(st *billing.State, a time.Time) ([]ledger.Event, error) { return st.Resume("S1", a, a, "operator") },
					func(st *billing.State, a time.Time) ([]ledger.Event, error) {
						return st.Suspend("S1", a.Add(time.Minute), a, "operator")
					})
			}
			at = at.AddDate(0, 0, 1)
			w.clock.Set(at)
			w.payFirstUnpaid("K1", at)
			rep, err = w.svc.RunDunning(ctx, at, policy)
			if err != nil || rep.Closed != 1 || rep.Resumptions != 1 {
				t.Fatalf("after payment: %+v, %v; want closed and resumed", rep, err)
			}
			for sub, want := range tc.want {
				if got := w.suspendedOn(sub, at); got != want {
					t.Errorf("%s suspended: %v, want %v", sub, got, want)
				}
			}
		})
	}
}
