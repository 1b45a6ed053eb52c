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
	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/rating"
)

// moreCatalog has two vendors, V and W; each is also a vendor account of the channel.
const moreCatalog = `
vendors: [{id: V, name: Vendor V}, {id: W, name: Vendor W}]
products: [{id: p1, vendor: V, name: API}, {id: mail, vendor: W}]
meters:
  - {id: calls, unit: call, aggregation: sum}
  - {id: emails, unit: email, aggregation: sum}
plans:
  - id: basic
    product: p1
    currency: EUR
    charges:
      - {id: base, type: recurring, model: flat, amount: 31}
      - {id: calls, type: usage, meter: calls, model: graduated, tiers: [{up_to: 1000, unit_price: 0.01}, {unit_price: 0.005}]}
  - {id: mail-std, product: mail, currency: EUR, charges: [{id: e, type: usage, meter: emails, model: per_unit, unit_price: 0.001}]}
`

const moreTaxes = `
jurisdictions:
  DE: { name: VAT, rate: 19, reverse_charge: true }
  FR: { name: VAT, rate: 20, reverse_charge: true }
`

// moreNow is the API's clock in these tests.
var moreNow = time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)

// moreKeys are the test's API keys: the key is the name, role and partner as given.
var moreKeys = []api.Key{
	{Name: "admin", Role: api.RoleAdmin},
	{Name: "finance", Role: api.RoleFinance},
	{Name: "analyst", Role: api.RoleAnalyst},
	{Name: "vendor-v", Role: api.RoleVendor, Partner: "V"},
	{Name: "vendor-w", Role: api.RoleVendor, Partner: "W"},
	{Name: "dist", Role: api.RoleDistributor, Partner: "D"},
	{Name: "reseller-1", Role: api.RoleReseller, Partner: "R1"},
	{Name: "reseller-2", Role: api.RoleReseller, Partner: "R2"},
}

// moreReplayer records what the API hands it.
type moreReplayer struct {
	mu      sync.Mutex
	batches [][][]byte
}

func (r *moreReplayer) Replay(_ context.Context, records [][]byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, records)
	return nil
}

// moreWorld is an API over a billing Service on an in-memory ledger: channel V → D → R1, R2,
// customers C1 (under R1) and C2 (under R2), and W, a second vendor.
type moreWorld struct {
	t        *testing.T
	store    *ledgertest.MemStore
	svc      *billing.Service
	replayer *moreReplayer
	api      *api.API
	srv      *httptest.Server
}

func newMoreWorld(t *testing.T, withReplayer bool) *moreWorld {
	t.Helper()
	cat, err := rating.Load("more", []byte(moreCatalog))
	if err != nil {
		t.Fatal(err)
	}
	taxes, err := billing.ParseTaxRules("taxes", []byte(moreTaxes))
	if err != nil {
		t.Fatal(err)
	}
	w := &moreWorld{t: t, store: ledgertest.NewMemStore(), replayer: &moreReplayer{}}
	now := func() time.Time { return moreNow }
	w.svc, err = billing.New(billing.Config{Store: w.store, Catalog: cat, Taxes: taxes, CatalogVersion: "more-1", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	var cmds []billing.Command
	for _, a := range []billing.Account{
		{ID: "V", Kind: billing.KindVendor, Name: "V", Currency: "EUR", TaxJurisdiction: "DE"},
		{ID: "W", Kind: billing.KindVendor, Name: "W", Currency: "EUR", TaxJurisdiction: "DE"},
		{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "D", Currency: "EUR", TaxJurisdiction: "DE"},
		{ID: "R1", Kind: billing.KindReseller, Parent: "D", Name: "R1", Currency: "EUR", TaxJurisdiction: "FR"},
		{ID: "R2", Kind: billing.KindReseller, Parent: "D", Name: "R2", Currency: "EUR", TaxJurisdiction: "FR"},
		{ID: "C1", Kind: billing.KindCustomer, Parent: "R1", Name: "C1", Currency: "EUR", TaxJurisdiction: "FR", BillingDay: 1},
		{ID: "C2", Kind: billing.KindCustomer, Parent: "R2", Name: "C2", Currency: "EUR", TaxJurisdiction: "FR", BillingDay: 1},
	} {
		cmds = append(cmds, func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.CreateAccount(a, at, "test") })
	}
	if err := w.svc.Do(context.Background(), cmds...); err != nil {
		t.Fatal(err)
	}
	var keys []api.Key
	for _, k := range moreKeys {
		sum := sha256.Sum256([]byte(k.Name))
		k.SHA256 = hex.EncodeToString(sum[:])
		keys = append(keys, k)
	}
	ring, err := api.NewKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Billing: w.svc, Store: w.store, Keys: ring, Now: now}
	if withReplayer {
		cfg.Replayer = w.replayer
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.api, w.srv = h, httptest.NewServer(h)
	t.Cleanup(w.srv.Close)
	return w
}

// call sends a request with key's bearer token ("" = none) and returns the status and body.
func (w *moreWorld) call(method, path, key string, body []byte) (int, []byte) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// callJSON is call that also decodes a successful answer into out.
func (w *moreWorld) callJSON(method, path, key string, body []byte, want int, out any) []byte {
	w.t.Helper()
	status, b := w.call(method, path, key, body)
	if status != want {
		w.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, key, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			w.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

// errorBody decodes an error answer.
func moreError(t *testing.T, b []byte) api.ErrorBody {
	t.Helper()
	var e api.ErrorBody
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("decode error body %s: %v", b, err)
	}
	return e
}
