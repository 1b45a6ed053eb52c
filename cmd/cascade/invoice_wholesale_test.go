package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// TestInvoiceWholesale: with cloudshop settling by invoice, closing October issues one
// wholesale invoice from eurodist to cloudshop whose net is cloudshop's October cost on its
// commission statement (the fees invoiced in advance on 1 October); closing again issues
// nothing; an unended month is refused.
func TestInvoiceWholesale(t *testing.T) {
	store, _ := invoiceLedger(t)
	// The cycle runs on 1 October (the CLI would date the invoices today, and a month is
	// closed by the dates its documents were issued at).
	oct1 := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	svc := reopenAt(t, store, oct1)
	err := svc.Do(context.Background(), func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		a, _ := st.Account("cloudshop")
		cs := *a
		cs.Settlement = "invoice"
		return st.UpdateAccount(cs, at, "test")
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := svc.RunCycle(context.Background(), oct1); err != nil || rep.Invoices == 0 {
		t.Fatalf("cycle on 1 October: %+v, %v", rep, err)
	}
	c := newCLI(t, store)

	code, out, errOut := c.run("invoice", "wholesale", "--period", "2026-10", "--format", "json")
	if code != exitOK {
		t.Fatalf("wholesale: exit %d: %s", code, errOut)
	}
	var rep billing.WholesaleReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Issued) != 1 {
		t.Fatalf("issued %v, want one wholesale invoice (eurodist → cloudshop)", rep.Issued)
	}
	after := reopen(t, store)
	inv, ok := after.Invoice(rep.Issued[0])
	if !ok {
		t.Fatalf("wholesale invoice %s not in the ledger", rep.Issued[0])
	}
	oct := billing.Period{From: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	stmt, err := after.Statement(context.Background(), "cloudshop", oct)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Issuer.ID != "eurodist" || inv.Buyer.ID != "cloudshop" || inv.Number == "" {
		t.Errorf("wholesale invoice %s: %s → %s, want a numbered eurodist → cloudshop", inv.ID, inv.Issuer.ID, inv.Buyer.ID)
	}
	cost := stmt.Totals[0].Cost
	if len(stmt.Totals) != 1 || !inv.Subtotal.Equal(cost) || cost.IsZero() {
		t.Errorf("wholesale net %s, cloudshop's statement cost %v: want equal and non-zero", inv.Subtotal, stmt.Totals)
	}

	code, out, errOut = c.run("invoice", "wholesale", "--period", "2026-10")
	if code != exitOK || !strings.Contains(out, "0 invoices issued, 1 issued before") {
		t.Errorf("re-run: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut = c.run("invoice", "wholesale", "--period", "2099-01"); code != exitFailure || !strings.Contains(errOut, "2099-01") {
		t.Errorf("an unended month: exit %d, stderr %q; want exit 1 naming the month", code, errOut)
	}
	if code, _, _ = c.run("invoice", "wholesale", "--period", "oct"); code != exitUsage {
		t.Errorf("a malformed period: exit %d, want %d", code, exitUsage)
	}
}

// reopenAt is reopen with the service's clock at now.
func reopenAt(t *testing.T, store ledger.Store, now time.Time) *billing.Service {
	t.Helper()
	cat, err := rating.LoadFile(exampleCatalog)
	if err != nil {
		t.Fatal(err)
	}
	taxes, err := billing.LoadTaxRules(exampleTaxes)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := billing.New(billing.Config{Store: store, Catalog: cat, Taxes: taxes, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc
}
