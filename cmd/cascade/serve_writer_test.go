package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/cmd/cascade/internal/config"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
	"github.com/shopspring/decimal"
)

// twoServes runs instances of `cascade serve` in this process on one Kafka cluster and one
// ClickHouse database, as two nodes of a deployment would.
type twoServes struct {
	t      *testing.T
	cfg    *config.Config
	clock  *e2eClock
	nodes  []*serveNode
	stderr *lockedWriter
}

type serveNode struct {
	s      *server
	c      *e2eClient
	cancel context.CancelFunc
	done   chan error
}

// newTwoServes prepares instances that share a ClickHouse server and a Kafka cluster; followers
// reload billing every follow (a config duration).
func newTwoServes(t *testing.T, follow string) *twoServes {
	t.Helper()
	chs := clickhousetest.Start(t)
	kc := kafkatest.Start(t)
	ctx := context.Background()
	for topic, n := range map[string]int{"usage.raw": 2, "usage.rejected": 1} {
		if err := kc.CreateTopic(ctx, topic, n); err != nil {
			t.Fatal(err)
		}
	}
	path := writeE2EConfig(t, chs.Addr, "")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The cluster instead of the embedded broker; a short session so a stopped writer's
	// successor is elected quickly.
	body := strings.Replace(string(raw), "  embedded: {partitions: 2}\n",
		fmt.Sprintf("  brokers: [%q]\n  session_timeout: 6s\n  heartbeat_interval: 500ms\n", kc.Brokers()[0]), 1)
	body = strings.Replace(body, `billing: {cycle: "0 0 1 1 *", grace: 1h}`,
		`billing: {cycle: "0 0 1 1 *", grace: 1h, follow_interval: `+follow+`}`, 1)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &twoServes{t: t, cfg: cfg, clock: &e2eClock{t: time.Date(2026, 9, 25, 12, 0, 0, 0, time.UTC)},
		stderr: &lockedWriter{}}
}

// start runs one more instance and returns it once it serves.
func (ts *twoServes) start() *serveNode {
	ts.t.Helper()
	e := &env{stdout: io.Discard, stderr: ts.stderr, openLedger: openEmbeddedLedger}
	ctx, cancel := context.WithCancel(context.Background())
	n := &serveNode{cancel: cancel, done: make(chan error, 1)}
	up := make(chan *server, 1)
	go func() {
		n.done <- serve(ctx, e, ts.cfg, serveOptions{now: ts.clock.Now, started: func(s *server) { up <- s }})
	}()
	select {
	case n.s = <-up:
	case err := <-n.done:
		ts.t.Fatalf("serve stopped before serving: %v\n%s", err, ts.stderr.String())
	case <-time.After(90 * time.Second):
		ts.t.Fatal("serve did not start within 90 s")
	}
	n.c = &e2eClient{t: ts.t, base: "http://" + n.s.addr}
	ts.nodes = append(ts.nodes, n)
	ts.t.Cleanup(func() { n.stop(ts.t) })
	return n
}

// stop shuts the instance down gracefully (once).
func (n *serveNode) stop(t *testing.T) {
	if n.cancel == nil {
		return
	}
	n.cancel()
	n.cancel = nil
	select {
	case err := <-n.done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Error("serve did not stop within 60 s")
	}
}

// writer reports what the instance's /readyz says about the billing writer role.
func (n *serveNode) writer() bool {
	n.c.t.Helper()
	_, body := n.c.call("GET", "/readyz", "", "", nil)
	var rd readiness
	if err := json.Unmarshal(body, &rd); err != nil {
		n.c.t.Fatalf("/readyz: %s: %v", body, err)
	}
	return rd.Writer
}

// waitWriter waits until exactly the instance want is the writer among nodes.
func (ts *twoServes) waitWriter(want *serveNode, within time.Duration) {
	ts.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok := true
		for _, n := range ts.nodes {
			if n.cancel != nil && n.writer() != (n == want) {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			ts.t.Fatalf("the billing writer did not settle on the expected instance within %s\n%s", within, ts.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestTwoServesOneWriter runs two instances on one ledger and one Kafka cluster: one is the
// billing writer, the other refuses commands with 503 not_writer but takes usage (and mediates
// its share of the partitions with billing reloaded from the ledger); both schedulers trigger
// the cycle at the same moment and each invoice is issued once; when the writer stops, the
// other instance is elected, reloads what the first one wrote, and a cycle issues nothing new.
func TestTwoServesOneWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ClickHouse, Kafka and two services")
	}
	ts := newTwoServes(t, "200ms")
	a := ts.start()
	ts.waitWriter(a, 30*time.Second)
	b := ts.start()
	ts.waitWriter(a, 30*time.Second)

	// Commands: the writer takes them, the follower refuses with a retry hint.
	a.c.e2eChannel()
	status, body := b.c.call("POST", "/v1/accounts", "admin", "application/json",
		[]byte(`{"id":"c9","kind":"customer","parent":"r1","name":"C9","currency":"EUR","tax_jurisdiction":"DE","billing_day":1}`))
	if status != http.StatusServiceUnavailable || !bytes.Contains(body, []byte(`"not_writer"`)) {
		t.Fatalf("POST /v1/accounts on the follower: HTTP %d %s, want 503 not_writer", status, body)
	}

	// Usage through both instances, once the follower has reloaded the channel.
	ts.clock.Set(time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC))
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, body := b.c.call("GET", "/v1/subscriptions/sub-c2", "admin", "", nil)
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the follower does not know sub-c2 10 s after the writer created it: HTTP %d %s", status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	send := func(n *serveNode, cust string, from, count int) {
		if ans := sendUsage(n, cust, from, count); ans.Accepted != count || ans.Rejected != 0 {
			t.Fatalf("usage through %s: %+v, want %d accepted", n.s.addr, ans, count)
		}
	}
	send(a, "c1", 0, 30)
	send(b, "c1", 30, 30)
	send(b, "c2", 0, 50)

	// Both schedulers fire at once after the period closed.
	ts.clock.Set(time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC))
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, n := range []*serveNode{a, b} {
		wg.Go(func() { errs[i] = n.s.sched.runCycleNow(context.Background()) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("cycle on instance %d: %v", i, err)
		}
	}
	if got := a.s.stats.invoicesIssued.Load() + b.s.stats.invoicesIssued.Load(); got != 2 {
		t.Fatalf("two schedulers issued %d invoices together, want 2 (one per customer)", got)
	}
	invs := a.s.svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice})
	checkOneEach(t, invs, "c1", "c2")
	// 60 and 50 records of 2 calls: 120 calls → 100 × 0.10 + 20 × 0.05 = 11.00; 100 → 10.00.
	for _, inv := range invs {
		want := map[string]string{"c1": "11", "c2": "10"}[inv.Buyer.ID]
		if inv.Subtotal.String() != want {
			t.Errorf("invoice %s of %s: subtotal %s, want %s", inv.Number, inv.Buyer, inv.Subtotal, want)
		}
	}

	// The writer leaves: the follower is elected, reloads, and issues nothing twice.
	a.stop(t)
	ts.waitWriter(b, 30*time.Second)
	if err := b.s.sched.runCycleNow(context.Background()); err != nil {
		t.Fatalf("cycle on the new writer: %v", err)
	}
	if got := b.s.stats.invoicesIssued.Load(); got != 0 {
		t.Fatalf("the new writer issued %d invoices again", got)
	}
	checkOneEach(t, b.s.svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}), "c1", "c2")
	b.c.do("POST", "/v1/accounts", "admin", "application/json",
		[]byte(`{"id":"c9","kind":"customer","parent":"r1","name":"C9","currency":"EUR","tax_jurisdiction":"DE","billing_day":1}`),
		http.StatusCreated, nil)
}

// checkOneEach fails unless invs holds exactly one invoice per buyer, with distinct numbers.
func checkOneEach(t *testing.T, invs []*billing.Invoice, buyers ...string) {
	t.Helper()
	per, numbers := map[string]int{}, map[string]bool{}
	for _, inv := range invs {
		per[inv.Buyer.ID]++
		if numbers[inv.Number] {
			t.Errorf("invoice number %s issued twice", inv.Number)
		}
		numbers[inv.Number] = true
	}
	for _, b := range buyers {
		if per[b] != 1 {
			t.Errorf("%d invoices of %s, want 1", per[b], b)
		}
	}
	if len(invs) != len(buyers) {
		t.Errorf("%d invoices, want %d", len(invs), len(buyers))
	}
}

// sendUsage posts count records of cust (ids cust-from…) through n and returns the answer.
func sendUsage(n *serveNode, cust string, from, count int) (ans struct{ Accepted, Rejected, Duplicate int }) {
	n.c.t.Helper()
	var body bytes.Buffer
	for i := from; i < from+count; i++ {
		at := time.Date(2026, 10, 2+i%17, 8, i%60, 0, 0, time.UTC)
		fmt.Fprintf(&body, `{"specversion":"1.0","id":"%s-%d","source":"v1/gw","type":"calls","subject":%q,"time":%q,"data":{"quantity":"2"}}`+"\n",
			cust, i, cust, at.Format(time.RFC3339))
	}
	n.c.do("POST", "/v1/usage", "vendor", "application/x-ndjson", body.Bytes(), http.StatusOK, &ans)
	return ans
}

// TestFollowerCatchesUpOnMiss: followers reload billing only hourly here, yet usage for
// subscriptions the writer created a moment ago is accepted through the follower — its lookup
// missed, reloaded billing from the ledger and looked again — and the records reach the
// ledger through the follower's share of the partitions too. A stream of unknown subjects is
// rejected without reloading more than once a second.
func TestFollowerCatchesUpOnMiss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ClickHouse, Kafka and two services")
	}
	ts := newTwoServes(t, "1h")
	a := ts.start()
	ts.waitWriter(a, 30*time.Second)
	b := ts.start()
	ts.waitWriter(a, 30*time.Second)
	reloads := func() uint64 { return b.s.writer.reloadsDone() }
	before := reloads()

	a.c.e2eChannel() // accounts and subscriptions, on the writer only
	ts.clock.Set(time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC))
	for _, cust := range []string{"c1", "c2"} {
		if ans := sendUsage(b, cust, 0, 40); ans.Accepted != 40 || ans.Rejected != 0 {
			t.Fatalf("usage of %s through the follower right after the writer created it: %+v, want 40 accepted", cust, ans)
		}
	}
	if got := reloads() - before; got < 1 || got > 2 {
		t.Errorf("the follower reloaded %d times for the new subscriptions, want 1 (2 if the second customer's came a second later)", got)
	}
	oct := ledger.Period{From: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	for _, cust := range []string{"c1", "c2"} {
		waitUsage(t, a.s.store, cust, "calls", oct, decimal.NewFromInt(80))
	}

	// Unknown subjects: rejected, and at most one reload a second however many arrive.
	start, first := time.Now(), reloads()
	rejected := 0
	for i := range 20 {
		ans := sendUsage(b, "ghost", i*50, 50)
		rejected += ans.Rejected
	}
	elapsed := time.Since(start)
	if rejected != 1000 {
		t.Errorf("%d of 1000 records of an unknown subject rejected", rejected)
	}
	if got, most := reloads()-first, uint64(elapsed/catchUpGap)+1; got > most {
		t.Errorf("%d reloads for 1000 unknown-subject records in %s, want at most %d", got, elapsed.Round(time.Millisecond), most)
	}
}
