package billing_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/shopspring/decimal"
)

// dunPolicy is the timeline's policy: the default schedule, and K2 on agreed terms of its own.
func dunPolicy() billing.DunningPolicy {
	return billing.DunningPolicy{Steps: billing.DefaultDunningSteps(), Actor: "scheduler", Accounts: map[string][]billing.DunningStep{
		"K2": {{Name: "reminder+5", Days: 5, Action: billing.DunningRemind}, {Name: "suspend+10", Days: 10, Action: billing.DunningSuspend}},
	}}
}

func dunRecordLine(rec billing.DunningRecord) string {
	s := fmt.Sprintf("%s %-3s %s #%d %-13s", rec.At.Format("2006-01-02"), rec.Buyer, rec.Number, rec.Seq, rec.Type)
	if rec.Step != "" {
		s += fmt.Sprintf(" %s (scheduled %s)", rec.Step, rec.Scheduled.Format("2006-01-02"))
	}
	if len(rec.Subscriptions) > 0 {
		s += " subscriptions=" + strings.Join(rec.Subscriptions, ",")
	}
	if rec.Reason != "" {
		s += " reason=" + rec.Reason
	}
	return s
}

func (w *svcWorld) payFirstUnpaid(buyer string, at time.Time) string {
	w.t.Helper()
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Buyer: buyer, Kind: billing.DocInvoice, Status: billing.StatusIssued}) {
		if _, err := w.svc.MarkPaid(context.Background(), inv.ID, at, "test"); err != nil {
			w.t.Fatal(err)
		}
		return inv.Number
	}
	w.t.Fatalf("%s has no unpaid invoice", buyer)
	return ""
}

func (w *svcWorld) suspendedOn(sub string, at time.Time) bool {
	w.t.Helper()
	var on bool
	if err := w.svc.View(func(st *billing.State) error {
		s, ok := st.Subscription(sub)
		if !ok {
			return fmt.Errorf("no subscription %s", sub)
		}
		on = s.Suspended(at)
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return on
}

// TestDunningTimelineGolden runs the invoice cycle and dunning every morning from October to
// mid-January on an injected clock. K1 pays its first invoice after being suspended (service
// comes back, except the subscription an operator suspended), then its second a few days
// overdue; K2 never pays and is dunned on its own schedule. Every day dunning runs twice and
// every week the Service restarts: the golden timeline must show each step exactly once.
func TestDunningTimelineGolden(t *testing.T) {
	compareGolden(t, "dunning_timeline.txt", dunningTimeline(t, ledgertest.NewMemStore()))
}

// TestDunningTimelineOnClickHouse runs the same timeline on a private ClickHouse server (the
// production ledger, with restarts rebuilding from it) and expects the same golden file.
func TestDunningTimelineOnClickHouse(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" { // under CI a real component never skips
		t.Skip("starts a ClickHouse server")
	}
	srv := clickhousetest.Start(t)
	store, err := clickhouse.New(clickhouse.Config{Addr: srv.Addr, Database: "dunning_test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if buildUpdating() {
		t.Skip("the golden file is written by TestDunningTimelineGolden")
	}
	compareGolden(t, "dunning_timeline.txt", dunningTimeline(t, store))
}

// dunningTimeline runs the scenario on store and returns the timeline text.
func dunningTimeline(t *testing.T, store interface {
	billing.Store
	ledger.Reader
}) string {
	ctx := context.Background()
	w := newSvcWorld(t, store)
	w.clock.Set(billingtest.Day(2026, 9, 30))
	w.channel(2)
	w.do(svcSubscribe(billing.NewSubscription{ID: "S1x", Account: "K1", PlanID: "basic", Start: billingtest.Day(2026, 10, 1)}))
	policy := dunPolicy()

	var timeline []string
	first := billingtest.Day(2026, 10, 1).Add(6 * time.Hour)
	for day := first; day.Before(billingtest.Day(2027, 1, 11)); day = day.AddDate(0, 0, 1) {
		w.run(day)
		switch day.Format("01-02") {
		case "10-15":
			w.do(func(st *billing.State, at time.Time) ([]ledger.Event, error) {
				return st.Suspend("S1x", day, at, "operator")
			})
			timeline = append(timeline, day.Format("2006-01-02")+" operator suspends S1x")
		case "11-25", "12-05":
			timeline = append(timeline, day.Format("2006-01-02")+" K1 pays "+w.payFirstUnpaid("K1", day))
		}
		if int(day.Sub(first).Hours()/24)%7 == 6 {
			w.svc = w.open() // a restart: dunning continues from the ledger alone
		}
		rep, err := w.svc.RunDunning(ctx, day, policy)
		if err != nil {
			t.Fatalf("%s: %v", day, err)
		}
		for _, rec := range rep.Records {
			timeline = append(timeline, dunRecordLine(rec))
		}
		again, err := w.svc.RunDunning(ctx, day, policy)
		if err != nil || len(again.Records) != 0 {
			t.Fatalf("%s: a re-run recorded %d steps (%v), want none", day, len(again.Records), err)
		}
	}

	// The ledger holds exactly what the runs reported, each (invoice, step) once.
	hist, err := billing.DunningHistory(ctx, store, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, rec := range hist {
		key := rec.Invoice + "/" + rec.Type + "/" + rec.Step
		if seen[key] {
			t.Errorf("step %s recorded twice", key)
		}
		seen[key] = true
	}
	if n := countRecordLines(timeline); n != len(hist) {
		t.Errorf("runs reported %d records, the ledger holds %d", n, len(hist))
	}
	end := billingtest.Day(2027, 1, 10)
	for sub, want := range map[string]bool{"S1": false, "S1x": true, "S2": true} {
		if got := w.suspendedOn(sub, end); got != want {
			t.Errorf("%s suspended at the end: %v, want %v", sub, got, want)
		}
	}

	// Notifications: one per reminder and suspension, rendered; audit entries per step.
	outbox, err := billing.LoadOutbox(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	timeline = append(timeline, "", "outbox:")
	for _, e := range outbox {
		timeline = append(timeline, fmt.Sprintf("%s %-3s %-10s %-12s %s", e.QueuedAt.Format("2006-01-02"), e.Account, e.Kind, e.Step, e.Subject))
	}
	for _, e := range outbox { // two rendered notices in full
		if e.Account == "K1" && (e.Step == "reminder+14" || e.Step == "suspend+21") {
			timeline = append(timeline, "", "--- "+e.Email+" "+e.Subject, strings.TrimRight(e.Body, "\n"), "--- data: "+fmt.Sprint(e.Data))
		}
	}
	audit, err := store.Audit(ctx, ledger.AuditQuery{Period: ledger.Period{From: first, To: end.AddDate(0, 0, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	audit = withoutDocumentAudit(audit) // the invoices' own issue and split rows (audit.go)
	timeline = append(timeline, "", "audit:")
	for _, a := range audit {
		timeline = append(timeline, fmt.Sprintf("%s %-9s %-24s %s", a.At.Format("2006-01-02"), a.Actor, a.Action, a.Detail))
	}
	if want := len(hist) + 3; len(audit) != want { // + one entry per subscription suspended or resumed
		t.Errorf("%d audit entries, want %d (one per step and per subscription suspended or resumed)", len(audit), want)
	}
	return strings.Join(timeline, "\n") + "\n"
}

func countRecordLines(lines []string) int {
	n := 0
	for _, l := range lines {
		if !strings.Contains(l, " operator ") && !strings.Contains(l, " pays ") {
			n++
		}
	}
	return n
}

// compareGolden compares got with testdata/golden/<name>, rewriting it under -update.
func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if buildUpdating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs: %d lines, want %d", path, len(gl), len(wl))
	}
}

// TestDunningCatchUp: a first run long after the due date sends only the latest reminder and
// records the earlier ones as skipped; suspensions always happen; a paid invoice is not dunned.
func TestDunningCatchUp(t *testing.T) {
	for _, tc := range []struct {
		name    string
		runDays int // first dunning run, days after the due date
		pay     bool
		want    []string // type/step of the records
	}{
		{"before the first step", -5, false, nil},
		{"on the pre-due reminder", -3, false, []string{"reminder_sent/reminder-3"}},
		{"16 days late", 16, false, []string{"step_skipped/reminder-3", "step_skipped/reminder+1", "step_skipped/reminder+7", "reminder_sent/reminder+14"}},
		{"30 days late", 30, false, []string{"step_skipped/reminder-3", "step_skipped/reminder+1", "step_skipped/reminder+7", "step_skipped/reminder+14", "suspended/suspend+21"}},
		{"paid before any run", 30, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newSvcWorld(t, ledgertest.NewMemStore())
			w.clock.Set(billingtest.Day(2026, 9, 30))
			w.channel(1)
			w.run(billingtest.Day(2026, 10, 1))
			inv := w.svc.Invoices(billing.InvoiceFilter{Buyer: "K1"})[0]
			if tc.pay {
				w.payFirstUnpaid("K1", billingtest.Day(2026, 10, 2))
			}
			at := inv.DueAt.AddDate(0, 0, tc.runDays)
			w.clock.Set(at)
			rep, err := w.svc.RunDunning(context.Background(), at, billing.DunningPolicy{Steps: billing.DefaultDunningSteps()})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rep.Records {
				got = append(got, r.Type+"/"+r.Step)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("records %v, want %v", got, tc.want)
			}
			outbox, err := billing.LoadOutbox(context.Background(), w.store)
			if err != nil {
				t.Fatal(err)
			}
			if want := rep.Reminders + rep.Suspensions; len(outbox) != want {
				t.Errorf("%d notifications queued, want %d (skipped steps notify nobody)", len(outbox), want)
			}
		})
	}
}

func TestDunningPolicyValidate(t *testing.T) {
	r := func(name string, days int) billing.DunningStep {
		return billing.DunningStep{Name: name, Days: days, Action: billing.DunningRemind}
	}
	for _, tc := range []struct {
		name   string
		policy billing.DunningPolicy
		want   string // "" = valid
	}{
		{"default", billing.DunningPolicy{Steps: billing.DefaultDunningSteps()}, ""},
		{"empty", billing.DunningPolicy{}, ""},
		{"bad name", billing.DunningPolicy{Steps: []billing.DunningStep{r("a b", 1)}}, "steps[0].name"},
		{"repeated name", billing.DunningPolicy{Steps: []billing.DunningStep{r("a", 1), r("a", 2)}}, "steps[1].name"},
		{"not ascending", billing.DunningPolicy{Steps: []billing.DunningStep{r("a", 2), r("b", 2)}}, "steps[1].days"},
		{"bad action", billing.DunningPolicy{Steps: []billing.DunningStep{{Name: "x", Days: 1, Action: "call"}}}, "steps[0].action"},
		{"suspend before due", billing.DunningPolicy{Accounts: map[string][]billing.DunningStep{
			"K9": {{Name: "s", Days: 0, Action: billing.DunningSuspend}}}}, "accounts[K9][0].days"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.policy.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid policy refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errorsIsInvalid(err)):
				t.Fatalf("error %v, want one naming %s and wrapping ErrInvalid", err, tc.want)
			}
		})
	}
}

func errorsIsInvalid(err error) bool { return errors.Is(err, billing.ErrInvalid) }

// TestDunningAsksForWhatIsStillOpen: after a partial payment a reminder asks for the rest, and
// the payment of the rest ends the invoice's dunning.
func TestDunningAsksForWhatIsStillOpen(t *testing.T) {
	ctx := context.Background()
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.clock.Set(billingtest.Day(2026, 9, 30))
	w.channel(1)
	w.run(billingtest.Day(2026, 10, 1))
	inv := w.svc.Invoices(billing.InvoiceFilter{Buyer: "K1"})[0]
	part := inv.Total.Div(decimal.NewFromInt(3)).Round(2)
	pay := func(id string, amount decimal.Decimal, at time.Time) {
		t.Helper()
		w.clock.Set(at)
		if _, err := w.svc.RecordPayment(ctx, billing.PaymentInput{ID: id, Account: "K1", Amount: amount, Currency: "EUR",
			ReceivedAt: at, Method: "bank_transfer"}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	policy := billing.DunningPolicy{Steps: billing.DefaultDunningSteps()}
	pay("p1", part, inv.DueAt.AddDate(0, 0, -10))
	for _, tc := range []struct {
		days       int
		pay        decimal.Decimal
		wantType   string
		wantAmount decimal.Decimal
	}{
		{1, decimal.Zero, billing.EventReminderSent, inv.Total.Sub(part)},
		{7, inv.Total.Sub(part), billing.EventDunningClosed, decimal.Zero},
	} {
		at := inv.DueAt.AddDate(0, 0, tc.days)
		if tc.pay.IsPositive() {
			pay(fmt.Sprintf("p%d", tc.days), tc.pay, at.Add(-time.Hour))
		}
		w.clock.Set(at)
		rep, err := w.svc.RunDunning(ctx, at, policy)
		if err != nil {
			t.Fatal(err)
		}
		last := rep.Records[len(rep.Records)-1]
		if last.Type != tc.wantType {
			t.Fatalf("day %+d: last record %s, want %s", tc.days, last.Type, tc.wantType)
		}
		if tc.wantType != billing.EventReminderSent {
			continue
		}
		outbox, err := billing.LoadOutbox(ctx, w.store)
		if err != nil {
			t.Fatal(err)
		}
		e := outbox[len(outbox)-1]
		if e.Data["outstanding"] != tc.wantAmount.StringFixed(2) || !strings.Contains(e.Body, tc.wantAmount.StringFixed(2)+" EUR") {
			t.Errorf("reminder asks for %s (%q), want %s", e.Data["outstanding"], e.Body, tc.wantAmount.StringFixed(2))
		}
	}
}
