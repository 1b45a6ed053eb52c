package billing_test

// The reviewer's probes of the invoice cycle (late usage, crashes, issuers at the billing date, pools,
// per-transaction fees), kept as regression tests.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

const cycCatalog = `
vendors: [{id: v1, name: Vendor One}]
products: [{id: p1, vendor: v1, name: Product One}]
meters:
  - {id: calls, name: Calls, unit: call, aggregation: sum}
plans:
  - id: weekly
    product: p1
    name: Weekly
    currency: EUR
    billing_period: {every: 7, unit: day}
    charges:
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
  - id: quarterly
    product: p1
    name: Quarterly
    currency: EUR
    billing_period: {every: 3, unit: month}
    charges:
      - {id: base, type: recurring, model: flat, amount: 90}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
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
  - id: fee3
    product: p1
    name: Fee3
    currency: EUR
    billing_period: month
    charges:
      - {id: base, type: recurring, model: flat, amount: 3}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
  - id: pay
    product: p1
    name: Payments
    currency: EUR
    billing_period: month
    charges:
      - {id: fee, type: usage, meter: calls, model: percentage, percent: 2, min_fee: 0.30}
price_lists:
  - id: partner
    name: Partner prices
    channel: reseller
    entries:
      - { plan: fee20, charge: calls, model: per_unit, unit_price: 0.5 }
coupons:
  - {code: FIVE3, amount: 5, duration_periods: 3}
  - {code: HALF3, percent: 50, duration_periods: 3}
`

type cycWorld struct {
	*svcWorld
}

func newCycWorld(t *testing.T) *cycWorld {
	t.Helper()
	w := &cycWorld{newCatalogWorld(t, "hr", cycCatalog)}
	w.do(
		svcAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "R", Kind: billing.KindReseller, Parent: "D", Name: "Reseller", Currency: "EUR", TaxJurisdiction: "FR"}),
		svcAccount(billing.Account{ID: "R2", Kind: billing.KindReseller, Parent: "D", Name: "Reseller 2", Currency: "EUR", TaxJurisdiction: "FR"}),
		svcAccount(billing.Account{ID: "K", Kind: billing.KindCustomer, Parent: "R", Name: "Cust", Currency: "EUR", TaxJurisdiction: "FR"}),
	)
	return w
}

func (w *cycWorld) sub(n billing.NewSubscription) { w.do(svcSubscribe(n)) }

func (w *cycWorld) use(id, sub, qty string, at, ingested time.Time) {
	w.t.Helper()
	err := w.store.(ledger.Writer).WriteUsage(context.Background(), []ledger.Usage{{Source: "test", EventID: id, Subject: "K",
		Meter: "calls", Quantity: decimal.RequireFromString(qty), EventTime: at, IngestTime: ingested, Account: "K",
		Subscription: sub, PlanVersion: "x"}})
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *cycWorld) lines(kind billing.LineKind) (out []string, sum decimal.Decimal) {
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Buyer: "K", Kind: billing.DocInvoice}) {
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

func cycD(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// 1. Late usage billed once per boundary of a catch-up run, not once.
func TestCycleLateUsageBilledOncePerCatchUpRun(t *testing.T) {
	w := newCycWorld(t)
	w.sub(billing.NewSubscription{ID: "S", Account: "K", PlanID: "weekly", Start: billingtest.Day(2026, 10, 1)})
	w.use("e1", "S", "10", billingtest.Day(2026, 10, 2), billingtest.Day(2026, 10, 2))
	w.run(billingtest.Day(2026, 10, 9)) // bills week [10-01, 10-08): 10
	// A late event for that week arrives; the scheduler is then down for two weeks.
	w.use("late", "S", "7", billingtest.Day(2026, 10, 3), billingtest.Day(2026, 10, 10))
	w.run(billingtest.Day(2026, 10, 23)) // catches up 10-15 and 10-22
	got, sum := w.lines(billing.LineUsageAdjustment)
	if !sum.Equal(cycD("7")) {
		t.Errorf("late usage of 7 calls billed as %s: %v", sum, got)
	}
}

// 2. Late usage of a period longer than the late window is never billed.
func TestCycleLateUsageOnQuarterlyPlanIsBilled(t *testing.T) {
	w := newCycWorld(t)
	w.sub(billing.NewSubscription{ID: "S", Account: "K", PlanID: "quarterly", Start: billingtest.Day(2026, 10, 1)})
	w.use("e1", "S", "10", billingtest.Day(2026, 10, 2), billingtest.Day(2026, 10, 2))
	w.run(billingtest.Day(2027, 1, 2))
	// Accepted by mediation (5 days late, inside its 35-day window).
	w.use("late", "S", "7", billingtest.Day(2026, 12, 31), billingtest.Day(2027, 1, 5))
	w.run(billingtest.Day(2027, 4, 2))
	got, sum := w.lines(billing.LineUsageAdjustment)
	if !sum.Equal(cycD("7")) {
		t.Errorf("late usage of 7 calls billed as %s: %v", sum, got)
	}
}

// 8. The issuer of an invoice cut at a boundary is the parent at that boundary.
func TestCycleIssuerAtBoundaryNotAtRunTime(t *testing.T) {
	w := newCycWorld(t)
	w.sub(billing.NewSubscription{ID: "S", Account: "K", PlanID: "fee20", Start: billingtest.Day(2026, 10, 1)})
	w.run(billingtest.Day(2026, 10, 2))
	// The customer moves to R2 on 1 Nov at noon; the 1 Nov 00:00 invoice runs after the grace.
	w.clock.Set(billingtest.Day(2026, 11, 1).Add(12 * time.Hour))
	w.do(svcUpdate(billing.Account{ID: "K", Kind: billing.KindCustomer, Parent: "R2", Name: "Cust", Currency: "EUR", TaxJurisdiction: "FR"}))
	w.run(billingtest.Day(2026, 11, 2))
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Buyer: "K"}) {
		if inv.Boundary.Equal(billingtest.Day(2026, 11, 1)) && inv.Issuer.ID != "R" {
			t.Errorf("invoice cut at 1 Nov 00:00 (October usage, sold by R) issued by %s", inv.Issuer.ID)
		}
	}
}

func svcUpdate(a billing.Account) billing.Command {
	return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.UpdateAccount(a, at, "test") }
}

// 9. Crash after the journal write, re-run later: ClickHouse journal posts the invoice twice.
type cycFailDocs struct {
	*clickhouse.Store
	armed bool
}

func (f *cycFailDocs) WriteDocuments(ctx context.Context, docs []ledger.Document) error {
	if f.armed {
		f.armed = false
		return ledger.ErrUnavailable
	}
	return f.Store.WriteDocuments(ctx, docs)
}

func TestCycleCrashRerunDoesNotDoublePostJournalOnClickHouse(t *testing.T) {
	srv := clickhousetest.Start(t)
	store, err := clickhouse.New(clickhouse.Config{Addr: srv.Addr, Database: "hr_test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	fs := &cycFailDocs{Store: store}
	w := newSvcWorld(t, fs)
	w.channel(1)
	fs.armed = true
	w.clock.Set(billingtest.Day(2026, 10, 2))
	if _, err := w.svc.RunCycle(context.Background(), billingtest.Day(2026, 10, 2)); err == nil {
		t.Fatal("want the injected failure")
	}
	// The process restarts an hour later and the scheduler re-runs the cycle.
	w.clock.Set(billingtest.Day(2026, 10, 2).Add(time.Hour))
	w.svc = w.open()
	if _, err := w.svc.RunCycle(context.Background(), billingtest.Day(2026, 10, 2)); err != nil {
		t.Fatal(err)
	}
	bal, err := store.Balances(context.Background(), ledger.BalanceQuery{AsOf: billingtest.Day(2027, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	total := decimal.Zero
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Buyer: "K1"}) {
		total = total.Add(inv.Total)
	}
	for _, b := range bal {
		if strings.HasSuffix(b.Account, ":receivable") && !b.Amount.Equal(total) {
			t.Errorf("receivable %s = %s, invoices total %s", b.Account, b.Amount, total)
		}
	}
}

// 10. Pooled charge: late usage of one member changes the other's share; the group must still
// be billed exactly the group amount.
const hrPoolCatalog = `
vendors: [{id: v1, name: Vendor One}]
products: [{id: p1, vendor: v1, name: Product One}]
meters:
  - {id: hours, name: Hours, unit: h, aggregation: sum}
plans:
  - id: pooled
    product: p1
    name: Pooled
    currency: EUR
    billing_period: month
    charges:
      - id: hours
        type: usage
        meter: hours
        pool: enterprise
        model: graduated
        tiers:
          - { up_to: 1000, unit_price: 0.10 }
          - { unit_price: 0.05 }
  - id: flat
    product: p1
    name: Flat
    currency: EUR
    billing_period: month
    charges:
      - {id: base, type: recurring, model: flat, amount: 10}
`

func TestCyclePooledLateUsageBillsTheGroupAmount(t *testing.T) {
	cat, err := rating.Load("hrpool", []byte(hrPoolCatalog))
	if err != nil {
		t.Fatal(err)
	}
	w := &svcWorld{t: t, store: ledgertest.NewMemStore(), clock: &svcClock{t: billingtest.Day(2026, 9, 20)}, cat: cat}
	w.svc = w.open()
	w.do(
		svcAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "R", Kind: billing.KindReseller, Parent: "D", Name: "Reseller", Currency: "EUR", TaxJurisdiction: "FR"}),
		svcAccount(billing.Account{ID: "A", Kind: billing.KindCustomer, Parent: "R", Name: "A", Currency: "EUR", TaxJurisdiction: "FR", PricingGroup: "G"}),
		svcAccount(billing.Account{ID: "B", Kind: billing.KindCustomer, Parent: "R", Name: "B", Currency: "EUR", TaxJurisdiction: "FR", PricingGroup: "G"}),
		svcSubscribe(billing.NewSubscription{ID: "SA", Account: "A", PlanID: "pooled", Start: billingtest.Day(2026, 10, 1)}),
		svcSubscribe(billing.NewSubscription{ID: "SB", Account: "B", PlanID: "pooled", Start: billingtest.Day(2026, 10, 1)}),
	)
	use := func(id, acc, sub, q string, at, ing time.Time) {
		if err := w.store.(ledger.Writer).WriteUsage(context.Background(), []ledger.Usage{{Source: "t", EventID: id, Subject: acc,
			Meter: "hours", Quantity: cycD(q), EventTime: at, IngestTime: ing, Account: acc, Subscription: sub, PlanVersion: "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	use("a1", "A", "SA", "600", billingtest.Day(2026, 10, 5), billingtest.Day(2026, 10, 5))
	use("b1", "B", "SB", "600", billingtest.Day(2026, 10, 5), billingtest.Day(2026, 10, 5))
	w.run(billingtest.Day(2026, 11, 2)) // group 1200 h → 100 + 10 = 110
	use("a2", "A", "SA", "400", billingtest.Day(2026, 10, 30), billingtest.Day(2026, 11, 3))
	w.run(billingtest.Day(2026, 12, 2)) // group 1600 h → 100 + 30 = 130
	sum := decimal.Zero
	var got []string
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{}) {
		for _, l := range inv.Lines {
			if l.Window.From.Equal(billingtest.Day(2026, 10, 1)) && (l.Kind == billing.LineUsage || l.Kind == billing.LineUsageAdjustment) {
				sum = sum.Add(l.Amount)
				got = append(got, fmt.Sprintf("%s %s %s", l.Subscription, l.Kind, l.Amount))
			}
		}
	}
	if !sum.Equal(cycD("130")) {
		t.Errorf("October group billed %s in total, want 130.00: %v", sum, got)
	}
}

// 12. One buyer with an unknown tax jurisdiction stops every other buyer's invoices. Accounts
// are refused an unknown jurisdiction when entered, so BAD becomes untaxable the real-world
// way: it was created in GB, then the service restarted with tax rules that dropped GB.
func TestCycleOneBadBuyerDoesNotBlockTheCycle(t *testing.T) {
	w := newCycWorld(t)
	w.do(svcAccount(billing.Account{ID: "BAD", Kind: billing.KindCustomer, Parent: "R", Name: "Bad", Currency: "EUR", TaxJurisdiction: "GB"}))
	if err := reopenWithTaxes(w.svcWorld, taxRulesWithout(t, "GB")); err != nil {
		t.Fatal(err)
	}
	w.sub(billing.NewSubscription{ID: "S", Account: "K", PlanID: "fee20", Start: billingtest.Day(2026, 10, 1)})
	w.sub(billing.NewSubscription{ID: "SBAD", Account: "BAD", PlanID: "fee20", Start: billingtest.Day(2026, 10, 1)})
	w.clock.Set(billingtest.Day(2026, 10, 2))
	rep, err := w.svc.RunCycle(context.Background(), billingtest.Day(2026, 10, 2))
	if n := len(w.svc.Invoices(billing.InvoiceFilter{Buyer: "K"})); n != 1 {
		t.Errorf("K got %d invoices (want 1) because of BAD: %v %+v", n, err, rep)
	}
	if len(rep.Failed) != 1 || rep.Failed[0].Buyer != "BAD" || !errors.Is(err, billing.ErrIncomplete) {
		t.Errorf("cycle: %v, failed %+v; want it incomplete with BAD's invoice failed", err, rep.Failed)
	}
}

// 13. Late usage on a usage line that had a fixed charge discount.
const hrDiscCatalog = `
vendors: [{id: v1, name: Vendor One}]
products: [{id: p1, vendor: v1, name: Product One}]
meters:
  - {id: calls, name: Calls, unit: call, aggregation: sum}
plans:
  - id: disc
    product: p1
    name: Disc
    currency: EUR
    billing_period: month
    discounts:
      - { id: five-off-calls, charge: calls, amount: 5 }
    charges:
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 1}
`

// 14. Crash between the journal and the commit, then a change that removes the boundary (cancel
// dated before it — allowed, since the boundary is not recorded as billed): the number, the
// journal posting and the document row of an invoice that is never issued stay behind.
func TestCycleCrashThenCancelLeavesNoPhantomInvoice(t *testing.T) {
	fs := &svcFailingStore{MemStore: ledgertest.NewMemStore()}
	w := newSvcWorld(t, fs)
	w.channel(1)
	w.run(billingtest.Day(2026, 10, 2))
	fs.armed = true
	w.clock.Set(billingtest.Day(2026, 11, 2))
	if _, err := w.svc.RunCycle(context.Background(), billingtest.Day(2026, 11, 2)); err == nil {
		t.Fatal("want the injected failure")
	}
	w.svc = w.open()
	cancel := func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.Cancel(billing.Cancellation{Subscription: "S1", Effective: billingtest.Day(2026, 10, 31)}, at, "t")
	}
	// The cancel would remove the boundary of an invoice that already holds a number: refused
	// until the cycle has issued it; afterwards it is backdated before an issued invoice.
	if err := w.svc.Do(context.Background(), cancel); !errors.Is(err, billing.ErrConflict) {
		t.Fatalf("cancel after an interrupted cycle: %v, want a conflict", err)
	}
	w.run(billingtest.Day(2026, 11, 3))
	if err := w.svc.Do(context.Background(), cancel); !errors.Is(err, billing.ErrBackdated) {
		t.Fatalf("cancel dated before the issued invoice: %v, want backdated", err)
	}
	bal, err := fs.Balances(context.Background(), ledger.BalanceQuery{AsOf: billingtest.Day(2027, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	total := decimal.Zero
	var nums []string
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Buyer: "K1"}) {
		total = total.Add(inv.Total)
		nums = append(nums, inv.Number)
	}
	docs, _ := fs.Documents(context.Background(), ledger.DocumentQuery{})
	for _, b := range bal {
		if strings.HasSuffix(b.Account, ":receivable") && !b.Amount.Equal(total) {
			t.Errorf("receivable %s = %s, issued invoices %v total %s; ledger documents: %d", b.Account, b.Amount, nums, total, len(docs))
		}
	}
}

// 15. A pooled member with a scheduled (period_end) plan change is dropped from its own pool.
func TestCyclePooledMemberWithScheduledChange(t *testing.T) {
	cat, err := rating.Load("hrpool", []byte(hrPoolCatalog))
	if err != nil {
		t.Fatal(err)
	}
	w := &svcWorld{t: t, store: ledgertest.NewMemStore(), clock: &svcClock{t: billingtest.Day(2026, 9, 20)}, cat: cat}
	w.svc = w.open()
	w.do(
		svcAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "R", Kind: billing.KindReseller, Parent: "D", Name: "Reseller", Currency: "EUR", TaxJurisdiction: "FR"}),
		svcAccount(billing.Account{ID: "A", Kind: billing.KindCustomer, Parent: "R", Name: "A", Currency: "EUR", TaxJurisdiction: "FR", PricingGroup: "G"}),
		svcAccount(billing.Account{ID: "B", Kind: billing.KindCustomer, Parent: "R", Name: "B", Currency: "EUR", TaxJurisdiction: "FR", PricingGroup: "G"}),
		svcSubscribe(billing.NewSubscription{ID: "SA", Account: "A", PlanID: "pooled", Start: billingtest.Day(2026, 10, 1)}),
		svcSubscribe(billing.NewSubscription{ID: "SB", Account: "B", PlanID: "pooled", Start: billingtest.Day(2026, 10, 1)}),
	)
	for _, u := range []struct{ id, acc, sub string }{{"a1", "A", "SA"}, {"b1", "B", "SB"}} {
		if err := w.store.(ledger.Writer).WriteUsage(context.Background(), []ledger.Usage{{Source: "t", EventID: u.id, Subject: u.acc,
			Meter: "hours", Quantity: cycD("600"), EventTime: billingtest.Day(2026, 10, 5), IngestTime: billingtest.Day(2026, 10, 5),
			Account: u.acc, Subscription: u.sub, PlanVersion: "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	w.clock.Set(billingtest.Day(2026, 10, 20))
	w.do(func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.ChangePlan(billing.PlanChange{Subscription: "SB", PlanID: "flat", Timing: billing.TimingPeriodEnd}, at, "t")
	})
	w.clock.Set(billingtest.Day(2026, 11, 2))
	if _, err := w.svc.RunCycle(context.Background(), billingtest.Day(2026, 11, 2)); err != nil {
		t.Fatalf("cycle: %v", err)
	}
	sum := decimal.Zero
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{}) {
		for _, l := range inv.Lines {
			if l.Kind == billing.LineUsage {
				sum = sum.Add(l.Amount)
			}
		}
	}
	if !sum.Equal(cycD("110")) {
		t.Errorf("October group of 1200 h billed %s, want 110.00", sum)
	}
}

// 16. Per-transaction fees are read per account, not per subscription: two subscriptions of one
// buyer on a percentage-with-minimum plan both bill the account's fees.
func TestCyclePerTransactionFeesPerSubscription(t *testing.T) {
	w := newCycWorld(t)
	w.sub(billing.NewSubscription{ID: "P1", Account: "K", PlanID: "pay", Start: billingtest.Day(2026, 10, 1)})
	w.sub(billing.NewSubscription{ID: "P2", Account: "K", PlanID: "pay", Start: billingtest.Day(2026, 10, 1)})
	w.use("t1", "P1", "10", billingtest.Day(2026, 10, 5), billingtest.Day(2026, 10, 5))
	if err := w.store.(ledger.Writer).WriteRated(context.Background(), []ledger.RatedDelta{{ID: "r1", Source: "test", EventID: "t1",
		Account: "K", Subscription: "P1", PlanVersion: "pay@1", Charge: "fee", Meter: "calls", EventTime: billingtest.Day(2026, 10, 5),
		Quantity: cycD("10"), Amount: cycD("0.30"), Currency: "EUR", Version: 1}}); err != nil {
		t.Fatal(err)
	}
	w.run(billingtest.Day(2026, 11, 2))
	got, sum := w.lines(billing.LineUsage)
	if !sum.Equal(cycD("0.30")) {
		t.Errorf("one transaction with a 0.30 fee billed %s: %v", sum, got)
	}
}

// 19. Monthly plan: an event 34 days late (inside mediation's 35-day window) that lands after
// the next invoice is never billed.
func TestCycleLateUsageMonthlyAfterNextInvoice(t *testing.T) {
	w := newCycWorld(t)
	w.sub(billing.NewSubscription{ID: "S", Account: "K", PlanID: "fee20", Start: billingtest.Day(2026, 10, 1)})
	w.run(billingtest.Day(2026, 11, 2))
	w.run(billingtest.Day(2026, 12, 2))
	w.use("late", "S", "7", billingtest.Day(2026, 10, 30), billingtest.Day(2026, 12, 3))
	w.run(billingtest.Day(2027, 1, 2))
	w.run(billingtest.Day(2027, 2, 2))
	got, sum := w.lines(billing.LineUsageAdjustment)
	if !sum.Equal(cycD("7")) {
		t.Errorf("late usage of 7 calls billed as %s: %v", sum, got)
	}
}

// 20. Late usage of a period discounted 50 % by a coupon is adjusted at full price.
func TestCycleLateUsageKeepsTheCoupon(t *testing.T) {
	w := newCycWorld(t)
	w.sub(billing.NewSubscription{ID: "S", Account: "K", PlanID: "fee20", Coupon: "HALF3", Start: billingtest.Day(2026, 10, 1)})
	w.use("e1", "S", "10", billingtest.Day(2026, 10, 5), billingtest.Day(2026, 10, 5))
	w.run(billingtest.Day(2026, 11, 2))
	w.use("late", "S", "10", billingtest.Day(2026, 10, 30), billingtest.Day(2026, 11, 3))
	w.run(billingtest.Day(2026, 12, 2))
	// October usage: 20 calls at 1.00 with 50 % off = 10.00, over the invoices that bill it
	// (the 1 Nov invoice and the 1 Dec adjustment), coupon lines of October included.
	sum := decimal.Zero
	var got []string
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Buyer: "K"}) {
		if inv.Boundary.Equal(billingtest.Day(2026, 10, 1)) {
			continue // the fee invoice of October (its coupon is on the fee)
		}
		for _, l := range inv.Lines {
			if (l.Kind == billing.LineUsage || l.Kind == billing.LineUsageAdjustment || l.Kind == billing.LineCoupon) &&
				l.Window.From.Equal(billingtest.Day(2026, 10, 1)) {
				sum = sum.Add(l.Amount)
				got = append(got, fmt.Sprintf("%s %s %s", inv.Number, l.Kind, l.Amount))
			}
		}
	}
	if !sum.Equal(cycD("10")) {
		t.Errorf("October usage billed %s net of coupon, want 10.00: %v", sum, got)
	}
}

// 21. Late usage of a buyer with a price list is re-rated at the list price.
func TestCycleLateUsageKeepsThePriceList(t *testing.T) {
	w := newCycWorld(t)
	w.do(svcAccount(billing.Account{ID: "P", Kind: billing.KindCustomer, Parent: "R", Name: "Partner", Currency: "EUR", TaxJurisdiction: "FR", PriceList: "partner"}))
	w.sub(billing.NewSubscription{ID: "S", Account: "P", PlanID: "fee20", Start: billingtest.Day(2026, 10, 1)})
	put := func(id, q string, at, ing time.Time) {
		if err := w.store.(ledger.Writer).WriteUsage(context.Background(), []ledger.Usage{{Source: "t", EventID: id, Subject: "P",
			Meter: "calls", Quantity: cycD(q), EventTime: at, IngestTime: ing, Account: "P", Subscription: "S", PlanVersion: "x"}}); err != nil {
			t.Fatal(err)
		}
	}
	put("e1", "10", billingtest.Day(2026, 10, 5), billingtest.Day(2026, 10, 5))
	w.run(billingtest.Day(2026, 11, 2)) // 10 calls at 0.50 = 5.00
	put("late", "10", billingtest.Day(2026, 10, 30), billingtest.Day(2026, 11, 3))
	w.run(billingtest.Day(2026, 12, 2))
	sum := decimal.Zero
	var got []string
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Buyer: "P"}) {
		for _, l := range inv.Lines {
			if (l.Kind == billing.LineUsage || l.Kind == billing.LineUsageAdjustment) && l.Window.From.Equal(billingtest.Day(2026, 10, 1)) {
				sum = sum.Add(l.Amount)
				got = append(got, fmt.Sprintf("%s %s %s", inv.Number, l.Kind, l.Amount))
			}
		}
	}
	if !sum.Equal(cycD("10")) {
		t.Errorf("20 October calls at the partner price 0.50 billed %s: %v", sum, got)
	}
}

// A fixed coupon larger than the fee: each coupon period's amount is taken once in all, the fee
// in advance first and the rest from that period's usage on the invoice that closes it; the
// cycle tells Build what earlier invoices took ("coupon:<code>").
func TestCycleFixedCouponLargerThanTheFee(t *testing.T) {
	w := newCycWorld(t)
	w.sub(billing.NewSubscription{ID: "S", Account: "K", PlanID: "fee3", Coupon: "FIVE3", Start: billingtest.Day(2026, 10, 1)})
	for i, m := range []time.Month{10, 11, 12, 1} {
		y := 2026
		if m == 1 {
			y = 2027
		}
		at := billingtest.Day(y, m, 10)
		w.use("e"+strconv.Itoa(i), "S", "10", at, at)
	}
	for _, b := range []time.Time{billingtest.Day(2026, 10, 2), billingtest.Day(2026, 11, 2), billingtest.Day(2026, 12, 2),
		billingtest.Day(2027, 1, 2), billingtest.Day(2027, 2, 2)} {
		w.run(b)
	}
	got, sum := w.lines(billing.LineCoupon)
	if !sum.Equal(cycD("-15")) {
		t.Errorf("coupon of 5 for 3 periods took %s in all, want -15: %v", sum, got)
	}
}
