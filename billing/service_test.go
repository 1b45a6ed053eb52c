package billing_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// clock is a settable test clock.
type svcClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *svcClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *svcClock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *svcClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type svcWorld struct {
	t     *testing.T
	store billing.Store
	clock *svcClock
	svc   *billing.Service
	cat   *rating.Catalog
}

func newSvcWorld(t *testing.T, store billing.Store) *svcWorld {
	t.Helper()
	w := &svcWorld{t: t, store: store, clock: &svcClock{t: billingtest.Day(2026, 9, 20)}, cat: billingtest.Catalog(t)}
	w.svc = w.open()
	return w
}

// newCatalogWorld is a world on an in-memory ledger priced with a catalog given as YAML.
func newCatalogWorld(t *testing.T, name, catalogYAML string) *svcWorld {
	t.Helper()
	cat, err := rating.Load(name, []byte(catalogYAML))
	if err != nil {
		t.Fatal(err)
	}
	w := &svcWorld{t: t, store: ledgertest.NewMemStore(), clock: &svcClock{t: billingtest.Day(2026, 9, 20)}, cat: cat}
	w.svc = w.open()
	return w
}

// open starts a Service on the world's store, as a restarted process would.
func (w *svcWorld) open() *billing.Service {
	w.t.Helper()
	taxes, err := billing.LoadTaxRules("testdata/taxes.yaml")
	if err != nil {
		w.t.Fatal(err)
	}
	svc, err := billing.New(billing.Config{Store: w.store, Catalog: w.cat, Taxes: taxes,
		CatalogVersion: "test-1", Now: w.clock.Now, BatchSize: 2})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := svc.Load(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	return svc
}

func (w *svcWorld) do(cmds ...billing.Command) {
	w.t.Helper()
	if err := w.svc.Do(context.Background(), cmds...); err != nil {
		w.t.Fatal(err)
	}
}

func svcAccount(a billing.Account) billing.Command {
	return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.CreateAccount(a, at, "test") }
}

func svcSubscribe(n billing.NewSubscription) billing.Command {
	return func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.CreateSubscription(n, at, "test")
	}
}

// channel creates V → D → R and customers K1..Kn (billing day 1, FR, no tax id), each with a
// "basic" subscription S<i> from 1 Oct 2026.
func (w *svcWorld) channel(n int) {
	w.t.Helper()
	cmds := []billing.Command{
		svcAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "R", Kind: billing.KindReseller, Parent: "D", Name: "Reseller", Currency: "EUR", TaxJurisdiction: "FR",
			InvoicePattern: "R-{YYYY}-{SEQ:4}"}),
	}
	for i := 1; i <= n; i++ {
		id := "K" + strconv.Itoa(i)
		cmds = append(cmds,
			svcAccount(billing.Account{ID: id, Kind: billing.KindCustomer, Parent: "R", Name: "Customer " + id, Currency: "EUR",
				TaxJurisdiction: "FR", BillingDay: 1, PaymentTermsDays: 30}),
			svcSubscribe(billing.NewSubscription{ID: "S" + strconv.Itoa(i), Account: id, PlanID: "basic", Start: billingtest.Day(2026, 10, 1)}))
	}
	w.do(cmds...)
}

// usage writes one usage event of `calls` for a subscription.
func (w *svcWorld) usage(id, account, sub string, qty string, at, ingested time.Time) {
	w.t.Helper()
	w.meterUsage("calls", id, account, sub, qty, at, ingested)
}

func (w *svcWorld) meterUsage(meter, id, account, sub string, qty string, at, ingested time.Time) {
	w.t.Helper()
	err := w.store.(ledger.Writer).WriteUsage(context.Background(), []ledger.Usage{{Source: "test", EventID: id, Subject: account,
		Meter: meter, Quantity: decimal.RequireFromString(qty), EventTime: at, IngestTime: ingested, Account: account,
		Subscription: sub, PlanVersion: "basic@1"}})
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *svcWorld) run(asOf time.Time) billing.CycleReport {
	w.t.Helper()
	w.clock.Set(asOf)
	rep, err := w.svc.RunCycle(context.Background(), asOf)
	if err != nil {
		w.t.Fatal(err)
	}
	return rep
}

func issuedNumbers(svc *billing.Service, issuer string) []string {
	var out []string
	for _, inv := range svc.Invoices(billing.InvoiceFilter{Issuer: issuer, Kind: billing.DocInvoice}) {
		out = append(out, inv.Number)
	}
	return out
}

func TestCycleBillsInAdvanceThenArrearsAndNumbersWithoutGaps(t *testing.T) {
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.channel(3)
	w.usage("e1", "K1", "S1", "1500", billingtest.Day(2026, 10, 10), billingtest.Day(2026, 10, 10))
	w.usage("e2", "K1", "S1", "500.5", billingtest.Day(2026, 10, 31).Add(23*time.Hour), billingtest.Day(2026, 11, 1))
	w.usage("e3", "K2", "S2", "7", billingtest.Day(2026, 10, 2), billingtest.Day(2026, 10, 2))

	rep := w.run(billingtest.Day(2026, 10, 2))
	if rep.Invoices != 3 || rep.AlreadyIssued != 0 {
		t.Fatalf("first cycle: %+v, want 3 start invoices", rep)
	}
	rep = w.run(billingtest.Day(2026, 11, 2))
	if rep.Invoices != 3 {
		t.Fatalf("second cycle: %+v, want 3 invoices", rep)
	}
	want := []string{"R-2026-0001", "R-2026-0002", "R-2026-0003", "R-2026-0004", "R-2026-0005", "R-2026-0006"}
	if got := issuedNumbers(w.svc, "R"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("numbers %v, want %v", got, want)
	}
	nov := w.svc.Invoices(billing.InvoiceFilter{Buyer: "K1"})
	if len(nov) != 2 {
		t.Fatalf("K1 has %d invoices, want 2", len(nov))
	}
	inv := nov[1]
	var usageLine *billing.Line
	for i := range inv.Lines {
		if inv.Lines[i].Kind == billing.LineUsage {
			usageLine = &inv.Lines[i]
		}
	}
	if usageLine == nil {
		t.Fatalf("November invoice has no usage line: %+v", inv.Lines)
	}
	// 2000.5 calls at 0.01 = 20.005 → 20.01 (half up), exactly the October quantity.
	if !usageLine.Quantity.Add(usageLine.Allowance).Equal(decimal.RequireFromString("2000.5")) || !usageLine.Amount.Equal(decimal.RequireFromString("20.01")) {
		t.Errorf("usage line quantity %s amount %s, want 2000.5 and 20.01", usageLine.Quantity, usageLine.Amount)
	}
	if inv.Status != billing.StatusIssued || !inv.DueAt.Equal(inv.IssuedAt.AddDate(0, 0, 30)) {
		t.Errorf("status %s, issued %s, due %s", inv.Status, inv.IssuedAt, inv.DueAt)
	}
	if !inv.Total.Equal(inv.Subtotal.Add(inv.Tax)) || inv.Total.IsZero() {
		t.Errorf("totals %s + %s != %s", inv.Subtotal, inv.Tax, inv.Total)
	}
	// The journal balances: receivables of the buyers equal revenue + tax of the reseller.
	bal, err := w.store.(ledger.Reader).Balances(context.Background(), ledger.BalanceQuery{AsOf: billingtest.Day(2027, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	sum, receivable := decimal.Zero, decimal.Zero
	for _, b := range bal {
		sum = sum.Add(b.Amount)
		if strings.HasSuffix(b.Account, ":receivable") {
			receivable = receivable.Add(b.Amount)
		}
	}
	total := decimal.Zero
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{}) {
		total = total.Add(inv.Total)
	}
	if !sum.IsZero() || !receivable.Equal(total) {
		t.Errorf("journal sums to %s (want 0); receivables %s, invoices total %s", sum, receivable, total)
	}
}

// snapshot is everything the ledger holds about billing, to compare before and after a re-run.
func ledgerDump(t *testing.T, store billing.Store) string {
	t.Helper()
	evs, err := store.Events(context.Background(), ledger.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := store.(ledger.Reader).Documents(context.Background(), ledger.DocumentQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.Key() + " " + e.Type + " " + string(e.Data) + "\n")
	}
	for _, d := range docs {
		b.WriteString(d.ID + " " + d.Number + " " + string(d.Status) + " " + d.Total.String() + "\n")
	}
	return b.String()
}

func TestRerunningACycleChangesNothing(t *testing.T) {
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.channel(2)
	w.usage("e1", "K1", "S1", "10", billingtest.Day(2026, 10, 10), billingtest.Day(2026, 10, 10))
	w.run(billingtest.Day(2026, 11, 2))
	before := ledgerDump(t, w.store)
	if rep := w.run(billingtest.Day(2026, 11, 2)); rep.Invoices != 0 {
		t.Fatalf("re-run issued %d invoices", rep.Invoices)
	}
	// A restarted process re-running the same cycle issues nothing either.
	w.svc = w.open()
	w.clock.Add(time.Hour)
	if rep := w.run(billingtest.Day(2026, 11, 2)); rep.Invoices != 0 {
		t.Fatalf("re-run after restart issued %d invoices", rep.Invoices)
	}
	if after := ledgerDump(t, w.store); after != before {
		t.Errorf("the ledger changed on re-run:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestTwoCyclesAtOnceIssueEachInvoiceOnce(t *testing.T) {
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.channel(5)
	w.clock.Set(billingtest.Day(2026, 11, 2))
	var wg sync.WaitGroup
	reps := make([]billing.CycleReport, 2)
	errs := make([]error, 2)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = w.svc.RunCycle(context.Background(), billingtest.Day(2026, 11, 2))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := reps[0].Invoices + reps[1].Invoices; n != 10 {
		t.Fatalf("two concurrent cycles issued %d invoices, want 10 (5 start + 5 November)", n)
	}
	got := issuedNumbers(w.svc, "R")
	if len(got) != 10 || got[9] != "R-2026-0010" {
		t.Errorf("numbers %v", got)
	}
}

// svcFailingStore fails the first WriteDocuments call after armed, like a ledger that goes away
// mid-cycle.
type svcFailingStore struct {
	*ledgertest.MemStore
	mu    sync.Mutex
	armed bool
}

func (f *svcFailingStore) WriteDocuments(ctx context.Context, docs []ledger.Document) error {
	f.mu.Lock()
	fail := f.armed
	f.armed = false
	f.mu.Unlock()
	if fail {
		return ledger.ErrUnavailable
	}
	return f.MemStore.WriteDocuments(ctx, docs)
}

func TestCrashMidCycleKeepsNumbersGapFree(t *testing.T) {
	fs := &svcFailingStore{MemStore: ledgertest.NewMemStore()}
	w := newSvcWorld(t, fs)
	w.channel(3)
	w.run(billingtest.Day(2026, 10, 2)) // three start invoices: R-0001..0003
	fs.armed = true
	w.clock.Set(billingtest.Day(2026, 11, 2))
	if _, err := w.svc.RunCycle(context.Background(), billingtest.Day(2026, 11, 2)); !errors.Is(err, ledger.ErrUnavailable) {
		t.Fatalf("cycle with a failing ledger: %v", err)
	}
	// Until the cycle has run again, commands are refused: they could remove a boundary whose
	// invoice already holds a number.
	err := w.svc.Do(context.Background(), svcAccount(billing.Account{ID: "K9", Kind: billing.KindCustomer, Parent: "R", Name: "New",
		Currency: "EUR", TaxJurisdiction: "FR"}))
	if !errors.Is(err, billing.ErrConflict) || !strings.Contains(err.Error(), "unissued") {
		t.Fatalf("a command after an interrupted cycle: %v", err)
	}
	// The next run (the scheduler's next trigger, same process) reloads the state and issues the
	// interrupted invoices under the numbers taken before the failure: none skipped, none doubled.
	w.clock.Add(time.Hour)
	rep := w.run(billingtest.Day(2026, 11, 2))
	if rep.Invoices != 3 {
		t.Fatalf("re-run after the failure issued %d, want 3", rep.Invoices)
	}
	// A restarted process sees the same.
	w.svc = w.open()
	want := "R-2026-0001,R-2026-0002,R-2026-0003,R-2026-0004,R-2026-0005,R-2026-0006"
	if got := strings.Join(issuedNumbers(w.svc, "R"), ","); got != want {
		t.Errorf("numbers %s, want %s", got, want)
	}
}

func TestLateUsageIsAdjustedOnTheNextInvoice(t *testing.T) {
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.channel(1)
	w.usage("e1", "K1", "S1", "1000", billingtest.Day(2026, 10, 5), billingtest.Day(2026, 10, 5))
	w.run(billingtest.Day(2026, 11, 2))
	// An October event arrives after October was invoiced.
	w.usage("late", "K1", "S1", "250", billingtest.Day(2026, 10, 30), billingtest.Day(2026, 11, 5))
	w.run(billingtest.Day(2026, 12, 2))
	invs := w.svc.Invoices(billing.InvoiceFilter{Buyer: "K1"})
	dec := invs[len(invs)-1]
	var adj []billing.Line
	for _, l := range dec.Lines {
		if l.Kind == billing.LineUsageAdjustment {
			adj = append(adj, l)
		}
	}
	if len(adj) != 1 || !adj[0].Amount.Equal(decimal.RequireFromString("2.50")) || !adj[0].Window.From.Equal(billingtest.Day(2026, 10, 1)) {
		t.Fatalf("December adjustment lines %+v, want one of 2.50 for October", adj)
	}
	// Once adjusted, the next cycle does not adjust the same usage again.
	w.run(billingtest.Day(2027, 1, 2))
	invs = w.svc.Invoices(billing.InvoiceFilter{Buyer: "K1"})
	for _, l := range invs[len(invs)-1].Lines {
		if l.Kind == billing.LineUsageAdjustment {
			t.Errorf("January repeats the adjustment: %+v", l)
		}
	}
}

func TestPreviewWritesNothing(t *testing.T) {
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.channel(1)
	w.usage("e1", "K1", "S1", "300", billingtest.Day(2026, 10, 5), billingtest.Day(2026, 10, 5))
	before := ledgerDump(t, w.store)
	drafts, err := w.svc.Preview(context.Background(), "K1", billingtest.Day(2026, 11, 2))
	if err != nil {
		t.Fatal(err)
	}
	if len(drafts) != 2 || drafts[0].Status != billing.StatusDraft || drafts[0].Number != "" {
		t.Fatalf("preview: %d drafts %+v", len(drafts), drafts)
	}
	if after := ledgerDump(t, w.store); after != before {
		t.Errorf("preview wrote to the ledger")
	}
	// Nothing due yet: the preview is the invoice in progress.
	w.run(billingtest.Day(2026, 11, 2))
	drafts, err = w.svc.Preview(context.Background(), "K1", billingtest.Day(2026, 11, 15))
	if err != nil || len(drafts) != 1 || !drafts[0].Boundary.Equal(billingtest.Day(2026, 12, 1)) {
		t.Fatalf("preview of the invoice in progress: %v %+v", err, drafts)
	}
	if _, err := w.svc.Preview(context.Background(), "nobody", billingtest.Day(2026, 11, 15)); !errors.Is(err, billing.ErrNotFound) {
		t.Errorf("preview of an unknown account: %v", err)
	}
}

func TestVoidAndCreditNotes(t *testing.T) {
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.channel(2)
	w.run(billingtest.Day(2026, 10, 2))
	invs := w.svc.Invoices(billing.InvoiceFilter{Issuer: "R"})
	ctx := context.Background()
	voided, err := w.svc.Void(ctx, invs[0].ID, "finance")
	if err != nil || voided.Status != billing.StatusVoid {
		t.Fatalf("void: %v %+v", err, voided)
	}
	if _, err := w.svc.Void(ctx, invs[0].ID, "finance"); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("voiding twice: %v", err)
	}
	req := billing.CreditNoteRequest{ID: "cn-1", Invoice: invs[1].ID, Reason: "goodwill", Full: true}
	cn, err := w.svc.CreditNote(ctx, req, "finance")
	if err != nil {
		t.Fatal(err)
	}
	if cn.Number != "R-CN-2026-000001" || !cn.Total.Equal(invs[1].Total.Neg()) {
		t.Errorf("credit note %s total %s, invoice total %s", cn.Number, cn.Total, invs[1].Total)
	}
	again, err := w.svc.CreditNote(ctx, req, "finance")
	if err != nil || again.Number != cn.Number {
		t.Errorf("the same request twice must return the same note: %v %+v", err, again)
	}
	if _, err := w.svc.CreditNote(ctx, billing.CreditNoteRequest{ID: "cn-2", Invoice: invs[1].ID, Reason: "again", Full: true}, "finance"); err == nil {
		t.Errorf("crediting a fully credited invoice succeeded")
	}
	// Voiding the note gives the credit back, so the invoice can be credited again.
	if _, err := w.svc.Void(ctx, cn.ID, "finance"); err != nil {
		t.Fatal(err)
	}
	if inv, _ := w.svc.Invoice(invs[1].ID); !inv.Credited.IsZero() {
		t.Errorf("after voiding its note the invoice shows credited %s", inv.Credited)
	}
	cn2, err := w.svc.CreditNote(ctx, billing.CreditNoteRequest{ID: "cn-3", Invoice: invs[1].ID, Reason: "re-issued", Full: true}, "finance")
	if err != nil || cn2.Number != "R-CN-2026-000002" {
		t.Fatalf("credit after void: %v %+v", err, cn2)
	}
	// All of it survives a restart.
	w.svc = w.open()
	if inv, ok := w.svc.Invoice(invs[1].ID); !ok || !inv.Credited.Equal(invs[1].Total) {
		t.Errorf("after restart the invoice shows credited %v", inv)
	}
	if inv, ok := w.svc.Invoice(invs[0].ID); !ok || inv.Status != billing.StatusVoid {
		t.Errorf("after restart the voided invoice is %v", inv)
	}
}

func TestBadCommandsChangeNothing(t *testing.T) {
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.channel(1)
	w.run(billingtest.Day(2026, 11, 2))
	before := ledgerDump(t, w.store)
	ctx := context.Background()
	cases := []struct {
		name string
		cmds []billing.Command
		want error
	}{
		{"plan change into another currency", []billing.Command{func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "yen", Effective: billingtest.Day(2026, 11, 10)}, at, "t")
		}}, billing.ErrCurrencyMismatch},
		{"backdated change before the last invoice", []billing.Command{func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro", Effective: billingtest.Day(2026, 10, 15)}, at, "t")
		}}, billing.ErrBackdated},
		{"unknown account", []billing.Command{svcSubscribe(billing.NewSubscription{ID: "S9", Account: "nobody", PlanID: "basic", Start: billingtest.Day(2026, 11, 1)})}, billing.ErrNotFound},
		{"a good command then a bad one: neither lands", []billing.Command{
			svcAccount(billing.Account{ID: "K9", Kind: billing.KindCustomer, Parent: "R", Name: "New", Currency: "EUR", TaxJurisdiction: "FR"}),
			svcSubscribe(billing.NewSubscription{ID: "S9", Account: "K9", PlanID: "yen", Start: billingtest.Day(2026, 11, 1)}),
		}, billing.ErrCurrencyMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := w.svc.Do(ctx, c.cmds...); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if after := ledgerDump(t, w.store); after != before {
				t.Errorf("the ledger changed")
			}
			err := w.svc.View(func(st *billing.State) error {
				if _, ok := st.Account("K9"); ok {
					t.Errorf("memory kept the account of a failed unit")
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPooledChargeSharesTheGroupTiers(t *testing.T) {
	store := ledgertest.NewMemStore()
	w := &svcWorld{t: t, store: store, clock: &svcClock{t: billingtest.Day(2026, 9, 20)}}
	cat, err := rating.LoadFile("testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w.cat = cat
	w.svc = w.open()
	cmds := []billing.Command{
		svcAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "R", Kind: billing.KindReseller, Parent: "D", Name: "Reseller", Currency: "EUR", TaxJurisdiction: "FR"}),
	}
	for _, id := range []string{"P1", "P2"} {
		cmds = append(cmds,
			svcAccount(billing.Account{ID: id, Kind: billing.KindCustomer, Parent: "R", Name: id, Currency: "EUR", TaxJurisdiction: "FR",
				BillingDay: 1, PricingGroup: "acme"}),
			svcSubscribe(billing.NewSubscription{ID: "S" + id, Account: id, PlanID: "compute-pooled", Start: billingtest.Day(2026, 10, 1)}))
	}
	w.do(cmds...)
	w.meterUsage("compute_hours", "h1", "P1", "SP1", "800", billingtest.Day(2026, 10, 3), billingtest.Day(2026, 10, 3))
	w.meterUsage("compute_hours", "h2", "P2", "SP2", "400", billingtest.Day(2026, 10, 4), billingtest.Day(2026, 10, 4))
	w.run(billingtest.Day(2026, 11, 2))
	// The group's 1200 hours reach the second tier: 1000 × 0.10 + 200 × 0.05 = 110.00, shared
	// 800:400 by largest remainder → 73.33 and 36.67.
	want := map[string]string{"P1": "73.33", "P2": "36.67"}
	sum := decimal.Zero
	for buyer, amount := range want {
		var got []billing.Line
		for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Buyer: buyer}) {
			for _, l := range inv.Lines {
				if l.Kind == billing.LineUsage {
					got = append(got, l)
				}
			}
		}
		if len(got) != 1 || !got[0].Amount.Equal(decimal.RequireFromString(amount)) {
			t.Fatalf("%s usage lines %+v, want one of %s", buyer, got, amount)
		}
		sum = sum.Add(got[0].Amount)
	}
	if !sum.Equal(decimal.RequireFromString("110")) {
		t.Errorf("shares sum to %s, want the group amount 110.00", sum)
	}
}

const perTxCatalog = `
vendors: [{id: v1, name: Vendor One}]
products: [{id: pay, vendor: v1, name: Payments}]
meters:
  - {id: payment_volume, name: Payment volume, unit: EUR, aggregation: sum}
plans:
  - id: payments
    version: 1
    product: pay
    name: Payments
    currency: EUR
    billing_period: month
    charges:
      - {id: card-fees, type: usage, meter: payment_volume, model: percentage, percent: 2.9, min_fee: 0.30, max_fee: 50}
`

// TestPerTransactionFeesAreSummedNotRepriced: a percentage with a per-transaction minimum and
// maximum is not a price of the period total; the invoice bills the sum of each transaction's
// fee as rated (invariant 2), here 0.30 (minimum) + 2.90 + 50.00 (maximum) = 53.20, where pricing
// the 10105.00 total once would give 50.00.
func TestPerTransactionFeesAreSummedNotRepriced(t *testing.T) {
	w := newCatalogWorld(t, "pertx.yaml", perTxCatalog)
	cat, store := w.cat, w.store.(*ledgertest.MemStore)
	w.do(
		svcAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"}),
		svcAccount(billing.Account{ID: "M", Kind: billing.KindCustomer, Parent: "V", Name: "Merchant", Currency: "EUR", TaxJurisdiction: "DE", BillingDay: 1}),
		svcSubscribe(billing.NewSubscription{ID: "SM", Account: "M", PlanID: "payments", Start: billingtest.Day(2026, 10, 1)}),
	)
	p, _ := cat.PlanVersion("payments", 1)
	ch, _ := p.Charge("card-fees")
	before := decimal.Zero
	for i, amount := range []string{"5", "100", "10000"} {
		q := decimal.RequireFromString(amount)
		at := billingtest.Day(2026, 10, 2+i)
		id := "tx" + strconv.Itoa(i)
		w.meterUsage("payment_volume", id, "M", "SM", amount, at, at)
		fee := ch.UsageDelta(ch.Model, before, q)
		before = before.Add(q)
		err := store.WriteRated(context.Background(), []ledger.RatedDelta{{ID: "r-" + id, Source: "test", EventID: id, Account: "M",
			Subscription: "SM", PlanVersion: "payments@1", Charge: "card-fees", Meter: "payment_volume", EventTime: at,
			Quantity: q, Amount: fee, Currency: "EUR", Version: 1}})
		if err != nil {
			t.Fatal(err)
		}
	}
	w.run(billingtest.Day(2026, 11, 2))
	var lines []billing.Line
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Buyer: "M"}) {
		for _, l := range inv.Lines {
			if l.Kind == billing.LineUsage {
				lines = append(lines, l)
			}
		}
	}
	if len(lines) != 1 || !lines[0].Amount.Equal(decimal.RequireFromString("53.20")) {
		t.Fatalf("usage lines %+v, want one of 53.20", lines)
	}
}

func TestVoidRefusesAPaidInvoice(t *testing.T) {
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.channel(1)
	w.run(billingtest.Day(2026, 10, 2))
	inv := w.svc.Invoices(billing.InvoiceFilter{Buyer: "K1"})[0]
	_, err := w.svc.RecordPayment(context.Background(), billing.PaymentInput{ID: "pay-1", Account: "K1", Amount: decimal.RequireFromString("1.00"),
		Currency: "EUR", ReceivedAt: billingtest.Day(2026, 10, 2), Invoices: []string{inv.ID}}, "finance")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Void(context.Background(), inv.ID, "finance"); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("voiding a partly paid invoice: %v, want a conflict", err)
	}
}
