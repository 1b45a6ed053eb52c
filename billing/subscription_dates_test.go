package billing_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/shopspring/decimal"
)

const datesDay = 24 * time.Hour

// datesService opens a Service on store at the clock's time, as a restarted process would.
func datesService(t *testing.T, store billing.Store, clock *svcClock, maxBackdate time.Duration) *billing.Service {
	t.Helper()
	taxes, err := billing.LoadTaxRules("testdata/taxes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := billing.New(billing.Config{Store: store, Catalog: billingtest.Catalog(t), Taxes: taxes, Now: clock.Now,
		MaxBackdate: maxBackdate})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc
}

// datesEventCount is how many events the ledger holds.
func datesEventCount(t *testing.T, store billing.Store) int {
	t.Helper()
	evs, err := store.Events(context.Background(), ledger.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// datesAccounts creates vendor V and its customer K (EUR, the given billing day).
func datesAccounts(billingDay int) []billing.Command {
	return []billing.Command{
		func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.CreateAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "V", Currency: "EUR", TaxJurisdiction: "DE"}, at, "test")
		},
		func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.CreateAccount(billing.Account{ID: "K", Kind: billing.KindCustomer, Parent: "V", Name: "K", Currency: "EUR",
				TaxJurisdiction: "FR", BillingDay: billingDay}, at, "test")
		},
	}
}

// datesMonths counts month starts in (from, to]: the boundaries of a billing-day-1 monthly
// subscription starting at the first of from's month.
func datesMonths(from, to time.Time) int {
	return (to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month())
}

func TestCreateSubscriptionStartBounds(t *testing.T) {
	now := billingtest.Day(2026, 11, 25)
	epoch := billingtest.Day(1970, 1, 1)
	cases := []struct {
		name        string
		maxBackdate time.Duration // 0: the default
		plan        string        // "": basic (monthly)
		start       time.Time
		want        []string // empty: accepted; else every one is in the ErrInvalid message
	}{
		{name: "now", start: now},
		{name: "exactly 366 days back", start: now.Add(-366 * datesDay)},
		{name: "367 days back", start: now.Add(-367 * datesDay),
			want: []string{"create subscription S: start: ", "is 367 days before now", "at most 366 days of backdating (billing.max_backdate)", "past periods at once"}},
		{name: "1970", start: epoch,
			want: []string{"start: 1970-01-01 is " + datesThousands(int(now.Sub(epoch)/datesDay)) + " days before now",
				"it would bill " + strconv.Itoa(datesMonths(epoch, now)) + " past periods at once"}},
		{name: "daily plan, 400 days back", plan: "daily", start: now.Add(-400 * datesDay),
			want: []string{"is 400 days before now", "it would bill 400 past periods at once"}},
		{name: "configured 30 days: 30 back", maxBackdate: 30 * datesDay, start: now.Add(-30 * datesDay)},
		{name: "configured 30 days: 31 back", maxBackdate: 30 * datesDay, start: now.Add(-31 * datesDay), want: []string{"at most 30 days"}},
		{name: "configured 36 hours: 2 days back", maxBackdate: 36 * time.Hour, start: now.Add(-2 * datesDay), want: []string{"at most 36h0m0s of backdating"}},
		{name: "exactly 10 years ahead", start: now.AddDate(10, 0, 0)},
		{name: "10 years and a day ahead", start: now.AddDate(10, 0, 1), want: []string{"start: ", "more than 10 years after now"}},
		{name: "configured 100 years: before 1970", maxBackdate: 100 * 365 * datesDay, start: billingtest.Day(1960, 1, 1),
			want: []string{"start: 1960-01-01 is outside the dates the ledger stores"}},
		{name: "year 9999", start: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), want: []string{"start: 9999-12-31"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := billingtest.NewLog(t, billingtest.Catalog(t))
			l.Channel(now.Add(-400 * datesDay))
			l.UseMaxBackdate(c.maxBackdate)
			plan := c.plan
			if plan == "" {
				plan = "basic"
			}
			evs, err := l.CreateSubscription(billing.NewSubscription{ID: "S", Account: "K", PlanID: plan, Start: c.start}, now, "test")
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(evs) != 1 || !evs[0].At.Equal(c.start) {
					t.Fatalf("events %+v, want one dated %s", evs, c.start)
				}
				return
			}
			if !errors.Is(err, billing.ErrInvalid) || evs != nil {
				t.Fatalf("got %d events, err %v; want ErrInvalid", len(evs), err)
			}
			t.Log(err) // the message finance reads
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// datesThousands prints n as the error messages do (20,782).
func datesThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestRefusedBackdateWritesNothing goes through the Service: the configured bound reaches the
// state, and a refused start leaves the ledger and the state as they were.
func TestRefusedBackdateWritesNothing(t *testing.T) {
	store := ledgertest.NewMemStore()
	clock := &svcClock{t: billingtest.Day(2026, 11, 25)}
	svc := datesService(t, store, clock, 10*datesDay)
	ctx := context.Background()
	err := svc.Do(ctx, datesAccounts(0)...)
	if err != nil {
		t.Fatal(err)
	}
	before := datesEventCount(t, store)
	for _, start := range []time.Time{billingtest.Day(1970, 1, 1), clock.Now().Add(-11 * datesDay)} {
		err := svc.Do(ctx, func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.CreateSubscription(billing.NewSubscription{ID: "S", Account: "K", PlanID: "basic", Start: start}, at, "test")
		})
		if !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), "at most 10 days") {
			t.Errorf("start %s: %v, want ErrInvalid naming the configured 10 days", start, err)
		}
	}
	if got := datesEventCount(t, store); got != before {
		t.Errorf("the ledger holds %d events after the refusals, had %d", got, before)
	}
	_ = svc.View(func(st *billing.State) error {
		if _, ok := st.Subscription("S"); ok {
			t.Error("a refused subscription is in the state")
		}
		return nil
	})
}

func TestConfigRefusesNegativeMaxBackdate(t *testing.T) {
	taxes, err := billing.LoadTaxRules("testdata/taxes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = billing.New(billing.Config{Store: ledgertest.NewMemStore(), Catalog: billingtest.Catalog(t), Taxes: taxes, MaxBackdate: -datesDay})
	if !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), "max_backdate") {
		t.Errorf("New with a negative max backdate: %v, want ErrInvalid naming max_backdate", err)
	}
}

// TestHistoryIsNotHeldToMaxBackdate: a subscription recorded long ago loads (however old), and
// only dates given to new commands are bounded.
func TestHistoryIsNotHeldToMaxBackdate(t *testing.T) {
	store := ledgertest.NewMemStore()
	clock := &svcClock{t: billingtest.Day(2020, 1, 1)}
	svc := datesService(t, store, clock, 0)
	ctx := context.Background()
	err := svc.Do(ctx, append(datesAccounts(1), func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.CreateSubscription(billing.NewSubscription{ID: "S", Account: "K", PlanID: "basic", Start: billingtest.Day(2019, 3, 1)}, at, "test")
	})...)
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(billingtest.Day(2026, 11, 25))
	later := datesService(t, store, clock, datesDay) // a tight bound must not refuse what the ledger holds
	var start time.Time
	_ = later.View(func(st *billing.State) error {
		if sub, ok := st.Subscription("S"); ok {
			start = sub.Start
		}
		return nil
	})
	if !start.Equal(billingtest.Day(2019, 3, 1)) {
		t.Fatalf("after reload the subscription starts %v, want 2019-03-01", start)
	}
	seats := func(eff time.Time) billing.Command {
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.ChangeSeats(billing.SeatChange{Subscription: "S", Seats: decimal.NewFromInt(3), Effective: eff}, at, "test")
		}
	}
	before := datesEventCount(t, store)
	if err := later.Do(ctx, seats(billingtest.Day(2021, 1, 1))); !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), "effective: 2021-01-01") {
		t.Errorf("a change dated 2021 on a never-billed subscription: %v, want ErrInvalid naming effective", err)
	}
	if got := datesEventCount(t, store); got != before {
		t.Errorf("the refused change wrote %d events", got-before)
	}
	if err := later.Do(ctx, seats(time.Time{})); err != nil {
		t.Errorf("a change now on the old subscription: %v", err)
	}
}

// TestChangeEffectiveBounds: every change with an explicit effective date is held to the same
// bounds as a start. The subscription started in 2024 (a command dated then) and was never
// billed, so no other rule (before the start, after the last billed boundary) refuses these.
func TestChangeEffectiveBounds(t *testing.T) {
	now := billingtest.Day(2026, 11, 25)
	cmds := map[string]func(st *billing.State, eff time.Time) ([]ledger.Event, error){
		"change seats": func(st *billing.State, eff time.Time) ([]ledger.Event, error) {
			return st.ChangeSeats(billing.SeatChange{Subscription: "S", Seats: decimal.NewFromInt(4), Effective: eff}, now, "test")
		},
		"change plan": func(st *billing.State, eff time.Time) ([]ledger.Event, error) {
			return st.ChangePlan(billing.PlanChange{Subscription: "S", PlanID: "quarterly", Timing: billing.TimingPeriodEnd, Effective: eff}, now, "test")
		},
		"cancel": func(st *billing.State, eff time.Time) ([]ledger.Event, error) {
			return st.Cancel(billing.Cancellation{Subscription: "S", Effective: eff}, now, "test")
		},
		"suspend": func(st *billing.State, eff time.Time) ([]ledger.Event, error) {
			return st.Suspend("S", eff, now, "test")
		},
	}
	dates := []struct {
		name string
		eff  time.Time
		want string // "" accepted
	}{
		{name: "now", eff: now},
		{name: "exactly 366 days back", eff: now.Add(-366 * datesDay)},
		{name: "a day more", eff: now.Add(-367 * datesDay), want: "effective: 2025-11-23 is 367 days before now"},
		{name: "ten years ahead", eff: now.AddDate(10, 0, 0)},
		{name: "and a day", eff: now.AddDate(10, 0, 1), want: "effective: 2036-11-26 is more than 10 years after now"},
		{name: "year 9999", eff: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), want: "effective: 9999-12-31T23:59:59Z"},
	}
	for name, cmd := range cmds {
		for _, d := range dates {
			t.Run(name+"/"+d.name, func(t *testing.T) {
				l := billingtest.NewLog(t, billingtest.Catalog(t))
				start := billingtest.Day(2024, 1, 1)
				l.Channel(start)
				l.Must(l.CreateSubscription(billing.NewSubscription{ID: "S", Account: "C", PlanID: "basic", Start: start}, start, "test"))
				evs, err := cmd(l.State, d.eff)
				if d.want == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					if len(evs) != 1 {
						t.Fatalf("%d events, want 1", len(evs))
					}
					return
				}
				if !errors.Is(err, billing.ErrInvalid) || evs != nil || !strings.Contains(err.Error(), d.want) {
					t.Fatalf("%d events, err %v; want ErrInvalid saying %q", len(evs), err, d.want)
				}
			})
		}
	}
}
