package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/chaos"
	"github.com/cascade-billing/cascade/cmd/cascade/internal/config"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/cascade-billing/cascade/rating"
)

// e2eCatalog: one vendor, one plan with a graduated usage charge (no fee billed in advance, so
// the period's invoice is exactly its usage) — the chaos suite's catalog, shared.
const e2eCatalog = chaos.Catalog

const e2eTaxes = chaos.Taxes

// e2eClock is the service's clock: a month passes between two lines of the test.
type e2eClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *e2eClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *e2eClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// e2eKeys are the test's API keys, by name; the config holds only their hashes.
var e2eKeys = map[string]struct {
	role, partner string
}{
	"admin": {"admin", ""}, "finance": {"finance", ""}, "vendor": {"vendor", "v1"},
	"r1": {"reseller", "r1"}, "r2": {"reseller", "r2"},
}

func e2eKey(name string) string { return "e2e-key-" + name }

// e2eNotifySecret signs the notifications the service posts to the test's receiver.
const e2eNotifySecret = "e2e-notify-secret"

// writeE2EConfig writes catalog, taxes and a serve config on the ClickHouse server at addr,
// posting notifications to notifyURL (none when empty).
func writeE2EConfig(t *testing.T, addr, notifyURL string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"catalog.yaml": e2eCatalog, "taxes.yaml": e2eTaxes} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var keys strings.Builder
	for name, k := range e2eKeys {
		sum := sha256.Sum256([]byte(e2eKey(name)))
		fmt.Fprintf(&keys, "  - {name: %s, sha256: %s, role: %s", name, hex.EncodeToString(sum[:]), k.role)
		if k.partner != "" {
			fmt.Fprintf(&keys, ", partner: %s", k.partner)
		}
		keys.WriteString("}\n")
	}
	cfg := fmt.Sprintf(`http: {listen: "127.0.0.1:0", shutdown_timeout: 10s}
ledger:
  clickhouse: {addr: %q, database: cascade_e2e}
kafka:
  embedded: {partitions: 2}
  batch_size: 100
catalog: catalog.yaml
taxes: taxes.yaml
api_keys:
%sbilling: {cycle: "0 0 1 1 *", grace: 1h}
dunning: {cron: "0 0 1 1 *"}
log: {level: info, format: json}
`, addr, keys.String())
	if notifyURL != "" {
		cfg += fmt.Sprintf("notifications:\n  webhook: {url: %q, secret: %s}\n  interval: 100ms\n", notifyURL, e2eNotifySecret)
	}
	p := filepath.Join(dir, "cascade.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServeEndToEnd runs `cascade serve` on loopback with the embedded broker and a private
// ClickHouse server: usage in over HTTP, the period closed by the scheduler, the invoice and a
// commission statement checked against an independent quote, a cross-partner read refused,
// /readyz and /metrics, and a graceful shutdown.
func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ClickHouse and the service")
	}
	chs := clickhousetest.Start(t)
	receiver := newNotifyReceiver(t)
	cfg, err := config.Load(writeE2EConfig(t, chs.Addr, receiver.URL()), nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := &e2eClock{t: time.Date(2026, 9, 25, 12, 0, 0, 0, time.UTC)}
	receiver.setClock(clock.Now)
	stderr := &lockedWriter{}
	e := &env{stdout: io.Discard, stderr: stderr, openLedger: openEmbeddedLedger}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	up := make(chan *server, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, e, cfg, serveOptions{now: clock.Now, started: func(s *server) { up <- s }}) }()
	var s *server
	select {
	case s = <-up:
	case err := <-done:
		t.Fatalf("serve stopped before serving: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start within 60 s")
	}
	base := "http://" + s.addr
	c := &e2eClient{t: t, base: base}

	// The channel and the subscriptions, over the API.
	c.e2eChannel()

	// A vendor's October, sent over POST /v1/usage with one record repeated (a retry).
	clock.Set(time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC))
	want := map[string]decimal.Decimal{}
	var body bytes.Buffer
	rng := rand.New(rand.NewPCG(7, 7))
	n := 0
	for _, cust := range []string{"c1", "c2"} {
		for i := range 40 {
			q := decimal.NewFromInt(int64(1 + rng.IntN(9)))
			at := time.Date(2026, 10, 2+i%17, 8, i, 0, 0, time.UTC)
			fmt.Fprintf(&body, `{"specversion":"1.0","id":"%s-%d","source":"v1/gw","type":"calls","subject":%q,"time":%q,"data":{"quantity":%s}}`+"\n",
				cust, i, cust, at.Format(time.RFC3339), q)
			want[cust] = want[cust].Add(q)
			n++
		}
	}
	first := bytes.SplitN(body.Bytes(), []byte("\n"), 2)[0]
	body.Write(first) // the retry
	body.WriteByte('\n')
	var ans struct{ Accepted, Rejected, Duplicate int }
	c.do("POST", "/v1/usage", "vendor", "application/x-ndjson", body.Bytes(), http.StatusOK, &ans)
	if ans.Accepted+ans.Duplicate != n+1 || ans.Rejected != 0 {
		t.Fatalf("connector: %+v for %d records and one retry", ans, n)
	}

	// Close October at once: the scheduler's cycle, on a clock past the period and the grace.
	// It waits for mediation to commit everything the raw topic holds, so the usage just
	// accepted is in the invoices (checked below against an independent quote) without the
	// test waiting for it.
	clock.Set(time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC))
	if err := s.sched.runCycleNow(ctx); err != nil {
		t.Fatalf("invoice cycle: %v", err)
	}
	reader, err := clickhouse.New(clickhouse.Config{Addr: chs.Addr, Database: "cascade_e2e"})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	oct := ledger.Period{From: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	for _, cust := range []string{"c1", "c2"} {
		waitUsage(t, reader, cust, "calls", oct, want[cust])
	}

	// The invoice of c1, against an independent quote of the plan for its usage.
	cat, err := rating.Load("e2e", []byte(e2eCatalog))
	if err != nil {
		t.Fatal(err)
	}
	quote, err := cat.Quote(rating.QuoteInput{PlanID: "std", At: oct.From, Usage: map[string]decimal.Decimal{"calls": want["c1"]}})
	if err != nil {
		t.Fatal(err)
	}
	net := quote.Currency.Round(quote.Total, quote.Rounding)
	inv := c.invoiceOf("c1", s.svc)
	if !inv.Subtotal.Equal(net) {
		t.Errorf("invoice %s subtotal %s, want the quote's %s (calls %s)", inv.Number, inv.Subtotal, net, want["c1"])
	}
	// Tax and margins are per line, each rounded to the cent (billing/tax.go, billing/split.go).
	tax, margin := decimal.Zero, decimal.Zero
	for _, l := range quote.Lines {
		tax = tax.Add(quote.Currency.Round(l.Amount.Mul(decimal.RequireFromString("0.19")), quote.Rounding))
		margin = margin.Add(l.Amount.Sub(quote.Currency.Round(l.Amount.Mul(decimal.RequireFromString("0.80")), rating.RoundHalfUp)))
	}
	if !inv.Total.Equal(net.Add(tax)) {
		t.Errorf("invoice %s total %s, want %s + 19 %% VAT %s", inv.Number, inv.Total, net, tax)
	}
	if inv.Issuer.ID != "r1" || inv.Number == "" {
		t.Errorf("invoice issuer %q number %q, want issued by r1", inv.Issuer.ID, inv.Number)
	}

	// r1's commission statement for November (the month the invoice was issued): r1 keeps
	// its 20 % margin of what it sold c1, and nothing of c2 (r2's customer).
	st := c.statementOf("r1", "2026-11", s.svc)
	if len(st.Totals) != 1 || !st.Totals[0].Margin.Equal(margin) || !st.Totals[0].Retail.Equal(net) {
		t.Errorf("r1 statement totals %+v, want retail %s margin %s", st.Totals, net, margin)
	}
	for _, row := range st.Rows {
		if row.Customer != "c1" {
			t.Errorf("r1's statement shows customer %s", row.Customer)
		}
	}

	// The cycle queued "invoice issued" for both invoices; the dispatcher posts them, signed.
	receiver.waitFor(t, map[string]string{"invoice:" + inv.ID: "invoice_issued", "invoice:" + c.invoiceOf("c2", s.svc).ID: "invoice_issued"})

	// A reseller never sees another reseller's customer.
	c.crossPartner("/v1/accounts/c2", "r1", "r2")
	c.crossPartner("/v1/invoices/"+c.invoiceOf("c2", s.svc).ID, "r1", "r2")

	// Readiness and metrics.
	var rd readiness
	c.do("GET", "/readyz", "", "", nil, http.StatusOK, &rd)
	if !rd.Ready || rd.Checks["ledger"] != "ok" || rd.Checks["mediation_source"] != "ok" {
		t.Errorf("readyz: %+v", rd)
	}
	metrics := string(c.do("GET", "/metrics", "", "", nil, http.StatusOK, nil))
	for _, m := range []string{
		fmt.Sprintf("cascade_mediation_accepted_total %d", n),
		"cascade_mediation_duplicate_total ",
		"cascade_billing_cycle_runs_total 1",
		"cascade_billing_cycle_failures_total 0",
		"cascade_billing_invoices_issued_total 2",
		"cascade_billing_wholesale_closes_total 1", // the complete cycle closed the month before
		"cascade_billing_wholesale_failures_total 0",
		"cascade_notify_delivered_total ",
		"cascade_mediation_consumer_lag{",
		"go_goroutines ",
	} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %q", m)
		}
	}

	// A catalog published while serving (a vendor's draft, approved by an admin): mediation
	// restarts on it, and usage of its new meter is accepted and reaches the ledger.
	c.publishVision()
	var images bytes.Buffer
	const k = 3
	for i := range k {
		fmt.Fprintf(&images, `{"specversion":"1.0","id":"img-%d","source":"v1/gw","type":"images","subject":"c1","time":"2026-11-01T02:0%d:00Z","data":{"quantity":2}}`+"\n", i, i)
	}
	c.sendUntilAccepted(images.Bytes(), k)
	nov := ledger.Period{From: oct.To, To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	waitUsage(t, reader, "c1", "images", nov, decimal.NewFromInt(2*k))
	metrics = string(c.do("GET", "/metrics", "", "", nil, http.StatusOK, nil))
	if m := fmt.Sprintf("cascade_mediation_accepted_total %d\n", n+k); !strings.Contains(metrics, m) {
		t.Errorf("/metrics after the catalog reload lacks %q (counters summed over both pipelines)", m)
	}
	c.do("GET", "/readyz", "", "", nil, http.StatusOK, &rd)

	// Graceful shutdown.
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown\n%s", err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not shut down within 60 s")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the HTTP server still answers after shutdown")
	}
	logs := stderr.String()
	last := -1
	for _, step := range []string{"shutdown requested", "shutdown: HTTP stopped", "shutdown: mediation source stopped",
		"shutdown: schedulers stopped", "shutdown: embedded Kafka broker stopped", "shutdown: ledger closed"} {
		i := strings.Index(logs, step)
		if i < 0 || i < last {
			t.Errorf("the log lacks %q after the previous shutdown step", step)
		}
		last = i
	}
}
