package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/shopspring/decimal"
)

// TestReviewS3CreditNoteSameKeyOtherBodyConflicts: a credit note's id is its idempotency key.
// The same id sent again with another amount is a different request: answering 200 with the
// earlier note tells finance a credit of 30.00 was issued when only 1.00 was. It must be a 409,
// like a payment or a refund replayed with other content, and the invoice's credit unchanged.
func TestReviewS3CreditNoteSameKeyOtherBodyConflicts(t *testing.T) {
	w := newWorld(t)
	inv := w.invoiceOf("C1")
	first := map[string]any{"id": "cn-r1", "invoice": inv.ID, "reason": "outage", "lines": []any{map[string]any{"line": 1, "amount": "1.00"}}}
	if r := w.call("POST", "/v1/credit-notes", keyFinance, first); r.status != http.StatusCreated {
		t.Fatalf("credit note: %d %s", r.status, r.body)
	}
	for _, other := range []map[string]any{
		{"id": "cn-r1", "invoice": inv.ID, "reason": "outage", "lines": []any{map[string]any{"line": 1, "amount": "30.00"}}},
		{"id": "cn-r1", "invoice": inv.ID, "reason": "outage", "full": true},
		{"id": "cn-r1", "invoice": inv.ID, "reason": "another reason", "lines": []any{map[string]any{"line": 1, "amount": "1.00"}}},
	} {
		r := w.call("POST", "/v1/credit-notes", keyFinance, other)
		if r.status != http.StatusConflict {
			t.Errorf("same id, other body %v: %d %.80s…; want 409", other, r.status, r.body)
		}
	}
	if got, _ := w.svc.Invoice(inv.ID); !got.Credited.Equal(decimal.NewFromInt(1)) {
		t.Errorf("invoice credited %s, want 1.00", got.Credited)
	}
}

// TestReviewS3ConcurrentPaymentCreatedOnce: the same payment posted by a client that retried
// (two requests in flight) is recorded once, and exactly one answer may say 201 Created:
// a client books a 201 as a new receipt.
func TestReviewS3ConcurrentPaymentCreatedOnce(t *testing.T) {
	w := newWorld(t)
	inv := w.invoiceOf("C1")
	body := map[string]any{"id": "bank-dup", "account": "C1", "amount": inv.Total.StringFixed(2), "currency": "EUR",
		"received_at": "2026-10-02T09:30:00Z", "method": "bank_transfer"}
	const n = 16
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i] = w.call("POST", "/v1/payments", keyFinance, body).status
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Errorf("status %d among %v", s, statuses)
		}
	}
	if created != 1 {
		t.Errorf("%d of %d identical concurrent payments answered 201 Created (%v); want exactly 1", created, n, statuses)
	}
	if got := len(w.svc.Payments("C1")); got != 1 {
		t.Errorf("%d payments recorded, want 1", got)
	}
}

// TestReviewS3EveryMoneyMoveThroughTheAPIIsAudited: each money-moving request (credit note,
// void, payment, refund) leaves an audit row of its action naming the API key that made it.
func TestReviewS3EveryMoneyMoveThroughTheAPIIsAudited(t *testing.T) {
	w := newWorld(t)
	c1, c2 := w.invoiceOf("C1"), w.invoiceOf("C2")
	steps := []struct {
		path   string
		body   any
		action string
	}{
		{"/v1/credit-notes", map[string]any{"id": "cn-a", "invoice": c1.ID, "reason": "audit", "lines": []any{map[string]any{"line": 1, "amount": "2.00"}}}, billing.AuditCreditNoteIssued},
		{"/v1/invoices/" + c2.ID + "/void", nil, billing.AuditInvoiceVoid},
		{"/v1/payments", map[string]any{"id": "p-a", "account": "C1", "amount": "500.00", "currency": "EUR", "received_at": "2026-10-02T09:00:00Z"}, ""},
		{"/v1/payments/p-a/refunds", map[string]any{"id": "rf-a", "amount": "1.00", "reason": "audit"}, ""},
	}
	for _, s := range steps {
		if r := w.call("POST", s.path, keyFinance, s.body); r.status >= 300 {
			t.Fatalf("POST %s: %d %.300s", s.path, r.status, r.body)
		}
	}
	rows, err := w.svc.Audit(t.Context(), billing.AuditQuery{From: w.clock.Now().Add(-24 * time.Hour), To: w.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	byFinance := map[string]int{}
	var actions []string
	for _, e := range rows {
		actions = append(actions, e.Action+" by "+e.Actor)
		if strings.Contains(e.Actor, keyFinance) {
			byFinance[e.Action]++
		}
	}
	for _, s := range steps {
		if s.action != "" && byFinance[s.action] == 0 {
			t.Errorf("POST %s left no %s audit row by %s; rows: %v", s.path, s.action, keyFinance, actions)
		}
	}
	if len(byFinance) < 4 {
		t.Errorf("audit rows by %s: %v (want one action per money move: credit note, void, payment, refund); all rows: %v", keyFinance, byFinance, actions)
	}
}

// TestReviewS3ConcurrentCyclesIssueOnce: two POST /v1/cycles at once (a double click, two
// schedulers) issue each November invoice once.
func TestReviewS3ConcurrentCyclesIssueOnce(t *testing.T) {
	w := newWorld(t)
	w.clock.Set(time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC))
	before := len(w.svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}))
	var wg sync.WaitGroup
	statuses := make([]int, 4)
	for i := range statuses {
		wg.Add(1)
		go func() { defer wg.Done(); statuses[i] = w.call("POST", "/v1/cycles", keyFinance, nil).status }()
	}
	wg.Wait()
	perBuyer := map[string]int{}
	for _, inv := range w.svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}) {
		if !inv.IssuedAt.Before(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
			perBuyer[inv.Buyer.ID]++
		}
	}
	after := len(w.svc.Invoices(billing.InvoiceFilter{Kind: billing.DocInvoice}))
	for b, n := range perBuyer {
		if n != 1 {
			t.Errorf("buyer %s got %d November invoices from concurrent cycles (statuses %v)", b, n, statuses)
		}
	}
	if after-before != len(perBuyer) || len(perBuyer) == 0 {
		t.Errorf("%d invoices before, %d after, November buyers %v (statuses %v)", before, after, perBuyer, statuses)
	}
}

// TestReviewS3NoSubscriptionToAnotherVendorsProductThroughAChannel: C1 buys through R1 → D →
// vendor V. The revenue split (billing/split*.go) pays the top of the buyer's chain as "the
// vendor" and never looks at the product's vendor, so a subscription of C1 to mail-std (a
// product of vendor W) would hand W's vendor share to V and nothing to W. A reseller of V's
// channel must not be able to open it (or the split must route the share to W).
func TestReviewS3NoSubscriptionToAnotherVendorsProductThroughAChannel(t *testing.T) {
	w := newMoreWorld(t, false)
	for _, key := range []string{"reseller-1", "admin"} {
		body := []byte(`{"id":"sub-mail-` + key + `","account":"C1","plan_id":"mail-std","start":"2026-11-01T00:00:00Z"}`)
		status, b := w.call("POST", "/v1/subscriptions", key, body)
		if status < 400 {
			t.Errorf("%s subscribed C1 (channel of vendor V) to vendor W's mail-std: %d %.200s; want it refused", key, status, b)
		}
	}
}

// limitRecorder is a ledger store that remembers the reject queries it was asked.
type limitRecorder struct {
	*ledgertest.MemStore
	mu      sync.Mutex
	queries []ledger.RejectQuery
}

func (l *limitRecorder) Rejects(ctx context.Context, q ledger.RejectQuery) ([]ledger.Reject, error) {
	l.mu.Lock()
	l.queries = append(l.queries, q)
	l.mu.Unlock()
	return l.MemStore.Rejects(ctx, q)
}

// TestReviewS3VendorRejectListIsBounded: GET /v1/rejects caps what one request loads
// (rejects.go: "caps that keep one request from loading an unbounded reject table into
// memory"). With a source — which every vendor key has — the ledger is asked with no limit,
// so a vendor key asking from=1970-01-01 makes the server read every reject of every vendor,
// original bytes included.
func TestReviewS3VendorRejectListIsBounded(t *testing.T) {
	rec := &limitRecorder{MemStore: ledgertest.NewMemStore()}
	w := newWorld(t)
	var keys []api.Key
	keys = append(keys, api.Key{Name: keyVendor, SHA256: keyHash(keyVendor), Role: api.RoleVendor, Partner: "V"},
		api.Key{Name: keyAdmin, SHA256: keyHash(keyAdmin), Role: api.RoleAdmin})
	ring, err := api.NewKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	h, err := api.New(api.Config{Billing: w.svc, Store: rec, Keys: ring, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct{ key, query string }{
		{keyVendor, "?from=1970-01-01"},
		{keyAdmin, "?from=1970-01-01&source=V"},
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/v1/rejects"+tc.query, nil)
		req.Header.Set("Authorization", "Bearer "+tc.key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		rec.mu.Lock()
		q := rec.queries[len(rec.queries)-1]
		rec.mu.Unlock()
		if res.StatusCode != http.StatusOK || q.Limit == 0 {
			t.Errorf("%s GET /v1/rejects%s: %d, ledger asked for %s..%s with limit %d; want a bounded read",
				tc.key, tc.query, res.StatusCode, q.Period.From.Format(time.DateOnly), q.Period.To.Format(time.DateOnly), q.Limit)
		}
	}
}

// TestReviewS3CreditedPaidInvoiceCanBeRefunded: C1 pays its invoice, finance credits
// it in full (the payment's money must become credit, refundable) and refunds that credit. Voiding the credit
// note then must not leave the invoice paid: the customer has its money back, so either the
// void is refused or the invoice is open again for its total. Anything else loses the
// invoice's total.
func TestReviewS3CreditedPaidInvoiceCanBeRefunded(t *testing.T) {
	w := newWorld(t)
	inv := w.invoiceOf("C1")
	total := inv.Total.StringFixed(2)
	if r := w.call("POST", "/v1/payments", keyFinance, map[string]any{"id": "p-v", "account": "C1", "amount": total,
		"currency": "EUR", "received_at": "2026-10-02T09:30:00Z"}); r.status != http.StatusCreated {
		t.Fatalf("payment: %d %s", r.status, r.body)
	}
	if r := w.call("POST", "/v1/credit-notes", keyFinance, map[string]any{"id": "cn-v", "invoice": inv.ID, "reason": "goodwill", "full": true}); r.status != http.StatusCreated {
		t.Fatalf("credit note: %d %s", r.status, r.body)
	}
	// billing.RefundPayment's contract: "credit the invoice first (a credit note), and refund
	// what that frees once it is credit". The customer paid 169.20 for an invoice now worth 0.
	// What the customer is owed: its credit plus its overpaid invoices (Balance.Overpaid).
	bal := w.svc.Balance("C1")
	owed := bal.Credit
	for _, o := range bal.Overpaid {
		owed = owed.Sub(o.Open)
	}
	if !owed.Equal(inv.Total) {
		t.Errorf("after paying %s and a full credit note, C1 is owed %s (credit %s, overpaid %v); want %s", total, owed, bal.Credit, bal.Overpaid, total)
	}
	r := w.call("POST", "/v1/payments/p-v/refunds", keyFinance, map[string]any{"id": "rf-v", "amount": total, "reason": "credited"})
	if r.status != http.StatusCreated {
		t.Fatalf("refund of the credit a full credit note freed: %d %.300s; want 201", r.status, r.body)
	}
	v := w.call("POST", "/v1/invoices/cn-v/void", keyFinance, nil)
	if v.status != http.StatusOK {
		return // refused: sound
	}
	got, _ := w.svc.Invoice(inv.ID)
	bal = w.svc.Balance("C1")
	if got.Status == billing.StatusPaid || !bal.Due.Equal(inv.Total) {
		t.Errorf("after pay %s, credit in full, refund %s and void of the credit note: invoice %s, balance due %s; want it open for %s",
			total, total, got.Status, bal.Due, total)
	}
}
