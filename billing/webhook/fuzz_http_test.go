package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/billing/webhook"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"gopkg.in/yaml.v3"
)

// The signings FuzzWebhookHTTP puts on a body (the fuzzed mode, modulo their number): only
// signValid may record anything.
const (
	signValid    = iota // the shared secret, now
	signNone            // no signature header
	signOther           // another secret
	signStale           // the secret, 6 minutes ago (tolerance 5)
	signTampered        // the secret, over other bytes than those sent
	signFuzzed          // the fuzzed header value as it is
	signModes
)

// FuzzWebhookHTTP sends arbitrary bodies to the payment webhook, a real billing Service behind
// it, under every signing mode. Whatever the bytes: a status the spec documents for the
// webhook, never a 500, a JSON answer (an error with a message when refused); anything not
// validly signed is a 401 that recorded nothing; a validly signed body that is refused recorded
// nothing; one that is accepted recorded exactly the amount sent, and delivering it again
// answers the same payment and records nothing more.
func FuzzWebhookHTTP(f *testing.F) {
	hw := newHookWorld(f)
	valid := hw.validBody()
	for _, body := range []string{
		valid,
		`{"id":"evt_2","account":"C","amount":12.5,"currency":"EUR","received_at":"2026-10-08T09:00:00+02:00","method":"card","extra":{"k":[1,2]}}`,
		`{"id":"evt_3","account":"C","amount":"1.005","currency":"EUR","received_at":"2026-10-08T09:00:00Z"}`,
		`{"id":"evt_4","account":"V","amount":"1","currency":"USD","received_at":"2026-10-08T09:00:00Z"}`,
		`{"id":"evt_5","account":"nobody","amount":"1","currency":"EUR","received_at":"2026-10-08T09:00:00Z","invoices":["nope"]}`,
		`{"id":"evt_1","account":"C","amount":"2.00","currency":"EUR","received_at":"2026-10-08T09:00:00Z"}`,
		valid[:len(valid)/2], `{"amount":1e999999999}`, `null`, `[]`, ``,
	} {
		for mode := range signModes {
			f.Add(uint8(mode), "t=1,v1=00", []byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, mode uint8, header string, body []byte) {
		hw.check(t, int(mode)%signModes, header, body)
	})
}

// TestFuzzWebhookSeedRecordsOnce: FuzzWebhookHTTP's valid seed is recorded (so the fuzzer
// starts from a body that reaches billing), once, however often it is delivered.
func TestFuzzWebhookSeedRecordsOnce(t *testing.T) {
	hw := newHookWorld(t)
	body := []byte(hw.validBody())
	before := hw.recorded(t)
	hw.check(t, signValid, "", body) // delivers twice, checks the second recorded nothing
	if hw.recorded(t) == before {
		t.Fatalf("the valid seed recorded nothing: %s", before)
	}
	var ids []string
	for _, p := range hw.svc.Payments("C") {
		ids = append(ids, p.ID)
	}
	if !slices.Equal(ids, []string{"evt_1"}) {
		t.Fatalf("payments of C: %v, want [evt_1]", ids)
	}
}

// validBody is a payment of C's invoice, in full.
func (hw *hookWorld) validBody() string {
	return `{"id":"evt_1","account":"C","amount":"` + hw.inv.Total.StringFixed(2) + `","currency":"EUR","received_at":"2026-10-08T09:00:00Z","reference":"SEPA-1","invoices":["` + hw.inv.ID + `"]}`
}

// hookWorld is a billing Service on an in-memory ledger where customer C (of vendor V) has one
// issued invoice of 1 Oct 2026, and the webhook in front of it; the clock stands at 9 Oct.
type hookWorld struct {
	svc      *billing.Service
	store    *ledgertest.MemStore
	inv      *billing.Invoice
	hook     *webhook.Handler
	statuses []int // the webhook's documented statuses (docs/openapi.yaml)
	built    int   // the ledger's events when built: a world grown far past it is rebuilt
}

var hookNow = billingtest.Day(2026, 10, 9)

func newHookWorld(tb testing.TB) *hookWorld {
	tb.Helper()
	hw := &hookWorld{statuses: webhookStatuses(tb)}
	hw.build(tb)
	return hw
}

// build makes a fresh world: the fuzzed payments of the previous one are gone.
func (hw *hookWorld) build(tb testing.TB) {
	tb.Helper()
	taxes, err := billing.LoadTaxRules("../testdata/taxes.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	clock := billingtest.Day(2026, 9, 20)
	hw.store = ledgertest.NewMemStore()
	hw.svc, err = billing.New(billing.Config{Store: hw.store, Catalog: billingtest.Catalog(tb), Taxes: taxes,
		Now: func() time.Time { return clock }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if err := hw.svc.Load(ctx); err != nil {
		tb.Fatal(err)
	}
	account := func(a billing.Account) billing.Command {
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.CreateAccount(a, at, "test") }
	}
	err = hw.svc.Do(ctx,
		account(billing.Account{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"}),
		account(billing.Account{ID: "C", Kind: billing.KindCustomer, Parent: "V", Name: "Customer", Currency: "EUR",
			TaxJurisdiction: "FR", BillingDay: 1, PaymentTermsDays: 14}),
		func(st *billing.State, at time.Time) ([]ledger.Event, error) {
			return st.CreateSubscription(billing.NewSubscription{ID: "S", Account: "C", PlanID: "basic", Start: billingtest.Day(2026, 10, 1)}, at, "test")
		})
	if err != nil {
		tb.Fatal(err)
	}
	clock = billingtest.Day(2026, 10, 2)
	if _, err := hw.svc.RunCycle(ctx, clock); err != nil {
		tb.Fatal(err)
	}
	invs := hw.svc.Invoices(billing.InvoiceFilter{Buyer: "C"})
	if len(invs) != 1 {
		tb.Fatalf("fixture: %d invoices", len(invs))
	}
	hw.inv, clock = invs[0], hookNow
	hw.hook, err = webhook.New(webhook.Config{Secret: secret, Service: hw.svc, Now: func() time.Time { return hookNow },
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	hw.built = len(hw.events(tb))
}

// webhookStatuses reads the statuses docs/openapi.yaml documents for the webhook.
func webhookStatuses(tb testing.TB) []int {
	tb.Helper()
	data, err := os.ReadFile("../../docs/openapi.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]any `yaml:"responses"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		tb.Fatal(err)
	}
	var out []int
	for code := range doc.Paths["/v1/payments/webhook"]["post"].Responses {
		n, err := strconv.Atoi(code)
		if err != nil {
			tb.Fatalf("webhook response %q is not a status", code)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		tb.Fatal("docs/openapi.yaml documents no webhook responses")
	}
	return out
}

func (hw *hookWorld) events(tb testing.TB) []ledger.Event {
	evs, err := hw.store.Events(context.Background(), ledger.EventQuery{})
	if err != nil {
		tb.Fatal(err)
	}
	return evs
}

// recorded is what a delivery may change: the payments billing holds, the ledger's events,
// documents and audit entries, and its journal balances.
func (hw *hookWorld) recorded(tb testing.TB) string {
	var ids []string
	_ = hw.svc.View(func(st *billing.State) error {
		for _, a := range st.Accounts() {
			ids = append(ids, a.ID)
		}
		return nil
	})
	n := 0
	for _, id := range ids {
		n += len(hw.svc.Payments(id))
	}
	ctx, end := context.Background(), billingtest.Day(2100, 1, 1)
	bals, err := hw.store.Balances(ctx, ledger.BalanceQuery{AsOf: end})
	if err != nil {
		tb.Fatal(err)
	}
	docs, err := hw.store.Documents(ctx, ledger.DocumentQuery{})
	if err != nil {
		tb.Fatal(err)
	}
	audit, err := hw.store.Audit(ctx, ledger.AuditQuery{Period: ledger.Period{From: time.Unix(0, 0), To: end}})
	if err != nil {
		tb.Fatal(err)
	}
	return fmt.Sprintf("payments=%d events=%d documents=%d audit=%d balances=%v", n, len(hw.events(tb)), len(docs), len(audit), bals)
}

// deliver POSTs body with a signature header (none when empty) and decodes the JSON answer.
func (hw *hookWorld) deliver(t *testing.T, sig string, body []byte) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/payments/webhook", bytes.NewReader(body))
	if sig != "" {
		req.Header.Set(webhook.SignatureHeader, sig)
	}
	rec := httptest.NewRecorder()
	hw.hook.ServeHTTP(rec, req)
	if rec.Code == http.StatusInternalServerError || !slices.Contains(hw.statuses, rec.Code) {
		t.Fatalf("body %q, signature %q: status %d (documented: %v): %s", body, sig, rec.Code, hw.statuses, rec.Body)
	}
	var answer map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
		t.Fatalf("body %q: status %d, answer is not a JSON object: %s", body, rec.Code, rec.Body)
	}
	if msg, _ := answer["error"].(string); rec.Code != http.StatusOK && strings.TrimSpace(msg) == "" {
		t.Fatalf("body %q: status %d without an error message: %s", body, rec.Code, rec.Body)
	}
	return rec.Code, answer
}

// check delivers one body under one signing mode and checks the webhook's promises.
func (hw *hookWorld) check(t *testing.T, mode int, header string, body []byte) {
	sig := map[int]string{
		signValid:    webhook.Sign(secret, hookNow, body),
		signNone:     "",
		signOther:    webhook.Sign([]byte("not the secret"), hookNow, body),
		signStale:    webhook.Sign(secret, hookNow.Add(-6*time.Minute), body),
		signTampered: webhook.Sign(secret, hookNow, append(slices.Clip(body), ' ')),
		signFuzzed:   header,
	}[mode]
	before := hw.recorded(t)
	status, answer := hw.deliver(t, sig, body)
	after := hw.recorded(t)
	if status != http.StatusOK {
		if mode != signValid && mode != signFuzzed && status != http.StatusUnauthorized && status != http.StatusRequestEntityTooLarge {
			t.Fatalf("body %q under signing mode %d: status %d, want 401", body, mode, status)
		}
		if before != after {
			t.Fatalf("body %q refused with %d but recorded: %s -> %s", body, status, before, after)
		}
		return
	}
	if mode != signValid && mode != signFuzzed {
		t.Fatalf("body %q under signing mode %d was accepted", body, mode)
	}
	in, err := webhook.DecodePayment(body)
	if err != nil {
		t.Fatalf("body %q accepted but does not decode: %v", body, err)
	}
	pay, ok := hw.svc.Payment(in.ID)
	switch {
	case !ok:
		t.Fatalf("body %q accepted, but no payment %q is recorded", body, in.ID)
	case !pay.Amount.Equal(in.Amount) || answer["amount"] != pay.Amount.String():
		t.Fatalf("body %q: amount %s sent, %s recorded, %v answered", body, in.Amount, pay.Amount, answer["amount"])
	}
	// The provider delivers again (its retry, or a duplicate): the same answer, nothing more.
	again, answer2 := hw.deliver(t, sig, body)
	if again != http.StatusOK || answer2["id"] != answer["id"] || answer2["amount"] != answer["amount"] {
		t.Fatalf("body %q delivered twice: %d %v, then %d %v", body, status, answer, again, answer2)
	}
	if final := hw.recorded(t); final != after {
		t.Fatalf("body %q delivered twice recorded twice: %s -> %s", body, after, final)
	}
	if len(hw.events(t)) > hw.built+300 {
		hw.build(t)
	}
}
