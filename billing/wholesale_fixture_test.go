package billing_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// poolPriceLists price calls with graduated tiers that pool across each partner's customers:
// the reseller's cost of 7011 calls pooled is far below the sum of its customers' lines priced
// alone (each line restarts at the first tier).
const poolPriceLists = `price_lists:
  - id: dist-pool
    name: Distributor buy prices, pooled calls
    channel: distributor
    entries:
      - {plan: basic, charge: base, model: flat, amount: 18}
      - {plan: basic, charge: seat, model: per_unit, unit_price: 6}
      - {plan: basic, charge: setup, model: flat, amount: 60}
      - plan: basic
        charge: calls
        pooled: true
        model: graduated
        tiers:
          - {up_to: 2000, unit_price: 0.006}
          - {unit_price: 0.002}
  - id: res-pool
    name: Reseller buy prices, pooled calls
    channel: reseller
    entries:
      - {plan: basic, charge: base, model: flat, amount: 26}
      - {plan: basic, charge: seat, model: per_unit, unit_price: 8}
      - {plan: basic, charge: setup, model: flat, amount: 80}
      - plan: basic
        charge: calls
        pooled: true
        model: graduated
        tiers:
          - {up_to: 1000, unit_price: 0.008}
          - {unit_price: 0.004}
`

// poolUsage is each customer's October calls.
var poolUsage = []struct{ account, sub, qty string }{
	{"K1", "S1", "1234"}, {"K2", "S2", "777"}, {"K3", "S3", "5000"}, {"DC", "S4", "2500"},
}

// poolWorld is V (FR) → D (DE, business: reverse charge both ways, invoiced) → R (FR, business,
// invoiced) → K1, K2, K3, plus D's direct customer DC; all on plan basic, calls used in October.
// The cycles of Oct 2 and Nov 2 issue the customer invoices; December's clock closes November.
func poolWorld(t *testing.T, store billing.Store, configure func(*billing.Config)) *svcWorld {
	t.Helper()
	return poolWorldWith(t, store, configure, nil)
}

// poolWorldWith is poolWorld with every account passed through edit before it is created.
func poolWorldWith(t *testing.T, store billing.Store, configure func(*billing.Config), edit func(*billing.Account)) *svcWorld {
	t.Helper()
	yaml := strings.Replace(billingtest.CatalogYAML, "price_lists:\n", poolPriceLists, 1)
	cat, err := rating.Load("pool", []byte(yaml))
	if err != nil {
		t.Fatalf("load pool catalog: %v", err)
	}
	w := &svcWorld{t: t, store: store, clock: &svcClock{t: billingtest.Day(2026, 9, 20)}, cat: cat}
	w.svc = openConfigured(w, configure)
	start := billingtest.Day(2026, 10, 1)
	acc := func(a billing.Account) billing.Command {
		a.Currency = "EUR"
		if a.TaxJurisdiction == "" {
			a.TaxJurisdiction = "FR"
		}
		if a.Kind == billing.KindCustomer {
			a.BillingDay, a.PaymentTermsDays = 1, 30
		}
		if edit != nil {
			edit(&a)
		}
		return svcAccount(a)
	}
	w.do(
		acc(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor SAS", TaxID: "FR111"}),
		acc(billing.Account{ID: "MKT", Kind: billing.KindVendor, Name: "Marketplace"}),
		acc(billing.Account{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist GmbH", TaxJurisdiction: "DE", TaxID: "DE222",
			BuyPriceList: "dist-pool", Settlement: billing.SettlementInvoice, PaymentTermsDays: 30, Address: "Hauptstr. 1, Berlin"}),
		acc(billing.Account{ID: "R", Kind: billing.KindReseller, Parent: "D", Name: "Reseller SARL", TaxID: "FR333",
			BuyPriceList: "res-pool", Settlement: billing.SettlementInvoice, PaymentTermsDays: 15, Address: "1 rue de Paris"}),
		acc(billing.Account{ID: "K1", Kind: billing.KindCustomer, Parent: "R", Name: "One"}),
		acc(billing.Account{ID: "K2", Kind: billing.KindCustomer, Parent: "R", Name: "Two"}),
		acc(billing.Account{ID: "K3", Kind: billing.KindCustomer, Parent: "R", Name: "Three"}),
		acc(billing.Account{ID: "DC", Kind: billing.KindCustomer, Parent: "D", Name: "Direct", TaxJurisdiction: "DE"}),
	)
	for i, u := range poolUsage {
		w.do(svcSubscribe(billing.NewSubscription{ID: u.sub, Account: u.account, PlanID: "basic", Start: start, Seats: decimal.NewFromInt(1)}))
		w.usage("p"+string(rune('a'+i)), u.account, u.sub, u.qty, billingtest.Day(2026, 10, 10), billingtest.Day(2026, 10, 10))
	}
	w.run(billingtest.Day(2026, 10, 2))
	w.run(billingtest.Day(2026, 11, 2))
	return w
}

// openConfigured opens a Service on the world's store with the test configuration, changed by
// configure (nil: as is).
func openConfigured(w *svcWorld, configure func(*billing.Config)) *billing.Service {
	w.t.Helper()
	taxes, err := billing.LoadTaxRules("testdata/taxes.yaml")
	if err != nil {
		w.t.Fatal(err)
	}
	cfg := billing.Config{Store: w.store, Catalog: w.cat, Taxes: taxes, CatalogVersion: "test-1", Now: w.clock.Now, BatchSize: 2}
	if configure != nil {
		configure(&cfg)
	}
	svc, err := billing.New(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := svc.Load(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	return svc
}

// november is the statement and wholesale period the tests close.
var november = billing.Period{From: billingtest.Day(2026, 11, 1), To: billingtest.Day(2026, 12, 1)}

// runWholesale closes November at Dec 2.
func runWholesale(t *testing.T, w *svcWorld) billing.WholesaleReport {
	t.Helper()
	w.clock.Set(billingtest.Day(2026, 12, 2))
	rep, err := w.svc.RunWholesale(context.Background(), november)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// callsLines are the usage lines of the November invoices, with each one's split.
func callsLines(t *testing.T, svc *billing.Service) map[string]billing.SplitLine {
	t.Helper()
	out := map[string]billing.SplitLine{}
	for _, inv := range svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}) {
		if inv.Buyer.Kind != billing.KindCustomer || !november.Contains(inv.IssuedAt) {
			continue
		}
		sp, err := svc.Split(inv.ID)
		if err != nil || sp == nil {
			t.Fatalf("split of %s: %v, %v", inv.Number, sp, err)
		}
		for _, l := range sp.Lines {
			if l.ChargeID == "calls" && l.Kind == billing.LineUsage {
				out[inv.Buyer.ID] = l
			}
		}
	}
	return out
}

// wantPool prices a pool the way the catalog says, independently of billing: the entry's model
// over the members' quantities, by rating.PoolCharge.
func wantPool(t *testing.T, cat *rating.Catalog, list string, members ...string) map[string]decimal.Decimal {
	t.Helper()
	pl, _ := cat.PriceList(list)
	plan, _ := cat.PlanVersion("basic", 1)
	ch, _ := plan.Charge("calls")
	var ms []rating.PoolMember
	for _, m := range members {
		for _, u := range poolUsage {
			if u.account == m {
				ms = append(ms, rating.PoolMember{ID: m, Quantity: decimal.RequireFromString(u.qty)})
			}
		}
	}
	eur, _ := rating.LookupCurrency("EUR")
	res, err := rating.PoolCharge(rating.ChargeModel(plan, ch, pl), ms, eur, plan.Rounding)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]decimal.Decimal{"": res.Amount}
	for _, s := range res.Shares {
		out[s.ID] = s.Amount
	}
	return out
}

// dNumber is D's n-th number in the default pattern.
func dNumber(n int) string { return "D-2026-" + strings.Repeat("0", 6-len(itoa(n))) + itoa(n) }

// itoa formats an int without strconv (kept local to the fixtures).
func itoa(n int) string { return decimal.NewFromInt(int64(n)).String() }

// isWholesaleDoc reports whether a document's buyer is a partner.
func isWholesaleDoc(svc *billing.Service, id string) bool {
	inv, ok := svc.Invoice(id)
	return ok && inv.Buyer.Kind != billing.KindCustomer
}

// wholesaleInvoice is the one wholesale invoice to a partner.
func wholesaleInvoice(t *testing.T, svc *billing.Service, buyer string) *billing.Invoice {
	t.Helper()
	invs := svc.Invoices(billing.InvoiceFilter{Buyer: buyer, Kind: billing.DocInvoice})
	if len(invs) != 1 {
		t.Fatalf("%d wholesale invoices to %s, want 1", len(invs), buyer)
	}
	return invs[0]
}

// account reads an account from the state.
func (w *svcWorld) account(id string) *billing.Account {
	w.t.Helper()
	var a *billing.Account
	if err := w.svc.View(func(st *billing.State) error {
		var ok bool
		if a, ok = st.Account(id); !ok {
			return errors.New("no account " + id)
		}
		return nil
	}); err != nil {
		w.t.Fatal(err)
	}
	return a
}

// sameCosts reports whether two sets of split lines have the same costs at every level.
func sameCosts(a, b map[string]billing.SplitLine) bool {
	if len(a) != len(b) {
		return false
	}
	for k, l := range a {
		m := b[k]
		if len(l.Shares) != len(m.Shares) {
			return false
		}
		for j := range l.Shares {
			if !l.Shares[j].Cost.Equal(m.Shares[j].Cost) {
				return false
			}
		}
	}
	return true
}

// journalState is every journal account's balance, as a string to compare.
func journalState(t *testing.T, store billing.Store) string {
	t.Helper()
	bs, err := store.(ledger.Reader).Balances(context.Background(), ledger.BalanceQuery{AsOf: billingtest.Day(2030, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, x := range bs {
		b.WriteString(x.Account + "=" + x.Amount.String() + " " + x.Currency + "\n")
	}
	return b.String()
}
