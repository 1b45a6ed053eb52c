package benchmarks_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// cycleSubscriptions is the size of BenchmarkInvoiceCycle (the billing issue's target: 100,000
// subscriptions × 5 meters in ≤ 30 s on the server ledger).
var cycleSubscriptions = flag.Int("invoice-subscriptions", 100_000, "subscriptions invoiced by BenchmarkInvoiceCycle")

// cycleCatalog has one plan with a recurring fee and five usage charges, one per price model
// that reads a period total.
const cycleCatalog = `
vendors: [{id: nimbus, name: Nimbus}]
products: [{id: cloud, vendor: nimbus, name: Cloud}]
meters:
  - {id: api_calls, name: API calls, unit: call, aggregation: sum}
  - {id: storage_gb, name: Storage, unit: GB, aggregation: sum}
  - {id: egress_gb, name: Egress, unit: GB, aggregation: sum}
  - {id: builds, name: Builds, unit: build, aggregation: sum}
  - {id: seats_peak, name: Peak seats, unit: seat, aggregation: max}
plans:
  - id: cloud-pro
    version: 1
    product: cloud
    name: Cloud Pro
    currency: EUR
    billing_period: month
    charges:
      - {id: platform, type: recurring, model: flat, amount: 49}
      - id: calls
        type: usage
        meter: api_calls
        allowance: 1000
        model: graduated
        tiers: [{up_to: 100000, unit_price: 0.0002}, {up_to: 1000000, unit_price: 0.0001}, {unit_price: 0.00005}]
      - id: storage
        type: usage
        meter: storage_gb
        model: volume
        tiers: [{up_to: 100, unit_price: 0.023}, {unit_price: 0.021}]
      - {id: egress, type: usage, meter: egress_gb, model: per_unit, unit_price: 0.09}
      - {id: builds, type: usage, meter: builds, model: package, package_size: 100, unit_price: 5}
      - id: peak
        type: usage
        meter: seats_peak
        model: stairstep
        tiers: [{up_to: 10, flat_fee: 0}, {up_to: 50, flat_fee: 30}, {flat_fee: 90}]
`

const cycleTaxes = `
jurisdictions:
  FR: {name: VAT, rate: 20, reverse_charge: true}
  DE: {name: VAT, rate: 19, reverse_charge: true}
`

// BenchmarkInvoiceCycle invoices N subscriptions × 5 meters on a private ClickHouse server: the
// timed part is one cycle closing October 2026 (usage in arrears from the ledger, November's fee
// in advance, taxes, numbers, journal, documents, snapshots). Setup — the accounts, the
// subscriptions, the start invoices of 1 October and the usage rows — is not timed. Run it with
// -benchtime 1x: a second iteration would find everything issued.
func BenchmarkInvoiceCycle(b *testing.B) {
	if b.N > 1 {
		b.Skip("run with -benchtime 1x: one iteration is one whole invoice cycle")
	}
	ctx := context.Background()
	n := *cycleSubscriptions
	srv := clickhousetest.Start(b)
	store, err := clickhouse.New(clickhouse.Config{Addr: srv.Addr, Database: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	svc, now := cycleService(b, store)

	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	t0 := time.Now()
	now.t = start.Add(-24 * time.Hour)
	cycleChannel(b, svc, n, start)
	now.t = start.Add(24 * time.Hour)
	if rep, err := svc.RunCycle(ctx, now.t); err != nil || rep.Invoices != n {
		b.Fatalf("start cycle: %v, %+v", err, rep)
	}
	want := cycleUsage(b, store, n, start)
	b.Logf("setup: %d accounts, %d subscriptions, %d start invoices, %d usage rows in %s",
		n+12, n, n, 5*n, time.Since(t0).Round(time.Millisecond))

	resetPeakRSS()
	now.t = time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	b.ResetTimer()
	began := time.Now()
	rep, err := svc.RunCycle(ctx, now.t)
	elapsed := time.Since(began)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if rep.Invoices != n {
		b.Fatalf("the cycle issued %d invoices, want %d: %+v", rep.Invoices, n, rep)
	}
	checkCycle(b, svc, want)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "subscriptions/s")
	b.ReportMetric(elapsed.Seconds(), "cycle-s")
	if mb := peakRSSMB(); mb > 0 {
		b.ReportMetric(mb, "peak-RSS-MB")
	}
}

type benchClock struct{ t time.Time }

func (c *benchClock) Now() time.Time { return c.t }

func cycleService(b *testing.B, store billing.Store) (*billing.Service, *benchClock) {
	cat, err := rating.Load("cycle.yaml", []byte(cycleCatalog))
	if err != nil {
		b.Fatal(err)
	}
	taxes, err := billing.ParseTaxRules("taxes.yaml", []byte(cycleTaxes))
	if err != nil {
		b.Fatal(err)
	}
	now := &benchClock{}
	svc, err := billing.New(billing.Config{Store: store, Catalog: cat, Taxes: taxes, CatalogVersion: "bench", Now: now.Now})
	if err != nil {
		b.Fatal(err)
	}
	if err := svc.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	return svc, now
}

func cycleCustomer(i int) string { return fmt.Sprintf("C%06d", i) }

// cycleChannel creates a vendor, a distributor, ten resellers and n customers (billing day 1),
// each with one subscription from start.
func cycleChannel(b *testing.B, svc *billing.Service, n int, start time.Time) {
	acc := func(a billing.Account) billing.Command {
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.CreateAccount(a, at, "bench") }
	}
	cmds := []billing.Command{
		acc(billing.Account{ID: "nimbus", Kind: billing.KindVendor, Name: "Nimbus", Currency: "EUR", TaxJurisdiction: "DE"}),
		acc(billing.Account{ID: "eurodist", Kind: billing.KindDistributor, Parent: "nimbus", Name: "EuroDist", Currency: "EUR", TaxJurisdiction: "DE"}),
	}
	for r := range 10 {
		cmds = append(cmds, acc(billing.Account{ID: "R" + strconv.Itoa(r), Kind: billing.KindReseller, Parent: "eurodist",
			Name: "Reseller " + strconv.Itoa(r), Currency: "EUR", TaxJurisdiction: "FR"}))
	}
	for i := range n {
		id := cycleCustomer(i)
		sub := billing.NewSubscription{ID: "S" + id[1:], Account: id, PlanID: "cloud-pro", Start: start}
		cmds = append(cmds, acc(billing.Account{ID: id, Kind: billing.KindCustomer, Parent: "R" + strconv.Itoa(i%10),
			Name: "Customer " + id, Currency: "EUR", TaxJurisdiction: "FR", BillingDay: 1, PaymentTermsDays: 30}),
			func(st *billing.State, at time.Time) ([]ledger.Event, error) {
				return st.CreateSubscription(sub, at, "bench")
			})
	}
	if err := svc.Do(context.Background(), cmds...); err != nil {
		b.Fatal(err)
	}
}

// cycleUsage writes one October event per subscription and meter, and returns the expected
// usage per customer for the check.
func cycleUsage(b *testing.B, store ledger.Writer, n int, start time.Time) map[string]decimal.Decimal {
	meters := []string{"api_calls", "storage_gb", "egress_gb", "builds", "seats_peak"}
	want := make(map[string]decimal.Decimal, n)
	rows := make([]ledger.Usage, 0, 100_000)
	flush := func() {
		if err := store.WriteUsage(context.Background(), rows); err != nil {
			b.Fatal(err)
		}
		rows = rows[:0]
	}
	for i := range n {
		id := cycleCustomer(i)
		for m, meter := range meters {
			q := decimal.NewFromInt(int64(1 + (i*7+m*13)%200)).Mul(decimal.NewFromInt(int64(1 + m*m*100)))
			at := start.Add(time.Duration(1+(i%29)) * 24 * time.Hour).Add(time.Duration(m) * time.Minute)
			rows = append(rows, ledger.Usage{Source: "bench", EventID: id + "-" + meter, Subject: id, Meter: meter,
				Quantity: q, EventTime: at, IngestTime: at, Account: id, Subscription: "S" + id[1:], PlanVersion: "cloud-pro@1"})
			if meter == "api_calls" {
				want[id] = q
			}
			if len(rows) == cap(rows) {
				flush()
			}
		}
	}
	flush()
	return want
}

// checkCycle verifies every October invoice bills exactly the api_calls quantity written.
func checkCycle(b *testing.B, svc *billing.Service, want map[string]decimal.Decimal) {
	seen := 0
	for _, inv := range svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}) {
		if !inv.Period.To.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
			continue
		}
		for _, l := range inv.Lines {
			if l.Meter == "api_calls" && l.Kind == billing.LineUsage {
				seen++
				if got := l.Quantity.Add(l.Allowance); !got.Equal(want[inv.Buyer.ID]) {
					b.Fatalf("%s bills %s api calls, the ledger holds %s", inv.Number, got, want[inv.Buyer.ID])
				}
			}
		}
	}
	if seen != len(want) {
		b.Fatalf("%d October invoices bill api_calls, want %d", seen, len(want))
	}
}

// resetPeakRSS resets the kernel's peak-RSS mark (Linux), so the reported peak is the cycle's.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMB reads the process's peak resident set (VmHWM) in MB; 0 when unavailable.
func peakRSSMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}
