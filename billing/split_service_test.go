package billing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// splitPriceLists are the channel's buy prices for the fixture plan "basic" (retail: base 31,
// seat 10, setup 100, calls 0.01): the distributor buys from the vendor, the reseller from the
// distributor. The reseller list has no calls entry, so it pays retail for calls (no margin),
// and its base price 26 is above the vip group's retail 25 (a negative margin).
const splitPriceLists = `price_lists:
  - id: dist-buy
    name: Distributor buy prices
    channel: distributor
    entries:
      - {plan: basic, charge: base, model: flat, amount: 18}
      - {plan: basic, charge: seat, model: per_unit, unit_price: 6}
      - {plan: basic, charge: setup, model: flat, amount: 60}
      - {plan: basic, charge: calls, model: per_unit, unit_price: 0.006}
  - id: res-buy
    name: Reseller buy prices
    channel: reseller
    entries:
      - {plan: basic, charge: base, model: flat, amount: 26}
      - {plan: basic, charge: seat, model: per_unit, unit_price: 8}
      - {plan: basic, charge: setup, model: flat, amount: 80}
`

func splitCatalog(tb testing.TB) *rating.Catalog {
	tb.Helper()
	yaml := strings.Replace(billingtest.CatalogYAML, "price_lists:\n", splitPriceLists, 1)
	cat, err := rating.Load("split", []byte(yaml))
	if err != nil {
		tb.Fatalf("load split catalog: %v", err)
	}
	return cat
}

func pct(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }

// splitWorld is V → D → R → K1 (plain), K2 (vip group: retail base 25 < R's cost 26), K3 (coupon
// HALF), plus V → D2 (20 % margin) → R2 (10 % margin) → M1, and D's direct customer DC.
func splitWorld(t *testing.T) *svcWorld { t.Helper(); return splitWorldOn(t, ledgertest.NewMemStore()) }

func splitWorldOn(t *testing.T, store billing.Store) *svcWorld {
	t.Helper()
	w := &svcWorld{t: t, store: store, clock: &svcClock{t: billingtest.Day(2026, 9, 20)}, cat: splitCatalog(t)}
	w.svc = w.open()
	start := billingtest.Day(2026, 10, 1)
	acc := func(a billing.Account) billing.Command {
		a.Currency, a.TaxJurisdiction = "EUR", "FR"
		if a.Kind == billing.KindCustomer {
			a.BillingDay, a.PaymentTermsDays = 1, 30
		}
		return svcAccount(a)
	}
	sub := func(id, account string, seats int64, coupon string) billing.Command {
		return svcSubscribe(billing.NewSubscription{ID: id, Account: account, PlanID: "basic", Start: start,
			Seats: decimal.NewFromInt(seats), Coupon: coupon})
	}
	w.do(
		acc(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor"}),
		acc(billing.Account{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist", BuyPriceList: "dist-buy"}),
		acc(billing.Account{ID: "R", Kind: billing.KindReseller, Parent: "D", Name: "Reseller", BuyPriceList: "res-buy", Settlement: "self_billing"}),
		acc(billing.Account{ID: "D2", Kind: billing.KindDistributor, Parent: "V", Name: "Dist Two", MarginPercent: pct("20")}),
		acc(billing.Account{ID: "R2", Kind: billing.KindReseller, Parent: "D2", Name: "Reseller Two", MarginPercent: pct("10")}),
		acc(billing.Account{ID: "K1", Kind: billing.KindCustomer, Parent: "R", Name: "Plain"}),
		acc(billing.Account{ID: "K2", Kind: billing.KindCustomer, Parent: "R", Name: "Vip", PricingGroup: "vip", PriceList: "vip"}),
		acc(billing.Account{ID: "K3", Kind: billing.KindCustomer, Parent: "R", Name: "Couponed"}),
		acc(billing.Account{ID: "M1", Kind: billing.KindCustomer, Parent: "R2", Name: "Margin"}),
		acc(billing.Account{ID: "DC", Kind: billing.KindCustomer, Parent: "D", Name: "Direct"}),
		sub("S1", "K1", 2, ""), sub("S2", "K2", 1, ""), sub("S3", "K3", 3, "HALF"), sub("S4", "M1", 1, ""), sub("S5", "DC", 1, ""),
	)
	at := billingtest.Day(2026, 10, 10)
	for i, s := range []struct{ account, sub, qty string }{
		{"K1", "S1", "1234"}, {"K2", "S2", "777"}, {"K3", "S3", "5000"}, {"M1", "S4", "333"}, {"DC", "S5", "100"},
	} {
		w.usage("u"+string(rune('a'+i)), s.account, s.sub, s.qty, at, at)
	}
	w.run(billingtest.Day(2026, 10, 2))
	w.run(billingtest.Day(2026, 11, 2))
	return w
}

// journalTotals sums a party's entries per role (all time) through Balances, a different read
// than the Journal listing statements are built from.
func journalTotals(t *testing.T, store billing.Store, party string) map[string]decimal.Decimal {
	t.Helper()
	bs, err := store.(ledger.Reader).Balances(context.Background(), ledger.BalanceQuery{AccountPrefix: party + ":", AsOf: billingtest.Day(2030, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]decimal.Decimal{}
	for _, b := range bs {
		role := b.Account[strings.LastIndexByte(b.Account, ':')+1:]
		out[role] = out[role].Add(b.Amount)
	}
	return out
}

func TestSplitJournalBalancesAndStatementsEqualTheJournal(t *testing.T) {
	w := splitWorld(t)
	ctx := context.Background()
	// The whole journal balances per currency.
	all, err := w.store.(ledger.Reader).Balances(ctx, ledger.BalanceQuery{AsOf: billingtest.Day(2030, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	sum := decimal.Zero
	for _, b := range all {
		sum = sum.Add(b.Amount)
	}
	if !sum.IsZero() || len(all) == 0 {
		t.Fatalf("journal sums to %s over %d accounts, want 0", sum, len(all))
	}
	// Every level's share, summed over the split of every invoice, from the pure Split.
	margins := map[string]decimal.Decimal{}
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}) {
		sp, err := w.svc.Split(inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sp == nil {
			t.Fatalf("invoice %s of %s has no split", inv.Number, inv.Issuer.ID)
		}
		for _, l := range sp.Lines {
			total := decimal.Zero
			for j, sh := range l.Shares {
				total = total.Add(sh.Margin)
				margins[sp.Levels[j].ID] = margins[sp.Levels[j].ID].Add(sh.Margin)
			}
			if !total.Equal(l.Net) {
				t.Errorf("%s line %d: shares sum to %s, net %s", inv.Number, l.No, total, l.Net)
			}
		}
	}
	whole := billing.Period{From: billingtest.Day(2026, 1, 1), To: billingtest.Day(2027, 1, 1)}
	for _, partner := range []string{"R", "D", "R2", "D2"} {
		st, err := w.svc.Statement(ctx, partner, whole)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Totals) != 1 || len(st.Rows) == 0 {
			t.Fatalf("%s: %d rows, totals %+v", partner, len(st.Rows), st.Totals)
		}
		tot := st.Totals[0]
		j := journalTotals(t, w.store, string(st.Partner.Kind)+":"+partner)
		if !tot.Retail.Equal(j[billing.RoleRevenue].Neg()) || !tot.Cost.Equal(j[billing.RoleCostOfSales]) {
			t.Errorf("%s: statement retail %s cost %s, journal revenue %s cost_of_sales %s", partner, tot.Retail, tot.Cost,
				j[billing.RoleRevenue], j[billing.RoleCostOfSales])
		}
		if !tot.Margin.Equal(margins[partner]) {
			t.Errorf("%s: statement margin %s, Σ split shares %s", partner, tot.Margin, margins[partner])
		}
		// What a partner owes up the chain is its cost; what it is owed, its channel sales.
		if !j[billing.RoleChannelPayable].Neg().Equal(j[billing.RoleCostOfSales]) {
			t.Errorf("%s: channel_payable %s, cost_of_sales %s", partner, j[billing.RoleChannelPayable], j[billing.RoleCostOfSales])
		}
		for _, per := range [][]billing.StatementTotal{st.ByPlan, st.ByCustomer} {
			s := decimal.Zero
			for _, x := range per {
				s = s.Add(x.Margin)
			}
			if !s.Equal(tot.Margin) {
				t.Errorf("%s: totals by key sum to %s, total %s", partner, s, tot.Margin)
			}
		}
	}
	// The vendor is owed exactly what it earned.
	v := journalTotals(t, w.store, "vendor:V")
	if !v[billing.RoleChannelReceivable].Equal(v[billing.RoleRevenue].Neg()) || v[billing.RoleRevenue].IsZero() {
		t.Errorf("vendor: revenue %s, channel_receivable %s", v[billing.RoleRevenue], v[billing.RoleChannelReceivable])
	}
}

// findRow returns the statement row of a customer's line of a charge on the invoice issued at
// the cycle of `at`.
func findRow(t *testing.T, st *billing.Statement, customer, kind, charge string, at time.Time) billing.StatementRow {
	t.Helper()
	for _, r := range st.Rows {
		if r.Customer == customer && string(r.LineKind) == kind && r.ChargeID == charge && r.Time.Equal(at) {
			return r
		}
	}
	t.Fatalf("no %s %s row for %s at %s in %+v", kind, charge, customer, at, st.Rows)
	return billing.StatementRow{}
}

func TestSplitLineEconomics(t *testing.T) {
	w := splitWorld(t)
	ctx := context.Background()
	oct := billing.Period{From: billingtest.Day(2026, 10, 1), To: billingtest.Day(2026, 11, 1)}
	nov := billing.Period{From: billingtest.Day(2026, 11, 1), To: billingtest.Day(2026, 12, 1)}
	issuedOct, issuedNov := billingtest.Day(2026, 10, 2), billingtest.Day(2026, 11, 2)
	statement := func(partner string, p billing.Period) *billing.Statement {
		st, err := w.svc.Statement(ctx, partner, p)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	r, d, r2, d2 := statement("R", oct), statement("D", oct), statement("R2", oct), statement("D2", oct)
	rn, dn := statement("R", nov), statement("D", nov)
	d2n := statement("D2", nov)
	for _, tc := range []struct {
		name                 string
		row                  billing.StatementRow
		retail, cost, margin string
		negative             bool
	}{
		// K1: base 31 sold by R, bought at 26 from D, who buys it at 18.
		{"R sells base", findRow(t, r, "K1", "recurring", "base", issuedOct), "31.00", "26.00", "5.00", false},
		{"D sells base to R", findRow(t, d, "K1", "recurring", "base", issuedOct), "26.00", "18.00", "8.00", false},
		{"R sells 2 seats", findRow(t, r, "K1", "recurring", "seat", issuedOct), "20.00", "16.00", "4.00", false},
		// K2 buys base at the vip price 25, below R's cost 26: allowed and flagged.
		{"R below cost", findRow(t, r, "K2", "recurring", "base", issuedOct), "25.00", "26.00", "-1.00", true},
		// Calls: R has no buy price, so it pays retail (1234 × 0.01); D buys at 0.006.
		{"R calls at retail", findRow(t, rn, "K1", "usage", "calls", issuedNov), "12.34", "12.34", "0.00", false},
		{"D calls", findRow(t, dn, "K1", "usage", "calls", issuedNov), "12.34", "7.40", "4.94", false},
		// D's direct customer: D is the issuer.
		{"D direct", findRow(t, d, "DC", "recurring", "base", issuedOct), "31.00", "18.00", "13.00", false},
		// Margins: R2 keeps 10 % of 31, D2 20 % of the 27.90 it sells at.
		{"R2 margin", findRow(t, r2, "M1", "recurring", "base", issuedOct), "31.00", "27.90", "3.10", false},
		{"D2 margin", findRow(t, d2, "M1", "recurring", "base", issuedOct), "27.90", "22.32", "5.58", false},
		{"D2 usage margin", findRow(t, d2n, "M1", "usage", "calls", issuedNov), "3.00", "2.40", "0.60", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := []string{tc.row.Retail.StringFixed(2), tc.row.Cost.StringFixed(2), tc.row.Margin.StringFixed(2)}
			want := []string{tc.retail, tc.cost, tc.margin}
			if strings.Join(got, " ") != strings.Join(want, " ") || tc.row.Negative != tc.negative {
				t.Errorf("retail cost margin %v negative %v, want %v %v", got, tc.row.Negative, want, tc.negative)
			}
		})
	}
	// The coupon line (−50 % of K3's lines) is spread like K3's priced lines: R bears half of
	// its margin and D half of its own, exactly.
	var coupon, priced billing.StatementRow
	priced.Retail, priced.Cost = decimal.Zero, decimal.Zero
	for _, row := range r.Rows {
		if row.Customer != "K3" {
			continue
		}
		if row.LineKind == billing.LineCoupon {
			coupon = row
		} else {
			priced.Retail, priced.Cost = priced.Retail.Add(row.Retail), priced.Cost.Add(row.Cost)
		}
	}
	if coupon.Line == 0 || !coupon.Retail.Equal(priced.Retail.Div(decimal.NewFromInt(2)).Neg()) ||
		!coupon.Cost.Equal(priced.Cost.Div(decimal.NewFromInt(2)).Neg()) {
		t.Errorf("coupon row %+v, K3 priced retail %s cost %s", coupon, priced.Retail, priced.Cost)
	}
}

func TestSplitRefusesBadChannelTerms(t *testing.T) {
	for _, tc := range []struct {
		name  string
		terms billing.Account
		field string
		kind  error
	}{
		{"unknown list", billing.Account{BuyPriceList: "nope"}, "buy_price_list", billing.ErrNotFound},
		{"list of another level", billing.Account{BuyPriceList: "dist-buy"}, "buy_price_list", billing.ErrInvalid},
		{"group list", billing.Account{BuyPriceList: "vip"}, "buy_price_list", billing.ErrInvalid},
		{"margin above 100", billing.Account{MarginPercent: pct("100.5")}, "margin_percent", billing.ErrInvalid},
		{"negative margin", billing.Account{MarginPercent: pct("-1")}, "margin_percent", billing.ErrInvalid},
		{"both", billing.Account{BuyPriceList: "res-buy", MarginPercent: pct("5")}, "margin_percent", billing.ErrInvalid},
		{"settlement", billing.Account{MarginPercent: pct("5"), Settlement: "monthly"}, "settlement", billing.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &svcWorld{t: t, store: ledgertest.NewMemStore(), clock: &svcClock{t: billingtest.Day(2026, 9, 20)}, cat: splitCatalog(t)}
			w.svc = w.open()
			r := tc.terms
			r.ID, r.Kind, r.Parent, r.Name, r.Currency, r.TaxJurisdiction = "R", billing.KindReseller, "D", "Reseller", "EUR", "FR"
			w.do(
				svcAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "V", Currency: "EUR", TaxJurisdiction: "DE"}),
				svcAccount(billing.Account{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "D", Currency: "EUR", TaxJurisdiction: "DE"}),
				svcAccount(r),
				svcAccount(billing.Account{ID: "K", Kind: billing.KindCustomer, Parent: "R", Name: "K", Currency: "EUR", TaxJurisdiction: "FR", BillingDay: 1}),
				svcSubscribe(billing.NewSubscription{ID: "S", Account: "K", PlanID: "basic", Start: billingtest.Day(2026, 10, 1)}))
			w.clock.Set(billingtest.Day(2026, 10, 2))
			_, err := w.svc.RunCycle(context.Background(), billingtest.Day(2026, 10, 2))
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), "account R: "+tc.field) {
				t.Fatalf("cycle error %v, want %v naming account R: %s", err, tc.kind, tc.field)
			}
		})
	}
}

func TestStatementRefusesNonPartners(t *testing.T) {
	w := splitWorld(t)
	p := billing.Period{From: billingtest.Day(2026, 10, 1), To: billingtest.Day(2026, 11, 1)}
	for partner, want := range map[string]error{"K1": billing.ErrInvalid, "V": billing.ErrInvalid, "nobody": billing.ErrNotFound} {
		if _, err := w.svc.Statement(context.Background(), partner, p); !errors.Is(err, want) {
			t.Errorf("statement of %s: %v, want %v", partner, err, want)
		}
	}
}
