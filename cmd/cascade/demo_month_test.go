package main

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// demoMonthFixture runs the demo's whole month on an in-memory ledger: 6 customers, so every
// role of the story (never pays, pays half, pays after suspension, overpays, reported twice)
// is taken.
func demoMonthFixture(t *testing.T) (*ledgertest.MemStore, *demoResult) {
	t.Helper()
	e := &env{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	cfg, _, err := parseDemoFlags(e, []string{"--catalog", exampleCatalog, "--taxes", exampleTaxes, "--customers", "6", "--events", "12000"})
	if err != nil {
		t.Fatal(err)
	}
	in, err := loadDemoInputs(cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := ledgertest.NewMemStore()
	res, err := demoRun(context.Background(), e, cfg, in, store, "memory")
	if err != nil {
		t.Fatal(err)
	}
	return store, res
}

// centOff reports one cent more on every balance of the accounts ending in suffix: a journal
// that lost or invented money on one role.
type centOff struct {
	*ledgertest.MemStore
	suffix string
}

func (s centOff) Balances(ctx context.Context, q ledger.BalanceQuery) ([]ledger.Balance, error) {
	rows, err := s.MemStore.Balances(ctx, q)
	for i := range rows {
		if strings.HasSuffix(rows[i].Account, s.suffix) {
			rows[i].Amount = rows[i].Amount.Add(decimal.New(1, -2))
		}
	}
	return rows, err
}

// lostNotification hides the first queued reminder from the outbox: a step recorded whose
// notification was never queued.
type lostNotification struct{ *ledgertest.MemStore }

func (s lostNotification) Events(ctx context.Context, q ledger.EventQuery) ([]ledger.Event, error) {
	evs, err := s.MemStore.Events(ctx, q)
	if q.AggregatePrefix != billing.OutboxAggregate {
		return evs, err
	}
	for i, ev := range evs {
		if ev.Type == billing.EventQueued && strings.Contains(string(ev.Data), `"kind":"reminder"`) {
			return slices.Delete(slices.Clone(evs), i, i+1), err
		}
	}
	return evs, err
}

// TestMonthChecksCatchBrokenNumbers runs the month once, then breaks one number at a time —
// in the ledger's answers or in what the run reports — and expects exactly the check that
// guards it to fail.
func TestMonthChecksCatchBrokenNumbers(t *testing.T) {
	store, res := demoMonthFixture(t)
	for _, c := range res.checks {
		if !c.ok {
			t.Fatalf("the unbroken month fails %q: %s", c.name, c.detail)
		}
	}
	b, m := res.billed, res.month
	if m.roles.never == "" || m.roles.partial == "" || m.roles.late == "" || m.roles.over == "" || m.roles.replay == "" {
		t.Fatalf("6 customers leave a role empty: %+v", m.roles)
	}
	tests := []struct {
		name  string
		store func() ledger.Store
		month func(m demoMonth) demoMonth
		bill  func(b demoBilled) demoBilled
		fails string
	}{
		{name: "a payment sent but not recorded", fails: "payments: Σ received",
			month: func(m demoMonth) demoMonth {
				m.sent = map[string]decimal.Decimal{"EUR": m.sent["EUR"].Add(decimal.New(1, -2))}
				return m
			}},
		{name: "the replayed payment recorded as another", fails: "payments: Σ received",
			month: func(m demoMonth) demoMonth { m.replayed = &billing.Payment{ID: "pay-other"}; return m }},
		{name: "cash clearing a cent off", fails: "journal after payments",
			store: func() ledger.Store { return centOff{store, ":" + billing.RoleCashClearing} }},
		{name: "a receivable a cent off", fails: "journal after payments",
			store: func() ledger.Store { return centOff{store, ":" + billing.RoleReceivable} }},
		{name: "a re-run took a step again", fails: "dunning: each step",
			month: func(m demoMonth) demoMonth { m.rerunAdds = 1; return m }},
		{name: "a reminder's notification never queued", fails: "dunning: each step",
			store: func() ledger.Store { return lostNotification{store} }},
		{name: "the customer who never paid was not suspended", fails: "never pays",
			month: func(m demoMonth) demoMonth { m.roles.never = m.roles.partial; return m }},
		{name: "a payer kept being reminded", fails: "a payment stops the reminders",
			month: func(m demoMonth) demoMonth { m.roles.partial = m.roles.never; return m }},
		{name: "a wholesale invoice a cent off its statement", fails: "wholesale invoices = ",
			bill: func(b demoBilled) demoBilled {
				b.statements = slices.Clone(b.statements)
				for i, st := range b.statements {
					if st.Partner.ID == "devhaus" {
						c := *st
						c.Totals = slices.Clone(st.Totals)
						c.Totals[0].Cost = c.Totals[0].Cost.Add(decimal.New(1, -2))
						b.statements[i] = &c
					}
				}
				return b
			}},
		{name: "a re-run of the close issued again", fails: "wholesale invoices = ",
			month: func(m demoMonth) demoMonth { m.reclose.Issued = []string{"again"}; return m }},
		{name: "a pool settled a cent off PoolCharge", fails: "pooled tiers",
			month: func(m demoMonth) demoMonth {
				m.close.Pools = slices.Clone(m.close.Pools)
				m.close.Pools[0].Amount = m.close.Pools[0].Amount.Add(decimal.New(1, -2))
				return m
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, bb, mm := ledger.Store(store), *b, *m
			if tt.store != nil {
				st = tt.store()
			}
			if tt.bill != nil {
				bb = tt.bill(bb)
			}
			if tt.month != nil {
				mm = tt.month(mm)
			}
			checks, err := monthChecks(context.Background(), st, &bb, &mm)
			if err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, c := range checks {
				if !c.ok {
					failed = append(failed, c.name)
				}
			}
			if len(failed) != 1 || !strings.Contains(failed[0], tt.fails) {
				t.Errorf("failed checks %q, want exactly the one containing %q", failed, tt.fails)
			}
		})
	}
}

// TestDemoMonthStory checks the story the summary tells, on the fixture's records.
func TestDemoMonthStory(t *testing.T) {
	_, res := demoMonthFixture(t)
	m := res.month
	steps := map[string][]string{}
	for _, r := range m.dunning {
		steps[r.Buyer] = append(steps[r.Buyer], r.Type+":"+r.Step)
	}
	if got := dedupe(steps[m.roles.never]); !slices.Equal(got, []string{"reminder_sent:reminder-3", "reminder_sent:reminder+1",
		"reminder_sent:reminder+7", "reminder_sent:reminder+14", "suspended:suspend+21"}) {
		t.Errorf("never-payer %s: %v", m.roles.never, got)
	}
	if got := steps[m.roles.late]; !slices.Contains(got, "resumed:") || !slices.Contains(got, "suspended:suspend+21") {
		t.Errorf("late payer %s: %v", m.roles.late, got)
	}
	if got := steps[m.roles.over]; len(got) != 0 {
		t.Errorf("the over-payer %s was dunned: %v", m.roles.over, got)
	}
	credit := res.billed.svc.Balance(m.roles.over).Credit
	if want := decimal.New(demoOverpayMinor, -2); !credit.Equal(want) {
		t.Errorf("credit of %s = %s, want %s", m.roles.over, credit, want)
	}
	if n := len(res.billed.svc.Payments(m.roles.replay)); n != 1 {
		t.Errorf("%s has %d payments after its payment was reported twice, want 1", m.roles.replay, n)
	}
	if len(m.close.Issued) != 2 || len(m.close.Pools) != 1 {
		t.Errorf("close issued %v with pools %v, want 2 wholesale invoices (eurodist, devhaus) and devhaus's pool", m.close.Issued, m.close.Pools)
	}
}
