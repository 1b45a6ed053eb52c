package billing_test

// The reviewer's probes of the subscription side (what a cancel credits, which subscription
// takes usage after a restart, numbering patterns on accounts, minimum commitments cut by a
// cancel), kept as regression tests.

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

const rvsCatalog = `
vendors: [{id: v1, name: Vendor One}]
products: [{id: p1, vendor: v1, name: Product One}]
meters:
  - {id: calls, name: Calls, unit: call, aggregation: sum}
plans:
  - id: small
    product: p1
    name: Small
    currency: EUR
    billing_period: month
    charges:
      - {id: base, type: recurring, model: flat, amount: 31}
      - {id: seat, type: recurring, per_seat: true, model: per_unit, unit_price: 31}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
  - id: big
    product: p1
    name: Big
    currency: EUR
    billing_period: month
    charges:
      - {id: base, type: recurring, model: flat, amount: 310}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
  - id: committed
    product: p1
    name: Committed
    currency: EUR
    billing_period: month
    minimum_commitment: 100
    charges:
      - {id: seat, type: recurring, per_seat: true, model: per_unit, unit_price: 10}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
  - id: fee20
    product: p1
    name: Fee20
    currency: EUR
    billing_period: month
    charges:
      - {id: base, type: recurring, model: flat, amount: 20}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
`

// newRvsWorld is a service on an in-memory ledger with the channel V → D → R and customer K.
func newRvsWorld(t *testing.T) *svcWorld {
	t.Helper()
	cat, err := rating.Load("rvs", []byte(rvsCatalog))
	if err != nil {
		t.Fatal(err)
	}
	w := &svcWorld{t: t, store: ledgertest.NewMemStore(), clock: &svcClock{t: billingtest.Day(2026, 9, 20)}, cat: cat}
	w.svc = w.open()
	w.do(
		svcAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "R", Kind: billing.KindReseller, Parent: "D", Name: "Reseller", Currency: "EUR", TaxJurisdiction: "FR"}),
		svcAccount(billing.Account{ID: "K", Kind: billing.KindCustomer, Parent: "R", Name: "Cust", Currency: "EUR", TaxJurisdiction: "FR"}),
	)
	return w
}

// rvsLines sums the lines of one kind on K's documents, whatever the document kind (a final
// invoice that comes out negative may be issued as a credit note).
func rvsLines(w *svcWorld, kind billing.LineKind) (out []string, sum decimal.Decimal) {
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Buyer: "K"}) {
		if inv.Status == billing.StatusVoid {
			continue
		}
		for _, l := range inv.Lines {
			if l.Kind == kind {
				out = append(out, fmt.Sprintf("%s %s %s [%s..%s)", inv.Number, l.ChargeID+l.Ref, l.Amount,
					l.Window.From.Format("01-02"), l.Window.To.Format("01-02")))
				sum = sum.Add(l.Amount)
			}
		}
	}
	return out, sum
}

// rvsNet is the net (before tax) of every document issued to K.
func rvsNet(w *svcWorld) decimal.Decimal {
	total := decimal.Zero
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Buyer: "K"}) {
		if inv.Status != billing.StatusVoid {
			total = total.Add(inv.Subtotal)
		}
	}
	return total
}

func rvsD(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func rvsCmd(f func(st *billing.State, at time.Time) ([]ledger.Event, error)) billing.Command {
	return f
}

// TestCancelNowCreditsWhatWasPaid: a cancellation credits, for the days left of the period,
// exactly what the in-advance invoice (and any prorations) charged for them — not the terms in
// force, which an unprorated change moved without charging anything. Small costs 31 + 31 per
// seat a month; October has 31 days; the cancel on 21 Oct leaves 11 unused days.
func TestCancelNowCreditsWhatWasPaid(t *testing.T) {
	oct := func(day int) time.Time { return billingtest.Day(2026, 10, day) }
	plan := func(id string, prorate bool, day int) billing.Command {
		return rvsCmd(func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.ChangePlan(billing.PlanChange{Subscription: "S", PlanID: id, Effective: oct(day), Prorate: prorate}, at, "t")
		})
	}
	seats := func(n string, prorate bool, day int) billing.Command {
		return rvsCmd(func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.ChangeSeats(billing.SeatChange{Subscription: "S", Seats: rvsD(n), Effective: oct(day), Prorate: prorate}, at, "t")
		})
	}
	tests := []struct {
		name    string
		changes []billing.Command
		credit  string // every proration credit of October, the cancel's included
	}{
		// Paid 62 for October; the upgrade to Big (310) was never charged: 11/31 of 62.
		{"unprorated upgrade", []billing.Command{plan("big", false, 5)}, "-22"},
		// 1 → 10 seats without proration: seats 2..10 were never charged.
		{"unprorated seat increase", []billing.Command{seats("10", false, 5)}, "-22"},
		// Prorated upgrade: 27/31 of Small credited on 5 Oct, then 11/31 of Big on the cancel.
		{"prorated upgrade", []billing.Command{plan("big", true, 5)}, "-164"},
		// Unprorated upgrade, then a prorated seat change: the seat fee paid (Small, 1 seat) is
		// credited from 10 Oct (22 days) and Big charges no seats; the cancel credits Small's
		// flat fee, the only fee still paid for the last 11 days.
		{"unprorated upgrade then prorated seats", []billing.Command{plan("big", false, 5), seats("3", true, 10)}, "-33"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newRvsWorld(t)
			w.do(svcSubscribe(billing.NewSubscription{ID: "S", Account: "K", PlanID: "small", Start: oct(1)}))
			w.run(oct(2)) // October in advance: 31 + 31 = 62
			w.clock.Set(oct(5))
			w.do(tc.changes...)
			w.do(rvsCmd(func(st *billing.State, at time.Time) ([]ledger.Event, error) {
				return st.Cancel(billing.Cancellation{Subscription: "S", Effective: oct(21)}, at, "t")
			}))
			w.run(oct(22))
			recurring, paid := rvsLines(w, billing.LineRecurring)
			got, credit := rvsLines(w, billing.LineProrationCredit)
			if !credit.Equal(rvsD(tc.credit)) {
				t.Errorf("charged %s (%v); credited %s (%v), want %s", paid, recurring, credit, got, tc.credit)
			}
		})
	}
}

// TestUsageSubscriptionSurvivesReplay: the subscription that takes an account's usage is the
// earliest created, live and after a restart (a replay applies subscriptions in id order).
func TestUsageSubscriptionSurvivesReplay(t *testing.T) {
	tests := []struct {
		name  string
		first string        // created first
		then  string        // created `after` later
		after time.Duration // 0: in the same second
		want  string        // "" when the tie-break decides: only live == replay is asserted
	}{
		{"later id created first", "z", "a", time.Hour, "z"},
		{"same second", "b", "a", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newRvsWorld(t)
			w.do(svcSubscribe(billing.NewSubscription{ID: tc.first, Account: "K", PlanID: "fee20", Start: billingtest.Day(2026, 10, 1)}))
			w.clock.Add(tc.after)
			w.do(svcSubscribe(billing.NewSubscription{ID: tc.then, Account: "K", PlanID: "fee20", Start: billingtest.Day(2026, 10, 1)}))
			pick := func() string {
				var id string
				if err := w.svc.View(func(st *billing.State) error {
					if s, _, ok := st.UsageSubscription("K", "calls", billingtest.Day(2026, 10, 5)); ok {
						id = s.ID
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return id
			}
			live := pick()
			w.svc = w.open()
			replay := pick()
			if replay != live || replay == "" {
				t.Errorf("usage goes to %q live but to %q after a restart", live, replay)
			}
			if tc.want != "" && live != tc.want {
				t.Errorf("usage goes to %q, want the earliest created %q", live, tc.want)
			}
		})
	}
}

// TestAccountRefusesBadNumberPattern: a numbering pattern that cannot number documents (no
// {SEQ}, an unknown token) is refused when the account is created or updated, not when the
// cycle first draws a number from it.
func TestAccountRefusesBadNumberPattern(t *testing.T) {
	reseller := func(inv, cn string) billing.Account {
		return billing.Account{ID: "R3", Kind: billing.KindReseller, Parent: "D", Name: "R3", Currency: "EUR",
			TaxJurisdiction: "FR", InvoicePattern: inv, CreditNotePattern: cn}
	}
	tests := []struct {
		name    string
		inv, cn string
		update  bool // create R3 with default patterns first, then update it
		wantErr bool
	}{
		{"defaults", "", "", false, false},
		{"custom patterns", "R3-{YYYY}-{SEQ:5}", "R3C-{SEQ}", false, false},
		{"invoice without sequence", "R3-{YYYY}", "", false, true},
		{"credit note with unknown token", "", "CN-{DD}-{SEQ}", false, true},
		{"invoice without sequence on update", "R3-{YYYY}", "", true, true},
		{"credit note unclosed brace on update", "", "CN-{SEQ", true, true},
		{"valid update", "R3/{YY}{MM}/{SEQ:3}", "", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newRvsWorld(t)
			cmd := svcAccount(reseller(tc.inv, tc.cn))
			if tc.update {
				w.do(svcAccount(reseller("", "")))
				a := reseller(tc.inv, tc.cn)
				cmd = rvsCmd(func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.UpdateAccount(a, at, "t") })
			}
			err := w.svc.Do(context.Background(), cmd)
			if tc.wantErr != (err != nil) {
				t.Fatalf("patterns %q / %q: err %v, want error %v", tc.inv, tc.cn, err, tc.wantErr)
			}
			if tc.wantErr && !errors.Is(err, billing.ErrInvalid) {
				t.Errorf("err %v: want ErrInvalid", err)
			}
			var got billing.Account
			if err := w.svc.View(func(st *billing.State) error {
				if a, ok := st.Account("R3"); ok {
					got = *a
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if tc.wantErr && (got.InvoicePattern != "" || got.CreditNotePattern != "") {
				t.Errorf("refused patterns stored: %q / %q", got.InvoicePattern, got.CreditNotePattern)
			}
		})
	}
}

// TestCancelNowKeepsTheMinimumCommitment: a period cut short by an immediate cancellation owes
// its whole minimum commitment (docs/billing.md, "Billing periods and proration"): the unused
// seat fee is credited and the true-up tops November up to 100. Usage above the minimum owes no
// true-up.
func TestCancelNowKeepsTheMinimumCommitment(t *testing.T) {
	nov := func(day int) time.Time { return billingtest.Day(2026, 11, day) }
	tests := []struct {
		name    string
		cancel  time.Time
		calls   string
		net     string // November's net over every document
		trueUps int
	}{
		{"an hour before the period ends", nov(30).Add(23 * time.Hour), "0", "100", 1},
		{"mid-period", nov(16), "0", "100", 1},
		{"mid-period with some usage", nov(16), "30", "100", 1},
		// 10 in advance − 5 credited (15 of 30 days) + 200 calls: above the minimum.
		{"usage above the minimum", nov(16), "200", "205", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newRvsWorld(t)
			w.do(svcSubscribe(billing.NewSubscription{ID: "S", Account: "K", PlanID: "committed", Start: nov(1)}))
			w.run(nov(2)) // the seat fee of November in advance: 10
			if err := w.store.(ledger.Writer).WriteUsage(context.Background(), []ledger.Usage{{Source: "test", EventID: "u1",
				Subject: "K", Meter: "calls", Quantity: rvsD(tc.calls), EventTime: nov(10), IngestTime: nov(10), Account: "K",
				Subscription: "S", PlanVersion: "committed@1"}}); err != nil {
				t.Fatal(err)
			}
			w.clock.Set(nov(15))
			w.do(rvsCmd(func(st *billing.State, at time.Time) ([]ledger.Event, error) {
				return st.Cancel(billing.Cancellation{Subscription: "S", Effective: tc.cancel}, at, "t")
			}))
			w.run(billingtest.Day(2026, 12, 2))
			lines, _ := rvsLines(w, billing.LineCommitment)
			if net := rvsNet(w); !net.Equal(rvsD(tc.net)) || len(lines) != tc.trueUps {
				t.Errorf("November billed %s net with true-ups %v, want %s with %d true-up(s)", net, lines, tc.net, tc.trueUps)
			}
		})
	}
}
