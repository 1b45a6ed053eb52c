package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/notify"
	"github.com/cascade-billing/cascade/ledger"
)

// lockedWriter lets the service's log and the test share a buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// String returns what was written so far.
func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// e2eClient calls the running service with the test's keys.
type e2eClient struct {
	t    *testing.T
	base string
}

// call sends one request and returns the status and body.
func (c *e2eClient) call(method, path, key, contentType string, body []byte) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+e2eKey(key))
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res.StatusCode, out
}

// do is call that requires the status and decodes the JSON answer into out (when not nil).
func (c *e2eClient) do(method, path, key, contentType string, body []byte, status int, out any) []byte {
	c.t.Helper()
	got, b := c.call(method, path, key, contentType, body)
	if got != status {
		c.t.Fatalf("%s %s as %q: HTTP %d, want %d: %s", method, path, key, got, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

// e2eChannel creates, over POST /v1/accounts and POST /v1/subscriptions with the admin key,
// v1 → d1 (10 % margin) → r1 (20 %) and r2, customers c1 under r1 and c2 under r2 (DE,
// billing day 1), each on plan std from 1 Oct 2026.
func (c *e2eClient) e2eChannel() {
	c.t.Helper()
	for _, a := range []string{
		`{"id":"v1","kind":"vendor","name":"Vendor One","currency":"EUR","tax_jurisdiction":"DE"}`,
		`{"id":"d1","kind":"distributor","parent":"v1","name":"Dist","currency":"EUR","tax_jurisdiction":"DE","margin_percent":"10"}`,
		`{"id":"r1","kind":"reseller","parent":"d1","name":"Reseller One","currency":"EUR","tax_jurisdiction":"DE","margin_percent":"20"}`,
		`{"id":"r2","kind":"reseller","parent":"d1","name":"Reseller Two","currency":"EUR","tax_jurisdiction":"DE","margin_percent":"20"}`,
		`{"id":"c1","kind":"customer","parent":"r1","name":"Customer One","currency":"EUR","tax_jurisdiction":"DE","billing_day":1,"payment_terms_days":30}`,
		`{"id":"c2","kind":"customer","parent":"r2","name":"Customer Two","currency":"EUR","tax_jurisdiction":"DE","billing_day":1,"payment_terms_days":30}`,
	} {
		c.do("POST", "/v1/accounts", "admin", "application/json", []byte(a), http.StatusCreated, nil)
	}
	for _, cust := range []string{"c1", "c2"} {
		body := `{"id":"sub-` + cust + `","account":"` + cust + `","plan_id":"std","start":"2026-10-01T00:00:00Z"}`
		c.do("POST", "/v1/subscriptions", "admin", "application/json", []byte(body), http.StatusCreated, nil)
	}
}

// waitUsage polls the ledger until the account's usage of meter in the period is want.
func waitUsage(t *testing.T, r ledger.Reader, account, meter string, p ledger.Period, want decimal.Decimal) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var got decimal.Decimal
	for time.Now().Before(deadline) {
		totals, err := r.UsageTotals(context.Background(), ledger.UsageQuery{Account: account, Period: p})
		if err != nil {
			t.Fatal(err)
		}
		got = decimal.Zero
		for _, tot := range totals {
			if tot.Meter == meter {
				got = tot.Quantity
			}
		}
		if got.Equal(want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the ledger holds %s %s of %s after 60 s, want %s", got, meter, account, want)
}

// routeMissing says the API has no such route (the mux's plain 404, not the API's JSON error
// body): the API's routes landed while serve was built, and the test says what it could not
// check rather than fail on someone else's missing route.
func routeMissing(status int, body []byte) bool {
	return status == http.StatusNotFound && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{"))
}

// invoiceOf fetches the one invoice of buyer over GET /v1/invoices and GET /v1/invoices/{id};
// were those routes missing it would read billing (and say so in the log).
func (c *e2eClient) invoiceOf(buyer string, svc *billing.Service) *billing.Invoice {
	c.t.Helper()
	status, body := c.call("GET", "/v1/invoices?account="+buyer, "finance", "", nil)
	if routeMissing(status, body) {
		c.t.Logf("GET /v1/invoices is not served: reading invoices of %s from billing", buyer)
		invs := svc.Invoices(billing.InvoiceFilter{Buyer: buyer, Kind: billing.DocInvoice})
		if len(invs) != 1 {
			c.t.Fatalf("%d invoices of %s, want 1", len(invs), buyer)
		}
		return invs[0]
	}
	if status != http.StatusOK {
		c.t.Fatalf("GET /v1/invoices?account=%s: HTTP %d: %s", buyer, status, body)
	}
	var list struct {
		Invoices []struct {
			ID string `json:"id"`
		} `json:"invoices"`
	}
	if err := json.Unmarshal(body, &list); err != nil || len(list.Invoices) != 1 {
		c.t.Fatalf("GET /v1/invoices?account=%s: want one invoice: %s (%v)", buyer, body, err)
	}
	var inv billing.Invoice
	c.do("GET", "/v1/invoices/"+list.Invoices[0].ID, "finance", "", nil, http.StatusOK, &inv)
	return &inv
}

// statementOf fetches partner's commission statement for a month over GET
// /v1/reports/commissions (were that route missing, it would ask billing).
func (c *e2eClient) statementOf(partner, month string, svc *billing.Service) *billing.Statement {
	c.t.Helper()
	path := "/v1/reports/commissions?partner=" + partner + "&period=" + month + "&format=json"
	status, body := c.call("GET", path, partner, "", nil)
	if routeMissing(status, body) {
		c.t.Logf("GET /v1/reports/commissions is not served: asking billing for %s's statement", partner)
		from, err := time.Parse("2006-01", month)
		if err != nil {
			c.t.Fatal(err)
		}
		st, err := svc.Statement(context.Background(), partner, billing.Period{From: from, To: from.AddDate(0, 1, 0)})
		if err != nil {
			c.t.Fatal(err)
		}
		return st
	}
	if status != http.StatusOK {
		c.t.Fatalf("GET %s: HTTP %d: %s", path, status, body)
	}
	var st billing.Statement
	if err := json.Unmarshal(body, &st); err != nil {
		c.t.Fatalf("GET %s: %v: %s", path, err, body)
	}
	return &st
}

// crossPartner checks that the owner's key reads path and the other partner's key is refused
// (404, or 403) without the data; were the route missing it would only log that.
func (c *e2eClient) crossPartner(path, other, owner string) {
	c.t.Helper()
	status, body := c.call("GET", path, owner, "", nil)
	if routeMissing(status, body) {
		c.t.Logf("GET %s is not served: the cross-partner refusal is not checked", path)
		return
	}
	if status != http.StatusOK {
		c.t.Fatalf("GET %s as its owner %s: HTTP %d: %s", path, owner, status, body)
	}
	status, body = c.call("GET", path, other, "", nil)
	if status != http.StatusNotFound && status != http.StatusForbidden {
		c.t.Errorf("GET %s as %s (another partner): HTTP %d, want 404 or 403: %s", path, other, status, body)
	}
	if strings.Contains(string(body), "Customer Two") {
		c.t.Errorf("the refusal leaks the other partner's data: %s", body)
	}
}

// visionDraft is vendor v1's catalog addition: a new meter and a plan pricing it.
const visionDraft = `
products: [{id: vision, vendor: v1, name: Vision}]
meters: [{id: images, unit: image, aggregation: sum}]
plans:
  - id: vision-std
    product: vision
    currency: EUR
    charges:
      - {id: images, type: usage, meter: images, model: per_unit, unit_price: 0.25}
`

// publishVision drafts, submits and approves visionDraft over the API and subscribes c1 to it
// from 1 Nov 2026.
func (c *e2eClient) publishVision() {
	c.t.Helper()
	var d struct {
		ID string `json:"id"`
	}
	c.do("POST", "/v1/catalog/drafts", "vendor", "application/yaml", []byte(visionDraft), http.StatusCreated, &d)
	c.do("POST", "/v1/catalog/drafts/"+d.ID+"/submit", "vendor", "", nil, http.StatusOK, nil)
	c.do("POST", "/v1/catalog/drafts/"+d.ID+"/approve", "admin", "", nil, http.StatusOK, nil)
	c.do("POST", "/v1/subscriptions", "admin", "application/json",
		[]byte(`{"id":"sub-c1-vision","account":"c1","plan_id":"vision-std","start":"2026-11-01T00:00:00Z"}`), http.StatusCreated, nil)
}

// sendUntilAccepted posts the records until the connector accepts them all (it rejects a meter
// until mediation runs on the catalog that has it), for up to 30 s.
func (c *e2eClient) sendUntilAccepted(records []byte, n int) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var ans struct{ Accepted, Rejected, Duplicate int }
		c.do("POST", "/v1/usage", "vendor", "application/x-ndjson", records, http.StatusOK, &ans)
		if ans.Rejected == 0 && ans.Accepted+ans.Duplicate == n {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the connector still answers %+v for %d records of the published meter", ans, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// notifyReceiver is a webhook receiver: it verifies each notification's signature as a real
// receiver must and records the payloads.
type notifyReceiver struct {
	srv *httptest.Server

	mu  sync.Mutex
	now func() time.Time
	got map[string]string // object id → kind
	bad []string
}

func newNotifyReceiver(t *testing.T) *notifyReceiver {
	r := &notifyReceiver{got: map[string]string{}, now: time.Now}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := notify.Verify([]byte(e2eNotifySecret), req.Header.Get(notify.HeaderSignature), body, r.now(), 5*time.Minute); err != nil {
			r.bad = append(r.bad, err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p notify.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			r.bad = append(r.bad, err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.got[p.Object] = p.Kind
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is where the service posts.
func (r *notifyReceiver) URL() string { return r.srv.URL }

// setClock makes the receiver check signature times against the service's clock.
func (r *notifyReceiver) setClock(now func() time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now = now
}

// waitFor waits until every object in want was notified with its kind.
func (r *notifyReceiver) waitFor(t *testing.T, want map[string]string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r.mu.Lock()
		missing := 0
		for obj, kind := range want {
			if r.got[obj] != kind {
				missing++
			}
		}
		got, bad := fmt.Sprint(r.got), slices.Clone(r.bad)
		r.mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("the receiver refused notifications: %v", bad)
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifications received %s, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
