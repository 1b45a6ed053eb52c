package billing_test

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// splitChain returns issuer R → D → V with the given terms.
func splitChain(r, d billing.Account) []*billing.Account {
	r.ID, r.Kind, r.Parent, r.Name = "R", billing.KindReseller, "D", "Reseller"
	d.ID, d.Kind, d.Parent, d.Name = "D", billing.KindDistributor, "V", "Dist"
	return []*billing.Account{&r, &d, {ID: "V", Kind: billing.KindVendor, Name: "Vendor"}}
}

// handInvoice is an issued invoice R → K with the given lines (net = amount, no tax).
func handInvoice(currency string, lines ...billing.Line) *billing.Invoice {
	inv := &billing.Invoice{ID: "inv-1", Kind: billing.DocInvoice, Number: "R-1", Status: billing.StatusIssued, Currency: currency,
		Issuer: billing.Party{ID: "R", Kind: billing.KindReseller}, Buyer: billing.Party{ID: "K", Kind: billing.KindCustomer},
		IssuedAt: billingtest.Day(2026, 10, 2), Boundary: billingtest.Day(2026, 10, 1), Subtotal: decimal.Zero, Tax: decimal.Zero}
	for i, l := range lines {
		l.No = i + 1
		if l.Subscription == "" {
			l.Subscription = "S"
		}
		l.Amount, l.Gross, l.Tax, l.Exact = l.Net, l.Net, decimal.Zero, l.Net
		inv.Lines = append(inv.Lines, l)
		inv.Subtotal = inv.Subtotal.Add(l.Net)
	}
	inv.Total = inv.Subtotal
	return inv
}

func checkSplit(t *testing.T, sp *billing.InvoiceSplit, minor int32) {
	t.Helper()
	for _, l := range sp.Lines {
		sum := decimal.Zero
		for j, sh := range l.Shares {
			sum = sum.Add(sh.Margin)
			if sh.Cost.Exponent() < -minor && !sh.Cost.Equal(sh.Cost.Round(minor)) {
				t.Fatalf("line %d level %d: cost %s finer than the minor unit", l.No, j, sh.Cost)
			}
			if j > 0 && !sh.Sells.Equal(l.Shares[j-1].Cost) {
				t.Fatalf("line %d level %d sells at %s, the level below pays %s", l.No, j, sh.Sells, l.Shares[j-1].Cost)
			}
		}
		if !sum.Equal(l.Net) {
			t.Fatalf("line %d: shares sum to %s, net %s", l.No, sum, l.Net)
		}
	}
	tx, ok, err := billing.SplitTransaction(sp)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		if err := tx.Validate(); err != nil {
			t.Fatalf("split posting: %v", err)
		}
	}
}

// Property: whatever the margins and lines (charges, discounts, credits; EUR and JPY), every
// line's shares sum exactly to its net and the posting balances.
func TestSplitSharesAlwaysSumToTheLine(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	kinds := []billing.LineKind{billing.LineRecurring, billing.LineUsage, billing.LineDiscount, billing.LineCoupon,
		billing.LineCommitment, billing.LineProrationCredit, billing.LineUsageAdjustment}
	cat := splitCatalog(t)
	for i := range 500 {
		cur, minor := "EUR", int32(2)
		if i%3 == 0 {
			cur, minor = "JPY", 0
		}
		m := func() *decimal.Decimal { d := decimal.New(rng.Int64N(10001), -2); return &d }
		var lines []billing.Line
		for range 1 + rng.IntN(6) {
			k := kinds[rng.IntN(len(kinds))]
			net := decimal.New(rng.Int64N(2_000_000)-200_000, -minor)
			switch k {
			case billing.LineDiscount, billing.LineCoupon, billing.LineProrationCredit:
				net = net.Abs().Neg()
			}
			lines = append(lines, billing.Line{Kind: k, Net: net, Subscription: "S" + strconv.Itoa(rng.IntN(2))})
		}
		inv := handInvoice(cur, lines...)
		sp, err := billing.Split(billing.SplitInput{Invoice: inv, Levels: splitChain(billing.Account{MarginPercent: m()},
			billing.Account{MarginPercent: m()}), Catalog: cat})
		if err != nil {
			t.Fatal(err)
		}
		checkSplit(t, sp, minor)
	}
}

func TestSplitSpreadsLinesWithoutAPriceOfTheirOwn(t *testing.T) {
	cat := splitCatalog(t)
	base := func(net string) billing.Line {
		return billing.Line{Kind: billing.LineRecurring, PlanID: "basic", PlanVersion: 1, ChargeID: "base", Quantity: decimal.NewFromInt(1),
			Net: decimal.RequireFromString(net)}
	}
	discount := billing.Line{Kind: billing.LineDiscount, Net: decimal.RequireFromString("-7.77")}
	for _, tc := range []struct {
		name      string
		sell      string // the customer's price list
		lines     []billing.Line
		wantCosts [][]string // per line: R's cost, D's cost
		basis     string     // the discount line's
	}{
		// Retail 31, R pays 26, D pays 18: every share positive, the discount is allocated
		// by largest remainder over the shares 5 : 8 : 18.
		{"allocated", "", []billing.Line{base("31"), discount}, [][]string{{"26", "18"}, {"-6.52", "-4.51"}}, billing.BasisProRata},
		// vip retail 25 < R's cost 26: a negative share, so each cost is scaled (−7.77 × 26/25).
		{"negative margin", "vip", []billing.Line{base("25"), discount}, [][]string{{"26", "18"}, {"-8.08", "-5.59"}}, billing.BasisProRata},
		// Nothing priced on the invoice: the issuer keeps the discount.
		{"issuer keeps", "", []billing.Line{discount}, [][]string{{"0", "0"}}, billing.BasisIssuer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := handInvoice("EUR", tc.lines...)
			sp, err := billing.Split(billing.SplitInput{Invoice: inv, Levels: splitChain(billing.Account{BuyPriceList: "res-buy"},
				billing.Account{BuyPriceList: "dist-buy"}), Catalog: cat, SellPriceList: tc.sell})
			if err != nil {
				t.Fatal(err)
			}
			checkSplit(t, sp, 2)
			for i, want := range tc.wantCosts {
				for j, w := range want {
					if got := sp.Lines[i].Shares[j].Cost; !got.Equal(decimal.RequireFromString(w)) {
						t.Errorf("line %d level %d cost %s, want %s", i+1, j, got, w)
					}
				}
			}
			if got := sp.Lines[len(sp.Lines)-1].Shares[0].Basis; got != tc.basis {
				t.Errorf("discount basis %s, want %s", got, tc.basis)
			}
		})
	}
}

func TestSplitStopsAtTheFirstLevelWithoutTerms(t *testing.T) {
	inv := handInvoice("EUR", billing.Line{Kind: billing.LineRecurring, Net: decimal.RequireFromString("100")})
	sp, err := billing.Split(billing.SplitInput{Invoice: inv, Levels: splitChain(billing.Account{MarginPercent: pct("30")}, billing.Account{}),
		Catalog: splitCatalog(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Levels) != 2 || sp.Levels[1].ID != "D" {
		t.Fatalf("levels %+v, want R and D (D has no terms)", sp.Levels)
	}
	if sh := sp.Lines[0].Shares; !sh[0].Margin.Equal(decimal.NewFromInt(30)) || !sh[1].Margin.Equal(decimal.NewFromInt(70)) {
		t.Errorf("shares %+v, want R 30 and D 70", sh)
	}
}

func TestSplitCreditTakesBackTheInvoiceSplit(t *testing.T) {
	cat := splitCatalog(t)
	inv := handInvoice("EUR",
		billing.Line{Kind: billing.LineRecurring, PlanID: "basic", PlanVersion: 1, ChargeID: "base", Quantity: decimal.NewFromInt(1), Net: decimal.RequireFromString("31")},
		billing.Line{Kind: billing.LineRecurring, PlanID: "basic", PlanVersion: 1, ChargeID: "seat", Quantity: decimal.NewFromInt(3), Net: decimal.RequireFromString("30")},
		billing.Line{Kind: billing.LineCoupon, Net: decimal.RequireFromString("-6.10")})
	for i := range inv.Lines {
		inv.Lines[i].TaxRate = decimal.Zero
	}
	inv.Taxes = []billing.TaxSummary{{Jurisdiction: "FR", Rate: decimal.Zero, Net: inv.Subtotal, Tax: decimal.Zero}}
	levels := splitChain(billing.Account{BuyPriceList: "res-buy"}, billing.Account{BuyPriceList: "dist-buy"})
	sp, err := billing.Split(billing.SplitInput{Invoice: inv, Levels: levels, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	at := billingtest.Day(2026, 10, 20)
	for _, tc := range []struct {
		name string
		req  billing.CreditNoteRequest
	}{
		{"full", billing.CreditNoteRequest{ID: "cn-full", Reason: "test", Full: true}},
		{"partial", billing.CreditNoteRequest{ID: "cn-part", Reason: "test", Lines: []billing.CreditLine{{LineNo: 2, Amount: decimal.RequireFromString("7.33")}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cn, err := billing.NewCreditNote(inv, tc.req, at)
			if err != nil {
				t.Fatal(err)
			}
			if err := cn.Issue("R-CN-1", at, 0); err != nil {
				t.Fatal(err)
			}
			csp, err := billing.SplitCredit(cn, sp)
			if err != nil {
				t.Fatal(err)
			}
			checkSplit(t, csp, 2)
			if tc.req.Full {
				tx, _, _ := billing.SplitTransaction(sp)
				ctx, _, _ := billing.SplitTransaction(csp)
				if net := entrySums(tx.Entries, ctx.Entries); len(net) != 0 {
					t.Errorf("a full credit leaves split balances %v", net)
				}
			}
		})
	}
	// A void posts the exact reverse at the void time.
	tx, _, _ := billing.SplitTransaction(sp)
	vtx, ok, err := billing.SplitVoidTransaction(sp, at)
	if err != nil || !ok || !vtx.Time.Equal(at) || vtx.ID == tx.ID {
		t.Fatalf("void posting %+v ok %v err %v", vtx, ok, err)
	}
	if net := entrySums(tx.Entries, vtx.Entries); len(net) != 0 {
		t.Errorf("a void leaves split balances %v", net)
	}
}

// entrySums sums entries per account and drops the zeros.
func entrySums(sets ...[]ledger.Entry) map[string]string {
	sums := map[string]decimal.Decimal{}
	for _, es := range sets {
		for _, e := range es {
			sums[e.Account] = sums[e.Account].Add(e.Amount)
		}
	}
	out := map[string]string{}
	for k, v := range sums {
		if !v.IsZero() {
			out[k] = v.String()
		}
	}
	return out
}

// Splitting is pure: the same input twice gives the same posting.
func TestSplitIsDeterministic(t *testing.T) {
	cat := splitCatalog(t)
	mk := func() string {
		inv := handInvoice("EUR", billing.Line{Kind: billing.LineUsage, Net: decimal.RequireFromString("12.34")},
			billing.Line{Kind: billing.LineDiscount, Net: decimal.RequireFromString("-1.11")})
		sp, err := billing.Split(billing.SplitInput{Invoice: inv, Levels: splitChain(billing.Account{MarginPercent: pct("12.5")},
			billing.Account{MarginPercent: pct("7")}), Catalog: cat})
		if err != nil {
			t.Fatal(err)
		}
		tx, _, err := billing.SplitTransaction(sp)
		if err != nil {
			t.Fatal(err)
		}
		s := tx.ID + tx.Time.Format(time.RFC3339)
		for _, e := range tx.Entries {
			s += "|" + e.Account + "=" + e.Amount.String() + "@" + e.LineID
		}
		return s
	}
	if a, b := mk(), mk(); a != b {
		t.Errorf("two splits of the same invoice differ:\n%s\n%s", a, b)
	}
}
