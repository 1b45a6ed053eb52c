package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/billing/webhook"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// billed returns a Service on a MemStore where customer C (buying from vendor V) has one
// issued invoice, of 1 Oct 2026.
func billed(t *testing.T) (*billing.Service, *billing.Invoice) {
	t.Helper()
	taxes, err := billing.LoadTaxRules("../testdata/taxes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clock := billingtest.Day(2026, 9, 20)
	svc, err := billing.New(billing.Config{Store: ledgertest.NewMemStore(), Catalog: billingtest.Catalog(t), Taxes: taxes,
		Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	err = svc.Do(ctx,
		func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.CreateAccount(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"}, at, "test")
		},
		func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.CreateAccount(billing.Account{ID: "C", Kind: billing.KindCustomer, Parent: "V", Name: "Customer", Currency: "EUR",
				TaxJurisdiction: "FR", BillingDay: 1, PaymentTermsDays: 14}, at, "test")
		},
		func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.CreateSubscription(billing.NewSubscription{ID: "S", Account: "C", PlanID: "basic", Start: billingtest.Day(2026, 10, 1)}, at, "test")
		})
	if err != nil {
		t.Fatal(err)
	}
	clock = billingtest.Day(2026, 10, 2)
	if _, err := svc.RunCycle(ctx, clock); err != nil {
		t.Fatal(err)
	}
	invs := svc.Invoices(billing.InvoiceFilter{Buyer: "C"})
	if len(invs) != 1 {
		t.Fatalf("fixture: %d invoices", len(invs))
	}
	clock = billingtest.Day(2026, 10, 9)
	return svc, invs[0]
}

// TestWebhookOnALoopbackServer posts signed notifications over TCP to a real server backed by
// a real billing Service: a payment pays the invoice; its redelivery (also several at once)
// answers the same and records nothing more.
func TestWebhookOnALoopbackServer(t *testing.T) {
	svc, inv := billed(t)
	h, err := webhook.New(webhook.Config{Secret: secret, Service: svc, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := []byte(fmt.Sprintf(`{"id":"evt_42","account":"C","amount":%q,"currency":"EUR","received_at":"2026-10-08T10:00:00Z","reference":"PSP-42"}`,
		inv.Total.StringFixed(2)))
	status, first := post(t, srv.URL, body, now)
	if status != http.StatusOK {
		t.Fatalf("first delivery: %d %s", status, first)
	}
	if got, _ := svc.Invoice(inv.ID); got.Status != billing.StatusPaid {
		t.Errorf("invoice %s is %s after its payment, want paid", inv.Number, got.Status)
	}
	var wg sync.WaitGroup
	answers := make([][]byte, 4)
	codes := make([]int, 4)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], answers[i] = post(t, srv.URL, body, now.Add(time.Duration(i)*time.Second))
		}()
	}
	wg.Wait()
	for i := range answers {
		if codes[i] != http.StatusOK || string(answers[i]) != string(first) {
			t.Errorf("redelivery %d: %d %s, want 200 %s", i, codes[i], answers[i], first)
		}
	}
	if ps := svc.Payments("C"); len(ps) != 1 || !ps[0].Amount.Equal(inv.Total) || ps[0].Method != "webhook" {
		t.Errorf("payments of C: %+v, want one of %s by webhook", ps, inv.Total)
	}
	// The same event id with another amount is a conflict, not a second payment.
	other := []byte(`{"id":"evt_42","account":"C","amount":"1.00","currency":"EUR","received_at":"2026-10-08T10:00:00Z"}`)
	if status, answer := post(t, srv.URL, other, now); status != http.StatusConflict {
		t.Errorf("reused id: %d %s, want 409", status, answer)
	}
	// A payment in another currency, for an unknown account: refused for good (422).
	for _, b := range []string{
		`{"id":"evt_43","account":"C","amount":"100","currency":"JPY","received_at":"2026-10-08T10:00:00Z"}`,
		`{"id":"evt_44","account":"nobody","amount":"1","currency":"EUR","received_at":"2026-10-08T10:00:00Z"}`,
	} {
		if status, answer := post(t, srv.URL, []byte(b), now); status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s, want 422", b, status, answer)
		}
	}
}
