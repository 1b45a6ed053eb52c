package connector_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/connector"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
	"github.com/cascade-billing/cascade/rating"
)

// The API keys of the test vendors; the handler is configured with their hashes only.
const (
	keyAcme    = "acme-secret-key"
	keyGlobex  = "globex-secret-key"
	keyInitech = "initech-secret-key"
)

// testNow is the fixed clock of every test, so time checks are reproducible.
var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func hashKey(k string) string {
	s := sha256.Sum256([]byte(k))
	return hex.EncodeToString(s[:])
}

func loadCatalog(tb testing.TB) *rating.Catalog {
	tb.Helper()
	c, err := rating.LoadFile("testdata/catalog.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// directory knows: cust-1 (acme, account scope), cust-2 (acme, in pricing group grp-1),
// cust-g (globex).
func directory() *mediationtest.Directory {
	d := mediationtest.NewDirectory()
	d.Add("cust-1", mediation.Enrichment{Account: "acct-1", PlanID: "acme_pro", PlanVersion: 1})
	d.Add("cust-2", mediation.Enrichment{Account: "acct-2", PricingGroup: "grp-1", PlanID: "acme_pro", PlanVersion: 1})
	d.Add("cust-g", mediation.Enrichment{Account: "acct-g", PlanID: "globex_basic", PlanVersion: 1})
	return d
}

// publisher is a fake connector.Publisher that keeps copies of what it was given.
type publisher struct {
	mu   sync.Mutex
	err  error
	recs []mediation.Outgoing
}

func (p *publisher) Publish(_ context.Context, recs []mediation.Outgoing) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	for _, r := range recs {
		p.recs = append(p.recs, mediation.Outgoing{Scope: r.Scope, Value: append([]byte(nil), r.Value...)})
	}
	return nil
}

// deadLetters is a fake mediation.DeadLetters.
type deadLetters struct {
	mu   sync.Mutex
	err  error
	recs []mediation.Rejected
}

func (d *deadLetters) Publish(_ context.Context, rs []mediation.Rejected) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return d.err
	}
	d.recs = append(d.recs, rs...)
	return nil
}

var errBroker = errors.New("broker down")

type fixture struct {
	h   *connector.Handler
	pub *publisher
	dlq *deadLetters
}

// newFixture builds a handler over the test catalog and directory with fake sinks; edit
// adjusts the config first.
func newFixture(tb testing.TB, edit func(*connector.Config)) *fixture {
	tb.Helper()
	f := &fixture{pub: &publisher{}, dlq: &deadLetters{}}
	cfg := connector.Config{
		Catalog:     loadCatalog(tb),
		Directory:   directory(),
		Publisher:   f.pub,
		DeadLetters: f.dlq,
		APIKeys:     map[string]string{hashKey(keyAcme): "acme", hashKey(keyGlobex): "globex", hashKey(keyInitech): "initech"},
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock:       func() time.Time { return testNow },
	}
	if edit != nil {
		edit(&cfg)
	}
	h, err := connector.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	f.h = h
	return f
}

// event is one CloudEvents usage record as JSON.
func event(id, source, meter, subject, quantity string) string {
	return fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":%q,"type":%q,"subject":%q,"time":%q,"data":{"quantity":%s}}`,
		id, source, meter, subject, testNow.Add(-time.Minute).Format(time.RFC3339Nano), quantity)
}

func array(events ...string) string { return "[" + strings.Join(events, ",") + "]" }

func ndjson(events ...string) string { return strings.Join(events, "\n") + "\n" }

// post sends body to the handler and returns the recorded answer.
func (f *fixture) post(key, contentType, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/v1/usage", strings.NewReader(body))
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func decodeResponse(tb testing.TB, w *httptest.ResponseRecorder) connector.Response {
	tb.Helper()
	if w.Code != http.StatusOK {
		tb.Fatalf("status %d, want 200; body %s", w.Code, w.Body)
	}
	var resp connector.Response
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		tb.Fatalf("response %q: %v", w.Body, err)
	}
	checkCounts(tb, resp)
	return resp
}

// checkCounts asserts the response's invariants: one result per index in order, counts add up.
func checkCounts(tb testing.TB, resp connector.Response) {
	tb.Helper()
	n := map[string]int{}
	for i, r := range resp.Results {
		if r.Index != i {
			tb.Fatalf("results[%d].index = %d", i, r.Index)
		}
		n[r.Status]++
	}
	if n[connector.StatusAccepted] != resp.Accepted || n[connector.StatusRejected] != resp.Rejected ||
		n[connector.StatusDuplicate] != resp.Duplicate || resp.Accepted+resp.Rejected+resp.Duplicate != len(resp.Results) {
		tb.Fatalf("counts %d/%d/%d do not match results %v", resp.Accepted, resp.Rejected, resp.Duplicate, n)
	}
}

func decodeError(tb testing.TB, w *httptest.ResponseRecorder) connector.ErrorBody {
	tb.Helper()
	var e connector.ErrorResponse
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		tb.Fatalf("error body %q: %v", w.Body, err)
	}
	return e.Error
}
