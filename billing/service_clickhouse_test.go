package billing_test

import (
	"os"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
)

// TestServiceOnClickHouse runs a cycle, a re-run after a restart, and a late-usage adjustment
// on a private ClickHouse server: the backend billing talks to in production.
func TestServiceOnClickHouse(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" { // under CI a real component never skips
		t.Skip("starts a ClickHouse server")
	}
	srv := clickhousetest.Start(t)
	store, err := clickhouse.New(clickhouse.Config{Addr: srv.Addr, Database: "billing_test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	w := newSvcWorld(t, store)
	w.channel(3)
	w.usage("e1", "K1", "S1", "1000", billingtest.Day(2026, 10, 5), billingtest.Day(2026, 10, 5))
	w.usage("e1", "K1", "S1", "1000", billingtest.Day(2026, 10, 5), billingtest.Day(2026, 10, 5)) // a replay: counted once
	if rep := w.run(billingtest.Day(2026, 11, 2)); rep.Invoices != 6 {
		t.Fatalf("cycle issued %d invoices, want 6 (3 start + 3 November)", rep.Invoices)
	}
	before := ledgerDump(t, store)
	w.svc = w.open() // restart: state rebuilt from the server's events
	if rep := w.run(billingtest.Day(2026, 11, 2)); rep.Invoices != 0 || rep.AlreadyIssued != 0 {
		t.Fatalf("re-run after restart: %+v", rep)
	}
	if after := ledgerDump(t, store); after != before {
		t.Errorf("the re-run changed the ledger")
	}
	w.usage("late", "K1", "S1", "500", billingtest.Day(2026, 10, 31), billingtest.Day(2026, 11, 3))
	w.run(billingtest.Day(2026, 12, 2))
	invs := w.svc.Invoices(billing.InvoiceFilter{Buyer: "K1"})
	var usage, adj int
	for _, inv := range invs {
		for _, l := range inv.Lines {
			switch {
			case l.Kind == billing.LineUsage && l.Window.From.Equal(billingtest.Day(2026, 10, 1)):
				usage++
				if !l.Quantity.Add(l.Allowance).Equal(dec("1000")) {
					t.Errorf("October usage billed %s, want 1000 (the replay counted once)", l.Quantity.Add(l.Allowance))
				}
			case l.Kind == billing.LineUsageAdjustment:
				adj++
				if !l.Amount.Equal(dec("5")) {
					t.Errorf("late adjustment %s, want 5.00", l.Amount)
				}
			}
		}
	}
	if usage != 1 || adj != 1 {
		t.Errorf("K1 has %d October usage lines and %d adjustments, want 1 and 1", usage, adj)
	}
	if got := issuedNumbers(w.svc, "R"); len(got) != 9 || got[8] != "R-2026-0009" {
		t.Errorf("numbers %v", got)
	}
}
