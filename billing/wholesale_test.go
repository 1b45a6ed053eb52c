package billing_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/shopspring/decimal"
)

// TestPooledWholesaleChain is issue #6's chain: vendor → distributor → reseller → customers with
// pooled wholesale tiers on both levels, closed for November.
func TestPooledWholesaleChain(t *testing.T) {
	ctx := context.Background()
	w := poolWorld(t, ledgertest.NewMemStore(), nil)
	before := callsLines(t, w.svc)
	rep := runWholesale(t, w)
	if !rep.Settled || len(rep.Pools) != 2 || len(rep.Issued) != 2 {
		t.Fatalf("report %+v: want the pools of R and D settled and two wholesale invoices", rep)
	}
	after := callsLines(t, w.svc)
	resPool := wantPool(t, w.cat, "res-pool", "K1", "K2", "K3")
	distPool := wantPool(t, w.cat, "dist-pool", "K1", "K2", "K3", "DC")
	for _, k := range []string{"K1", "K2", "K3"} {
		l := after[k]
		if got := l.Shares[0].Cost; !got.Equal(resPool[k]) || l.Shares[0].Basis != billing.BasisPooled {
			t.Errorf("%s: R's cost %s (%s), want its pooled share %s", k, got, l.Shares[0].Basis, resPool[k])
		}
		if got := l.Shares[1].Cost; !got.Equal(distPool[k]) {
			t.Errorf("%s: D's cost %s, want its pooled share %s", k, got, distPool[k])
		}
		if before[k].Shares[0].Cost.Equal(resPool[k]) {
			t.Errorf("%s: provisional cost %s already equals the pooled share: the test proves nothing", k, resPool[k])
		}
		sum := decimal.Zero
		for _, sh := range l.Shares {
			sum = sum.Add(sh.Margin)
		}
		if !sum.Equal(l.Net) {
			t.Errorf("%s: shares sum to %s, line net %s", k, sum, l.Net)
		}
	}
	if got := after["DC"].Shares[0].Cost; !got.Equal(distPool["DC"]) {
		t.Errorf("DC: D's cost %s, want its pooled share %s", got, distPool["DC"])
	}

	// The journal balances, and each partner's November statement is its journal.
	all, err := w.store.(ledger.Reader).Balances(ctx, ledger.BalanceQuery{AsOf: billingtest.Day(2030, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	sum := decimal.Zero
	for _, b := range all {
		sum = sum.Add(b.Amount)
	}
	if !sum.IsZero() {
		t.Fatalf("journal sums to %s, want 0", sum)
	}
	jr := w.store.(ledger.Reader)
	for _, partner := range []string{"R", "D"} {
		st, err := w.svc.Statement(ctx, partner, november)
		if err != nil {
			t.Fatal(err)
		}
		a := w.account(partner)
		lines, err := jr.Journal(ctx, ledger.JournalQuery{Party: string(a.Kind) + ":" + partner, Period: ledger.Period{From: november.From, To: november.To}})
		if err != nil {
			t.Fatal(err)
		}
		revenue, cost := decimal.Zero, decimal.Zero
		for _, l := range lines {
			if strings.HasSuffix(l.Account, ":revenue") && l.Kind != billing.TxWholesaleClear && !isWholesaleDoc(w.svc, l.InvoiceID) {
				revenue = revenue.Sub(l.Amount)
			}
			if strings.HasSuffix(l.Account, ":cost_of_sales") {
				cost = cost.Add(l.Amount)
			}
		}
		tot := st.Totals[0]
		if !tot.Retail.Equal(revenue) || !tot.Cost.Equal(cost) {
			t.Errorf("%s: statement retail %s cost %s, journal revenue %s cost %s", partner, tot.Retail, tot.Cost, revenue, cost)
		}
		// The wholesale invoice bills exactly the statement's cost.
		inv := wholesaleInvoice(t, w.svc, partner)
		if !inv.Subtotal.Equal(tot.Cost) {
			t.Errorf("%s: wholesale invoice %s subtotal %s, statement cost %s", partner, inv.Number, inv.Subtotal, tot.Cost)
		}
		if !inv.Tax.IsZero() || len(inv.Taxes) != 1 || !inv.Taxes[0].ReverseCharge {
			t.Errorf("%s: wholesale invoice taxes %+v: want reverse charge (businesses across jurisdictions)", partner, inv.Taxes)
		}
	}
	// R's November pooled calls cost is the pool's amount, rounded once at the group line.
	rInv := wholesaleInvoice(t, w.svc, "R")
	for _, l := range rInv.Lines {
		if l.ChargeID == "calls" && !l.Net.Equal(resPool[""]) {
			t.Errorf("R's wholesale calls line %s, want the pool amount %s", l.Net, resPool[""])
		}
	}
	// Numbered in the issuer's series without a gap: D's customer invoices, then R's wholesale.
	nums := issuedNumbers(w.svc, "D")
	if last := nums[len(nums)-1]; last != dNumber(len(nums)) || rInv.Number != last {
		t.Errorf("D's numbers %v: the wholesale invoice %s should be the next, %s", nums, rInv.Number, dNumber(len(nums)))
	}
}

// TestRunWholesaleIsIdempotentAndSurvivesReload: a second close, before or after a restart,
// issues and posts nothing; a period that has not ended cannot be closed.
func TestRunWholesaleIsIdempotentAndSurvivesReload(t *testing.T) {
	ctx := context.Background()
	w := poolWorld(t, ledgertest.NewMemStore(), nil)
	first := runWholesale(t, w)
	settled := callsLines(t, w.svc)
	txs := journalState(t, w.store)
	// A restarted process sees the settlement and the invoices, and a re-run does nothing.
	w.svc = w.open()
	if got := callsLines(t, w.svc); !sameCosts(got, settled) {
		t.Errorf("after reload the splits are %+v, want the settled %+v", got, settled)
	}
	again := runWholesale(t, w)
	if again.Settled || len(again.Issued) != 0 || again.AlreadyIssued != len(first.Issued) {
		t.Errorf("re-run: %+v, want nothing new and %d already issued", again, len(first.Issued))
	}
	if got := journalState(t, w.store); got != txs {
		t.Errorf("re-run moved journal balances:\n%s\nthen\n%s", txs, got)
	}
	// A period overlapping a closed one cannot be closed: its documents would be settled and
	// invoiced twice.
	_, err := w.svc.RunWholesale(ctx, billing.Period{From: billingtest.Day(2026, 11, 15), To: billingtest.Day(2026, 12, 1)})
	if !errors.Is(err, billing.ErrConflict) {
		t.Errorf("closing Nov 15..Dec 1 after November: %v, want ErrConflict", err)
	}
	// A period that has not ended cannot be closed.
	w.clock.Set(billingtest.Day(2026, 12, 15))
	_, err = w.svc.RunWholesale(ctx, billing.Period{From: billingtest.Day(2026, 12, 1), To: billingtest.Day(2027, 1, 1)})
	if !errors.Is(err, billing.ErrConflict) {
		t.Errorf("closing December on Dec 15: %v, want ErrConflict", err)
	}
}

// TestPooledSettlementIsOrderIndependent issues the same customers' invoices in two different
// orders (one batch, or one customer at a time over several cycles' batches) and expects the
// same settled costs.
func TestPooledSettlementIsOrderIndependent(t *testing.T) {
	a := poolWorld(t, ledgertest.NewMemStore(), nil)
	runWholesale(t, a)
	b := poolWorld(t, ledgertest.NewMemStore(), func(c *billing.Config) { c.BatchSize = 1 })
	runWholesale(t, b)
	if ga, gb := callsLines(t, a.svc), callsLines(t, b.svc); !sameCosts(ga, gb) {
		t.Errorf("batch of 2: %+v\nbatch of 1: %+v", ga, gb)
	}
}

// TestWholesaleInvoiceLifecycle: a wholesale invoice moves the partner's debt from the channel
// balance to an invoiced receivable; paying it clears the receivable, crediting or voiding it
// gives the channel balance back, and the parent's revenue is the split's throughout.
func TestWholesaleInvoiceLifecycle(t *testing.T) {
	ctx := context.Background()
	w := poolWorld(t, ledgertest.NewMemStore(), nil)
	w.clock.Set(billingtest.Day(2026, 12, 2))
	beforeD, beforeV := journalTotals(t, w.store, "distributor:D"), journalTotals(t, w.store, "vendor:V")
	runWholesale(t, w)
	toR, toD := wholesaleInvoice(t, w.svc, "R"), wholesaleInvoice(t, w.svc, "D")
	d := journalTotals(t, w.store, "distributor:D")
	// The settlement moved D's revenue and channel receivable alike (R pays less for pooled calls).
	settled := beforeD[billing.RoleRevenue].Sub(d[billing.RoleRevenue])
	if settled.IsZero() {
		t.Fatal("the settlement moved nothing: the test proves nothing")
	}
	if got := beforeD[billing.RoleChannelReceivable].Add(settled).Sub(d[billing.RoleChannelReceivable]); !got.Equal(toR.Subtotal) {
		t.Errorf("D's channel receivable fell by %s beyond the settlement, want R's invoice subtotal %s", got, toR.Subtotal)
	}
	if r := journalTotals(t, w.store, "reseller:R"); !r[billing.RoleReceivable].Equal(toR.Total) {
		t.Errorf("R's receivable %s, want the invoice total %s", r[billing.RoleReceivable], toR.Total)
	}
	// R pays; D credits its invoice in full; V voids its invoice to D.
	if _, err := w.svc.RecordPayment(ctx, billing.PaymentInput{ID: "r-pays", Account: "R", Amount: toR.Total, Currency: "EUR",
		ReceivedAt: billingtest.Day(2026, 12, 2), Invoices: []string{toR.ID}}, "test"); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.svc.Invoice(toR.ID); got.Status != billing.StatusPaid {
		t.Errorf("R's wholesale invoice is %s after paying it, want paid", got.Status)
	}
	if _, err := w.svc.CreditNote(ctx, billing.CreditNoteRequest{ID: "whcn", Invoice: toR.ID, Reason: "test", Full: true}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Void(ctx, toD.ID, "test"); err != nil {
		t.Fatal(err)
	}
	d, v := journalTotals(t, w.store, "distributor:D"), journalTotals(t, w.store, "vendor:V")
	if !d[billing.RoleChannelReceivable].Equal(beforeD[billing.RoleChannelReceivable].Add(settled)) {
		t.Errorf("D's channel receivable %s after the credit note, want %s moved by the settlement %s", d[billing.RoleChannelReceivable],
			beforeD[billing.RoleChannelReceivable], settled)
	}
	if !beforeD[billing.RoleRevenue].Sub(settled).Equal(d[billing.RoleRevenue]) {
		t.Errorf("D's revenue %s, want %s (the split's, settled)", d[billing.RoleRevenue], beforeD[billing.RoleRevenue].Sub(settled))
	}
	vSettled := beforeV[billing.RoleRevenue].Sub(v[billing.RoleRevenue])
	if !v[billing.RoleChannelReceivable].Equal(beforeV[billing.RoleChannelReceivable].Add(vSettled)) {
		t.Errorf("V's channel receivable %s after the void, want %s moved by the settlement %s", v[billing.RoleChannelReceivable],
			beforeV[billing.RoleChannelReceivable], vSettled)
	}
	if state := journalState(t, w.store); strings.Contains(state, "vendor:V:receivable") {
		t.Errorf("the vendor has a receivable of its own: %s", state)
	}
}
