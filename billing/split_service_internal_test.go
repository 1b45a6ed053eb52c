package billing

// Internal: the credit-note and void hooks (splitTransactions, splitVoidTransactions) are not
// yet called by Service.CreditNote and Service.Void (service_docs.go), so this test calls them
// the way those methods will, on documents the Service issued.

import (
	"context"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

const hookCatalog = `
vendors: [{id: v1, name: Vendor}]
products: [{id: p1, vendor: v1, name: Product}]
meters: [{id: calls, name: Calls, unit: call, aggregation: sum}]
plans:
  - id: basic
    version: 1
    product: p1
    name: Basic
    currency: EUR
    billing_period: month
    charges:
      - {id: base, type: recurring, model: flat, amount: 31}
      - {id: seat, type: recurring, per_seat: true, model: per_unit, unit_price: 10}
price_lists:
  - id: res-buy
    name: Reseller buy prices
    channel: reseller
    entries:
      - {plan: basic, charge: base, model: flat, amount: 26.37}
`

func TestSplitHooksReverseTheInvoiceSplit(t *testing.T) {
	cat, err := rating.Load("hook", []byte(hookCatalog))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	store := ledgertest.NewMemStore()
	svc, err := New(Config{Store: store, Catalog: cat, Taxes: &TaxRules{Jurisdictions: map[string]TaxJurisdiction{
		"FR": {Code: "FR", Name: "VAT", Rate: decimal.NewFromInt(20)}}}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	acc := func(a Account) Command {
		a.Currency, a.TaxJurisdiction = "EUR", "FR"
		return func(st *State, at time.Time) ([]ledger.Event, error) { return st.CreateAccount(a, at, "test") }
	}
	margin := decimal.RequireFromString("12.5")
	err = svc.Do(ctx,
		acc(Account{ID: "V", Kind: KindVendor, Name: "V"}),
		acc(Account{ID: "D", Kind: KindDistributor, Parent: "V", Name: "D", MarginPercent: &margin}),
		acc(Account{ID: "R", Kind: KindReseller, Parent: "D", Name: "R", BuyPriceList: "res-buy"}),
		acc(Account{ID: "K", Kind: KindCustomer, Parent: "R", Name: "K", BillingDay: 1}),
		func(st *State, at time.Time) ([]ledger.Event, error) {
			return st.CreateSubscription(NewSubscription{ID: "S", Account: "K", PlanID: "basic", Seats: decimal.NewFromInt(3),
				Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}, at, "test")
		})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RunCycle(ctx, now); err != nil {
		t.Fatal(err)
	}
	invs := svc.Invoices(InvoiceFilter{Kind: DocInvoice})
	if len(invs) != 1 {
		t.Fatalf("%d invoices", len(invs))
	}
	issued, err := svc.splitTransactions(invs[0])
	if err != nil || len(issued) != 1 {
		t.Fatalf("split of the invoice: %v, %d transactions", err, len(issued))
	}
	now = now.Add(24 * time.Hour)
	for _, tc := range []struct {
		name string
		post func() ([]ledger.Transaction, error)
	}{
		{"full credit note", func() ([]ledger.Transaction, error) {
			cn, err := svc.CreditNote(ctx, CreditNoteRequest{ID: "cn-1", Invoice: invs[0].ID, Reason: "test", Full: true}, "test")
			if err != nil {
				return nil, err
			}
			svc.mu.Lock()
			defer svc.mu.Unlock()
			return svc.splitTransactions(cn)
		}},
		{"void", func() ([]ledger.Transaction, error) {
			voided := invs[0].clone()
			voided.Status = StatusVoid
			svc.mu.Lock()
			defer svc.mu.Unlock()
			return svc.splitVoidTransactions(voided, now)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			txs, err := tc.post()
			if err != nil || len(txs) != 1 {
				t.Fatalf("%v, %d transactions", err, len(txs))
			}
			if err := txs[0].Validate(); err != nil {
				t.Fatal(err)
			}
			sums := map[string]decimal.Decimal{}
			for _, tx := range []ledger.Transaction{issued[0], txs[0]} {
				for _, e := range tx.Entries {
					sums[e.Account] = sums[e.Account].Add(e.Amount)
				}
			}
			for acct, s := range sums {
				if !s.IsZero() {
					t.Errorf("%s: %s left after the reversal", acct, s)
				}
			}
			if txs[0].ID == issued[0].ID {
				t.Errorf("the reversal reuses the split's id %s", txs[0].ID)
			}
		})
	}
}
