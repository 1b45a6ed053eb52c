package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/shopspring/decimal"
)

// clock is the settable clock the billing service and the API share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// The test keys: one per role, and two resellers side by side under the same distributor.
const (
	keyAdmin   = "k-admin"
	keyFinance = "k-finance"
	keyAnalyst = "k-analyst"
	keyVendor  = "k-vendor"
	keyDist    = "k-dist"
	keyR1      = "k-r1"
	keyR2      = "k-r2"
)

func keyHash(k string) string { s := sha256.Sum256([]byte(k)); return hex.EncodeToString(s[:]) }

// world is the channel V → D → {R1 → {C1, C2}, R2 → C3}, all EUR, customers in FR billed on the
// 1st, each with a "basic" subscription from 1 Oct 2026 (S1, S2, S3); the October in-advance
// invoices issued on 2 Oct, usage of C1 in October, and the clock at 2 Oct 2026 12:00.
type world struct {
	t     testing.TB
	clock *clock
	svc   *billing.Service
	store *ledgertest.MemStore
	api   *api.API
	srv   *httptest.Server
	ring  *api.Keyring
}

// customers of the world, by reseller.
var worldCustomers = map[string][]string{"R1": {"C1", "C2"}, "R2": {"C3"}}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{t: t, clock: &clock{t: billingtest.Day(2026, 9, 20)}, store: ledgertest.NewMemStore()}
	taxes, err := billing.LoadTaxRules("../../../../billing/testdata/taxes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	w.svc, err = billing.New(billing.Config{Store: w.store, Catalog: billingtest.Catalog(t), Taxes: taxes,
		CatalogVersion: "api-test", Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := w.svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	margin := decimal.NewFromInt(20)
	acc := func(a billing.Account) billing.Command {
		a.Currency, a.TaxJurisdiction = "EUR", "FR"
		if a.Kind == billing.KindCustomer {
			a.BillingDay, a.PaymentTermsDays = 1, 30
		}
		if a.Kind == billing.KindDistributor || a.Kind == billing.KindReseller {
			a.MarginPercent = &margin
		}
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.CreateAccount(a, at, "test") }
	}
	sub := func(id, account string) billing.Command {
		n := billing.NewSubscription{ID: id, Account: account, PlanID: "basic", Start: billingtest.Day(2026, 10, 1)}
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.CreateSubscription(n, at, "test")
		}
	}
	err = w.svc.Do(ctx,
		acc(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor"}),
		acc(billing.Account{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist"}),
		acc(billing.Account{ID: "R1", Kind: billing.KindReseller, Parent: "D", Name: "Reseller One"}),
		acc(billing.Account{ID: "R2", Kind: billing.KindReseller, Parent: "D", Name: "Reseller Two"}),
		acc(billing.Account{ID: "C1", Kind: billing.KindCustomer, Parent: "R1", Name: "Customer One"}),
		acc(billing.Account{ID: "C2", Kind: billing.KindCustomer, Parent: "R1", Name: "Customer Two"}),
		acc(billing.Account{ID: "C3", Kind: billing.KindCustomer, Parent: "R2", Name: "Customer Three"}),
		sub("S1", "C1"), sub("S2", "C2"), sub("S3", "C3"))
	if err != nil {
		t.Fatal(err)
	}
	at := billingtest.Day(2026, 10, 10)
	err = w.store.WriteUsage(ctx, []ledger.Usage{{Source: "test", EventID: "u1", Subject: "C1", Meter: "calls",
		Quantity: decimal.RequireFromString("1234"), EventTime: at, IngestTime: at, Account: "C1", Subscription: "S1", PlanVersion: "basic@1"}})
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Set(billingtest.Day(2026, 10, 2))
	if _, err := w.svc.RunCycle(ctx, billingtest.Day(2026, 10, 2)); err != nil {
		t.Fatal(err)
	}
	w.clock.Set(billingtest.Day(2026, 10, 2).Add(12 * time.Hour))
	var keys []api.Key
	for _, k := range []struct {
		key     string
		role    api.Role
		partner string
	}{{keyAdmin, api.RoleAdmin, ""}, {keyFinance, api.RoleFinance, ""}, {keyAnalyst, api.RoleAnalyst, ""},
		{keyVendor, api.RoleVendor, "V"}, {keyDist, api.RoleDistributor, "D"}, {keyR1, api.RoleReseller, "R1"}, {keyR2, api.RoleReseller, "R2"}} {
		keys = append(keys, api.Key{Name: k.key, SHA256: keyHash(k.key), Role: k.role, Partner: k.partner})
	}
	ring, err := api.NewKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	w.ring = ring
	w.api, err = api.New(api.Config{Billing: w.svc, Store: w.store, Keys: ring, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(w.api)
	t.Cleanup(w.srv.Close)
	return w
}

// invoiceOf returns the issued invoice of a buyer (the world issues one per customer).
func (w *world) invoiceOf(buyer string) *billing.Invoice {
	w.t.Helper()
	invs := w.svc.Invoices(billing.InvoiceFilter{Buyer: buyer, Kind: billing.DocInvoice})
	if len(invs) == 0 {
		w.t.Fatalf("no invoice for %s", buyer)
	}
	return invs[0]
}

// reply is an answer: status, headers and body.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not a JSON object (%v): %s", err, r.body)
	}
	return v
}

// call sends a request with a key ("" for none) and a body (nil: none; a string is sent as is,
// anything else as JSON).
func (w *world) call(method, path, key string, body any, header ...string) reply {
	w.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			w.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, w.srv.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: data}
}

// decimalFive is what the conformance walk overpays by, so the payment keeps credit to refund.
var decimalFive = decimal.NewFromInt(5)

// apiCorePatterns are the core routes' patterns (the catalog, rejects and consumption routes
// have their own tests).
func apiCorePatterns(w *world) []string { return api.CorePatterns(w.api) }

// written counts what the ledger holds of billing's writes (events and documents), to prove a
// request wrote nothing.
func (w *world) written() int {
	w.t.Helper()
	evs, err := w.store.Events(context.Background(), ledger.EventQuery{})
	if err != nil {
		w.t.Fatal(err)
	}
	docs, err := w.store.Documents(context.Background(), ledger.DocumentQuery{})
	if err != nil {
		w.t.Fatal(err)
	}
	return len(evs) + len(docs)
}
