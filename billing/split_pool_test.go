package billing_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// costOf sums a partner's cost_of_sales entries on some documents, over all time.
func costOf(t *testing.T, store billing.Store, party string, docs ...string) decimal.Decimal {
	t.Helper()
	lines, err := store.(ledger.Reader).Journal(context.Background(), ledger.JournalQuery{Party: party,
		Period: ledger.Period{From: billingtest.Day(2020, 1, 1), To: billingtest.Day(2030, 1, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	sum := decimal.Zero
	for _, l := range lines {
		for _, d := range docs {
			if l.InvoiceID == d && l.Account == party+":"+billing.RoleCostOfSales {
				sum = sum.Add(l.Amount)
			}
		}
	}
	return sum
}

// TestTakingBackAPooledLineTakesBackWhatWasPosted: a void after the settlement, and a full
// credit note issued before it, each leave the partners' cost of the document at exactly zero:
// the reversal takes back the split as posted (at issue plus the settlement), not a re-priced
// one.
func TestTakingBackAPooledLineTakesBackWhatWasPosted(t *testing.T) {
	ctx := context.Background()
	nov := billingtest.Day(2026, 11, 2)
	tests := []struct {
		name string
		// before and after the wholesale close; they return the documents to sum over
		before, after func(w *svcWorld, inv *billing.Invoice) []string
	}{
		{"void after the settlement", nil, func(w *svcWorld, inv *billing.Invoice) []string {
			if _, err := w.svc.Void(ctx, inv.ID, "test"); err != nil {
				t.Fatal(err)
			}
			return []string{inv.ID}
		}},
		{"full credit note before the settlement", func(w *svcWorld, inv *billing.Invoice) []string {
			w.clock.Set(billingtest.Day(2026, 11, 20))
			cn, err := w.svc.CreditNote(ctx, billing.CreditNoteRequest{ID: "cn-early", Invoice: inv.ID, Reason: "test", Full: true}, "test")
			if err != nil {
				t.Fatal(err)
			}
			return []string{inv.ID, cn.ID}
		}, nil},
		{"full credit note after the settlement", nil, func(w *svcWorld, inv *billing.Invoice) []string {
			cn, err := w.svc.CreditNote(ctx, billing.CreditNoteRequest{ID: "cn-late", Invoice: inv.ID, Reason: "test", Full: true}, "test")
			if err != nil {
				t.Fatal(err)
			}
			return []string{inv.ID, cn.ID}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := poolWorld(t, ledgertest.NewMemStore(), nil)
			inv := invoiceOf(t, w.svc, "K3", nov)
			var docs []string
			if tt.before != nil {
				docs = tt.before(w, inv)
			}
			runWholesale(t, w)
			posted := costOf(t, w.store, "reseller:R", inv.ID)
			if tt.after != nil {
				docs = tt.after(w, inv)
			}
			if posted.IsZero() && tt.before == nil {
				t.Fatal("R's cost of the invoice is zero before taking it back: the test proves nothing")
			}
			for _, party := range []string{"reseller:R", "distributor:D", "vendor:V"} {
				if got := costOf(t, w.store, party, docs...); !got.IsZero() {
					t.Errorf("%s: cost of %v nets to %s, want 0", party, docs, got)
				}
			}
			bs, err := w.store.(ledger.Reader).Balances(ctx, ledger.BalanceQuery{AsOf: billingtest.Day(2030, 1, 1)})
			if err != nil {
				t.Fatal(err)
			}
			sum := decimal.Zero
			for _, b := range bs {
				sum = sum.Add(b.Amount)
			}
			if !sum.IsZero() {
				t.Errorf("journal sums to %s", sum)
			}
		})
	}
}

// TestPooledSettlementExcludesVoidedInvoices: an invoice voided before the close takes no part
// in its period's pools, so the others' shares are the pool of the rest.
func TestPooledSettlementExcludesVoidedInvoices(t *testing.T) {
	w := poolWorld(t, ledgertest.NewMemStore(), nil)
	inv := invoiceOf(t, w.svc, "K3", billingtest.Day(2026, 11, 2))
	if _, err := w.svc.Void(context.Background(), inv.ID, "test"); err != nil {
		t.Fatal(err)
	}
	rep := runWholesale(t, w)
	want := wantPool(t, w.cat, "res-pool", "K1", "K2")
	for _, p := range rep.Pools {
		if p.Payer.ID == "R" && (!p.Amount.Equal(want[""]) || p.Lines != 2) {
			t.Errorf("R's pool %+v, want %s over 2 lines", p, want[""])
		}
	}
	for k, l := range callsLines(t, w.svc) {
		if k == "K3" || k == "DC" { // voided; not R's
			continue
		}
		if !l.Shares[0].Cost.Equal(want[k]) {
			t.Errorf("%s: R's cost %s, want %s", k, l.Shares[0].Cost, want[k])
		}
	}
}

// TestTakingBackUsesThePostedSplitAfterACatalogChange: the reseller's buy prices change after
// the invoices were issued; a void and a full credit note still take back exactly what was
// posted (the costs are read back from the journal, not re-priced with today's catalog).
func TestTakingBackUsesThePostedSplitAfterACatalogChange(t *testing.T) {
	ctx := context.Background()
	w := poolWorld(t, ledgertest.NewMemStore(), nil)
	oct := billingtest.Day(2026, 10, 2)
	k1, k2 := invoiceOf(t, w.svc, "K1", oct), invoiceOf(t, w.svc, "K2", oct)
	posted := costOf(t, w.store, "reseller:R", k1.ID)
	yaml := strings.Replace(billingtest.CatalogYAML, "price_lists:\n", strings.Replace(poolPriceLists,
		"{plan: basic, charge: base, model: flat, amount: 26}", "{plan: basic, charge: base, model: flat, amount: 30}", 1), 1)
	cat, err := rating.Load("pool-v2", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	w.cat = cat
	w.svc = w.open()
	if sp, err := w.svc.Split(k1.ID); err != nil || !splitCostSum(sp).Equal(posted.Add(costOf(t, w.store, "distributor:D", k1.ID))) {
		t.Errorf("Split of %s after the change: %v, want the posted costs", k1.Number, err)
	}
	if _, err := w.svc.Void(ctx, k1.ID, "test"); err != nil {
		t.Fatal(err)
	}
	cn, err := w.svc.CreditNote(ctx, billing.CreditNoteRequest{ID: "cn-v2", Invoice: k2.ID, Reason: "test", Full: true}, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, docs := range [][]string{{k1.ID}, {k2.ID, cn.ID}} {
		for _, party := range []string{"reseller:R", "distributor:D"} {
			if got := costOf(t, w.store, party, docs...); !got.IsZero() {
				t.Errorf("%s: cost of %v nets to %s after taking it back, want 0", party, docs, got)
			}
		}
	}
}

func splitCostSum(sp *billing.InvoiceSplit) decimal.Decimal {
	sum := decimal.Zero
	for _, l := range sp.Lines {
		for _, sh := range l.Shares[:len(l.Shares)-1] {
			sum = sum.Add(sh.Cost)
		}
	}
	return sum
}

// TestPooledSettlementRederivesMarginLevels: a distributor paid by margin sits above a reseller
// with pooled tiers; once the reseller's cost is settled, the distributor sells at the settled
// cost and its cost is re-derived from it (what it keeps stays its margin percent), and every
// line's shares still sum to its net.
func TestPooledSettlementRederivesMarginLevels(t *testing.T) {
	margin := decimal.NewFromInt(20)
	w := poolWorldWith(t, ledgertest.NewMemStore(), nil, func(a *billing.Account) {
		if a.ID == "D" {
			a.BuyPriceList, a.MarginPercent = "", &margin
		}
	})
	runWholesale(t, w)
	want := wantPool(t, w.cat, "res-pool", "K1", "K2", "K3")
	eur, _ := rating.LookupCurrency("EUR")
	for k, l := range callsLines(t, w.svc) {
		if k == "DC" {
			continue
		}
		if !l.Shares[0].Cost.Equal(want[k]) || l.Shares[0].Basis != billing.BasisPooled {
			t.Errorf("%s: R's cost %s (%s), want the pooled share %s", k, l.Shares[0].Cost, l.Shares[0].Basis, want[k])
		}
		d := eur.Round(want[k].Mul(decimal.NewFromInt(80)).Div(decimal.NewFromInt(100)), rating.RoundHalfUp)
		if !l.Shares[1].Sells.Equal(want[k]) || !l.Shares[1].Cost.Equal(d) || l.Shares[1].Basis != billing.BasisMargin {
			t.Errorf("%s: D sells at %s and pays %s (%s), want %s and %s by margin", k, l.Shares[1].Sells, l.Shares[1].Cost, l.Shares[1].Basis, want[k], d)
		}
		if !splitSum(l).Equal(l.Net) {
			t.Errorf("%s: shares sum to %s, net %s", k, splitSum(l), l.Net)
		}
	}
	for _, party := range []string{"reseller:R", "distributor:D"} {
		st, err := w.svc.Statement(context.Background(), party[strings.IndexByte(party, ':')+1:], november)
		if err != nil {
			t.Fatal(err)
		}
		if c := costOf(t, w.store, party, docIDs(st)...); !c.Equal(st.Totals[0].Cost) {
			t.Errorf("%s: statement cost %s, journal %s", party, st.Totals[0].Cost, c)
		}
	}
}

func splitSum(l billing.SplitLine) decimal.Decimal {
	sum := decimal.Zero
	for _, sh := range l.Shares {
		sum = sum.Add(sh.Margin)
	}
	return sum
}

func docIDs(st *billing.Statement) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range st.Rows {
		if !seen[r.DocumentID] {
			seen[r.DocumentID] = true
			out = append(out, r.DocumentID)
		}
	}
	return out
}
