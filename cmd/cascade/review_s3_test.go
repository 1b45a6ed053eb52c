package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// TestReviewS3EdgeRejectsReachTheRejectTable: a record the usage connector rejects at the edge
// (here: a subject with no subscription yet, the case "replay once the directory is fixed"
// exists for) must be findable through GET /v1/rejects, so that POST /v1/rejects/replay can
// bring it back. `cascade serve` sends the connector's dead letters only to the Kafka rejected
// topic (an in-process topic on the embedded broker), which nothing writes to the ledger.
func TestReviewS3EdgeRejectsReachTheRejectTable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	t.Setenv("CASCADE_HTTP_LISTEN", addr)
	path := writeE2EConfig(t, "unused:9000", "")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(raw), `clickhouse: {addr: "unused:9000", database: cascade_e2e}`, "embedded: {dir: data}", 1)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	store := ledgertest.NewMemStore()
	memLedger := func(context.Context, *env, string) (ledger.Store, error) { return store, nil }
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &lockedWriter{}
	code := make(chan int, 1)
	go func() { code <- runWith(ctx, []string{"serve", "--config", path}, io.Discard, stderr, memLedger) }()
	defer func() {
		cancel()
		select {
		case <-code:
		case <-time.After(60 * time.Second):
			t.Error("serve did not stop within 60 s")
		}
	}()
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			ok := res.StatusCode == http.StatusOK
			_ = res.Body.Close()
			if ok {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	call := func(method, path, key, ctype string, body []byte) (int, []byte) {
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e2eKey(key))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	rec := fmt.Sprintf(`{"specversion":"1.0","id":"review-s3-1","source":"v1/gw","type":"calls","subject":"no-such-customer","time":%q,"data":{"quantity":"3"}}`+"\n",
		time.Now().UTC().Add(-time.Minute).Format(time.RFC3339))
	status, b := call("POST", "/v1/usage", "vendor", "application/x-ndjson", []byte(rec))
	var ans struct{ Accepted, Rejected int }
	if status != http.StatusOK || json.Unmarshal(b, &ans) != nil || ans.Rejected != 1 {
		t.Fatalf("usage: %d %s; want 200 with one record rejected", status, b)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		status, b = call("GET", "/v1/rejects", "admin", "", nil)
		if status == http.StatusOK && bytes.Contains(b, []byte("review-s3-1")) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the record the connector rejected is not in GET /v1/rejects after 5 s (%d %.300s): it cannot be replayed", status, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestReviewS3InvoiceRunNextToServeDoesNotPostTwice: `cascade invoice run` on the ledger a
// running service also bills (docs/cli.md forbids it in prose only; nothing stops it) must not
// bill or post anything twice. The service loaded its state before the command ran; its
// scheduler then runs the same cycle a few hours later. What the ledger holds must equal what
// the command alone would have issued: as many invoices, the same totals, each number once,
// and the receivables debited once per invoice.
func TestReviewS3InvoiceRunNextToServeDoesNotPostTwice(t *testing.T) {
	ctx := context.Background()
	cat, err := rating.LoadFile(exampleCatalog)
	if err != nil {
		t.Fatal(err)
	}
	taxes, err := billing.LoadTaxRules(exampleTaxes)
	if err != nil {
		t.Fatal(err)
	}
	serveAt := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	load := func(store ledger.Store) *billing.Service {
		svc, err := billing.New(billing.Config{Store: store, Catalog: cat, Taxes: taxes, Now: func() time.Time { return serveAt }})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Load(ctx); err != nil {
			t.Fatal(err)
		}
		return svc
	}
	type outcome struct {
		invoices int
		total    decimal.Decimal
		numbers  map[string]int
		debited  decimal.Decimal
	}
	measure := func(store *ledgertest.MemStore) outcome {
		o := outcome{numbers: map[string]int{}}
		for _, inv := range load(store).Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}) {
			if inv.Status == billing.StatusVoid {
				continue
			}
			o.invoices++
			o.total = o.total.Add(inv.Total)
			o.numbers[inv.Number]++
		}
		for _, party := range []string{"customer:c1", "customer:c2", "customer:c10"} {
			lines, err := store.Journal(ctx, ledger.JournalQuery{Party: party, Period: ledger.Period{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range lines {
				if strings.HasSuffix(l.Account, ":"+billing.RoleReceivable) {
					o.debited = o.debited.Add(l.Amount)
				}
			}
		}
		return o
	}
	alone, _ := invoiceLedger(t)
	if code, out, errs := newCLI(t, alone).run("invoice", "run", "--as-of", "2026-11-02"); code != exitOK {
		t.Fatalf("invoice run: exit %d\n%s\n%s", code, out, errs)
	}
	want := measure(alone)

	both, _ := invoiceLedger(t)
	served := load(both) // the running service, loaded before the command
	if code, out, errs := newCLI(t, both).run("invoice", "run", "--as-of", "2026-11-02"); code != exitOK {
		t.Fatalf("invoice run: exit %d\n%s\n%s", code, out, errs)
	}
	_, cycleErr := served.RunCycle(ctx, serveAt)
	got := measure(both)
	if got.invoices != want.invoices || !got.total.Equal(want.total) || !got.debited.Equal(want.debited) {
		t.Errorf("the command next to the service left %d invoices totalling %s, receivables debited %s; the command alone: %d, %s, %s (service cycle err %v)",
			got.invoices, got.total, got.debited, want.invoices, want.total, want.debited, cycleErr)
	}
	for n, k := range got.numbers {
		if k > 1 {
			t.Errorf("invoice number %s is on %d different invoices", n, k)
		}
	}

	// The same, with one account the service opened after the command loaded (sorted between
	// the two): the service's stale sequence numbers its invoices differently from the command.
	mixed, _ := invoiceLedger(t)
	served = load(mixed)
	if code, out, errs := newCLI(t, mixed).run("invoice", "run", "--as-of", "2026-11-02"); code != exitOK {
		t.Fatalf("invoice run: exit %d\n%s\n%s", code, out, errs)
	}
	err = served.Do(ctx, func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.CreateAccount(billing.Account{ID: "c10", Kind: billing.KindCustomer, Parent: "cloudshop", Name: "Customer Ten",
			Currency: "EUR", TaxJurisdiction: "DE", BillingDay: 1, PaymentTermsDays: 14}, at, "test")
	}, subscribe("s10", "c10"))
	if err != nil {
		t.Fatal(err)
	}
	_, cycleErr = served.RunCycle(ctx, serveAt)
	got = measure(mixed)
	byNumber := map[string][]string{}
	for _, inv := range load(mixed).Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}) {
		byNumber[inv.Number] = append(byNumber[inv.Number], inv.Buyer.ID+"/"+inv.ID)
	}
	for n, invs := range byNumber {
		if len(invs) > 1 {
			t.Errorf("invoice number %s is on %d invoices: %v (service cycle err %v)", n, len(invs), invs, cycleErr)
		}
	}
	if !got.debited.Equal(got.total) {
		t.Errorf("receivables debited %s for invoices totalling %s", got.debited, got.total)
	}
	for n, k := range got.numbers {
		if k > 1 {
			t.Errorf("invoice number %s is on %d different invoices", n, k)
		}
	}
}
