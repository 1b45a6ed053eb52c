package main

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/mediation"
)

// dirClock is a settable clock for the directory's billing fixture.
type dirClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *dirClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *dirClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// dirWorld is a billing Service on an in-memory ledger with the fixture catalog: V → D → R and
// R2, customer C (billing day 1, pricing group "acme") subscribed to basic from 1 Oct 2026.
func dirWorld(t testing.TB) (*billing.Service, *dirClock) {
	t.Helper()
	clock := &dirClock{t: billingtest.Day(2026, 9, 20)}
	taxes, err := billing.LoadTaxRules("../../billing/testdata/taxes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := billing.New(billing.Config{Store: ledgertest.NewMemStore(), Catalog: billingtest.Catalog(t), Taxes: taxes, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	var cmds []billing.Command
	for _, a := range []billing.Account{
		{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"},
		{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist", Currency: "EUR", TaxJurisdiction: "DE"},
		{ID: "R", Kind: billing.KindReseller, Parent: "D", Name: "Reseller", Currency: "EUR", TaxJurisdiction: "FR"},
		{ID: "R2", Kind: billing.KindReseller, Parent: "D", Name: "Reseller 2", Currency: "EUR", TaxJurisdiction: "FR"},
		{ID: "C", Kind: billing.KindCustomer, Parent: "R", Name: "Customer", Currency: "EUR", TaxJurisdiction: "FR",
			BillingDay: 1, PricingGroup: "acme"},
	} {
		cmds = append(cmds, func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.CreateAccount(a, at, "test") })
	}
	cmds = append(cmds, func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.CreateSubscription(billing.NewSubscription{ID: "S1", Account: "C", PlanID: "basic", Start: billingtest.Day(2026, 10, 1)}, at, "test")
	})
	if err := svc.Do(context.Background(), cmds...); err != nil {
		t.Fatal(err)
	}
	return svc, clock
}

func TestBillingDirectory(t *testing.T) {
	day := billingtest.Day
	svc, clock := dirWorld(t)
	dir := newBillingDirectory(svc)
	ctx := context.Background()

	// Close October: the cycle bills the 1 Nov boundary.
	clock.Set(day(2026, 11, 2))
	if _, err := svc.RunCycle(ctx, day(2026, 11, 2)); err != nil {
		t.Fatal(err)
	}
	// Change to pro on 15 Nov, mid-period.
	clock.Set(day(2026, 11, 15))
	if err := svc.Do(ctx, func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro"}, at, "test")
	}); err != nil {
		t.Fatal(err)
	}
	chain := []string{"vendor:V", "distributor:D", "reseller:R"}
	tests := []struct {
		name           string
		subject, meter string
		at             time.Time
		ok             bool
		plan           string
		from, to       time.Time
		closed         bool
	}{
		{"closed period: October was invoiced", "C", "calls", day(2026, 10, 20), true, "basic", day(2026, 10, 1), day(2026, 11, 1), true},
		{"open period before the plan change", "C", "calls", day(2026, 11, 10), true, "basic", day(2026, 11, 1), day(2026, 12, 1), false},
		{"open period after the plan change", "C", "calls", day(2026, 11, 20), true, "pro", day(2026, 11, 1), day(2026, 12, 1), false},
		{"before the subscription starts", "C", "calls", day(2026, 9, 30), false, "", time.Time{}, time.Time{}, false},
		{"unknown subject", "nobody", "calls", day(2026, 11, 10), false, "", time.Time{}, time.Time{}, false},
		{"meter not priced", "C", "storage", day(2026, 11, 10), false, "", time.Time{}, time.Time{}, false},
		{"a reseller has no subscription", "R", "calls", day(2026, 11, 10), false, "", time.Time{}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := dir.Lookup(tt.subject, tt.meter, tt.at)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, e)
			}
			if !ok {
				if e.Account != "" || e.Channel != nil {
					t.Errorf("a miss returned data: %+v", e)
				}
				return
			}
			want := mediation.Enrichment{Account: "C", Subscription: "S1", PlanID: tt.plan, PlanVersion: e.PlanVersion,
				PricingGroup: "acme", Reseller: "R", Channel: chain, PeriodStart: tt.from, PeriodEnd: tt.to, Closed: tt.closed}
			if e.PlanVersion < 1 {
				t.Errorf("plan version %d", e.PlanVersion)
			}
			if !reflect.DeepEqual(e, want) {
				t.Errorf("enrichment\n got %+v\nwant %+v", e, want)
			}
		})
	}
}

// TestBillingDirectoryFollowsAccountChanges: a customer moved to another reseller is enriched
// with the new channel from then on, and the slice handed out before is left unchanged.
func TestBillingDirectoryFollowsAccountChanges(t *testing.T) {
	day := billingtest.Day
	svc, clock := dirWorld(t)
	dir := newBillingDirectory(svc)
	before, ok := dir.Lookup("C", "calls", day(2026, 10, 5))
	if !ok {
		t.Fatal("lookup missed")
	}
	kept := slices.Clone(before.Channel)
	clock.Set(day(2026, 10, 10))
	if err := svc.Do(context.Background(), func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		a, _ := st.Account("C")
		moved := *a
		moved.Parent = "R2"
		return st.UpdateAccount(moved, at, "test")
	}); err != nil {
		t.Fatal(err)
	}
	after, ok := dir.Lookup("C", "calls", day(2026, 10, 12))
	if !ok {
		t.Fatal("lookup after the move missed")
	}
	if want := []string{"vendor:V", "distributor:D", "reseller:R2"}; !slices.Equal(after.Channel, want) || after.Reseller != "R2" {
		t.Errorf("after the move: channel %v reseller %s, want %v R2", after.Channel, after.Reseller, want)
	}
	if !slices.Equal(before.Channel, kept) {
		t.Errorf("the channel handed out before the move changed: %v, was %v", before.Channel, kept)
	}
}

// TestBillingDirectoryConcurrent runs lookups against commands under the race detector.
func TestBillingDirectoryConcurrent(t *testing.T) {
	svc, _ := dirWorld(t)
	dir := newBillingDirectory(svc)
	at := billingtest.Day(2026, 10, 5)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 500 {
				if _, ok := dir.Lookup("C", "calls", at); !ok {
					t.Error("lookup missed")
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 20 {
			_ = svc.Do(context.Background(), func(st *billing.State, at time.Time) ([]ledger.Event, error) {
				a, _ := st.Account("R")
				u := *a
				u.Name = "Reseller " + string(rune('a'+i))
				return st.UpdateAccount(u, at, "test")
			})
		}
	})
	wg.Wait()
}

func BenchmarkBillingDirectoryLookup(b *testing.B) {
	svc, _ := dirWorld(b)
	dir := newBillingDirectory(svc)
	at := billingtest.Day(2026, 10, 5)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := dir.Lookup("C", "calls", at); !ok {
			b.Fatal("miss")
		}
	}
}

// TestBillingDirectoryPriceListAtPeriodEnd: the price list is the one billing invoices the
// period with (the account at the period's end), so a change after a period was invoiced does
// not touch that period's enrichment, and a change during a period applies to all of it.
func TestBillingDirectoryPriceListAtPeriodEnd(t *testing.T) {
	day := billingtest.Day
	svc, clock := dirWorld(t)
	dir := newBillingDirectory(svc)
	ctx := context.Background()
	clock.Set(day(2026, 11, 2))
	if _, err := svc.RunCycle(ctx, day(2026, 11, 2)); err != nil {
		t.Fatal(err)
	}
	clock.Set(day(2026, 11, 15))
	if err := svc.Do(ctx, func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		a, _ := st.Account("C")
		u := *a
		u.PriceList, u.PricingGroup = "vip", "vip"
		return st.UpdateAccount(u, at, "test")
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		at        time.Time
		priceList string
	}{
		{"October, invoiced before the change", day(2026, 10, 20), ""},
		{"November, before the change but in the running period", day(2026, 11, 10), "vip"},
		{"November, after the change", day(2026, 11, 20), "vip"},
	}
	for _, tt := range tests {
		e, ok := dir.Lookup("C", "calls", tt.at)
		if !ok {
			t.Fatalf("%s: lookup missed", tt.name)
		}
		if e.PriceList != tt.priceList || e.PricingGroup != "vip" {
			t.Errorf("%s: price list %q group %q, want %q and the current group vip", tt.name, e.PriceList, e.PricingGroup, tt.priceList)
		}
	}
}
