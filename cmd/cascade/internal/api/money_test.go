package api_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// dec reads a decimal string field of an answer.
func dec(t *testing.T, v any) decimal.Decimal {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%v (%T) is not a decimal string", v, v)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestInvoiceDocumentsEqualBilling: the JSON document, the list row and the HTML carry billing's
// numbers to the cent.
func TestInvoiceDocumentsEqualBilling(t *testing.T) {
	w := newWorld(t)
	want := w.invoiceOf("C1")
	doc := w.call("GET", "/v1/invoices/"+want.ID, keyR1, nil).json(t)
	for field, amount := range map[string]decimal.Decimal{"subtotal": want.Subtotal, "tax": want.Tax, "total": want.Total} {
		if got := dec(t, doc[field]); !got.Equal(amount) {
			t.Errorf("%s %s, billing says %s", field, got, amount)
		}
	}
	if doc["number"] != want.Number || len(doc["lines"].([]any)) != len(want.Lines) {
		t.Errorf("number %v lines %d, billing: %s, %d lines", doc["number"], len(doc["lines"].([]any)), want.Number, len(want.Lines))
	}
	list := w.call("GET", "/v1/invoices?account=C1&status=issued", keyR1, nil).json(t)["invoices"].([]any)
	if len(list) != 1 || !dec(t, list[0].(map[string]any)["total"]).Equal(want.Total) {
		t.Errorf("list for C1: %v, want one row of total %s", list, want.Total)
	}
	html := w.call("GET", "/v1/invoices/"+want.ID+"/html", keyR1, nil)
	if !strings.HasPrefix(html.header.Get("Content-Type"), "text/html") || !strings.Contains(string(html.body), want.Number) {
		t.Errorf("html: %s, no %s in it", html.header.Get("Content-Type"), want.Number)
	}
	// The issued range is [from, to): the 2 Oct invoices are in [2 Oct, 3 Oct), not in [3 Oct, ...).
	for _, tc := range []struct {
		query string
		n     int
	}{{"issued_from=2026-10-02T00:00:00Z&issued_to=2026-10-03T00:00:00Z", 3}, {"issued_from=2026-10-03T00:00:00Z", 0},
		{"issued_to=2026-10-02T00:00:00Z", 0}, {"kind=credit_note", 0}, {"issuer=R2", 1}} {
		got := w.call("GET", "/v1/invoices?"+tc.query, keyAdmin, nil).json(t)["invoices"].([]any)
		if len(got) != tc.n {
			t.Errorf("%s: %d invoices, want %d", tc.query, len(got), tc.n)
		}
	}
}

// TestPaymentAllocatesAndIsIdempotent: a payment of the invoice's total settles it; the same
// payment again is the same record (200); other content under its id is refused.
func TestPaymentAllocatesAndIsIdempotent(t *testing.T) {
	w := newWorld(t)
	inv := w.invoiceOf("C1")
	body := map[string]any{"id": "bank-77", "account": "C1", "amount": inv.Total.StringFixed(2), "currency": "EUR",
		"received_at": "2026-10-02T09:30:00Z", "method": "bank_transfer", "invoices": []string{inv.Number}}
	r := w.call("POST", "/v1/payments", keyFinance, body, "Idempotency-Key", "bank-77")
	if r.status != http.StatusCreated {
		t.Fatalf("payment: %d %s", r.status, r.body)
	}
	pay := r.json(t)
	allocs := pay["allocations"].([]any)
	if len(allocs) != 1 {
		t.Fatalf("allocations %v, want one", allocs)
	}
	a := allocs[0].(map[string]any)
	// Amounts print with the currency's minor digits, as on the invoice ("169.20", not "169.2").
	if pay["amount"] != inv.Total.StringFixed(2) || a["amount"] != inv.Total.StringFixed(2) || pay["unallocated"] != "0.00" {
		t.Errorf("amounts %v / %v / %v, want %s, %s, 0.00", pay["amount"], a["amount"], pay["unallocated"], inv.Total.StringFixed(2), inv.Total.StringFixed(2))
	}
	if a["invoice"] != inv.ID || !dec(t, a["amount"]).Equal(inv.Total) || a["settled"] != true || !dec(t, pay["unallocated"]).IsZero() {
		t.Errorf("allocation %v unallocated %v, want all of %s to %s, settled", a, pay["unallocated"], inv.Total, inv.ID)
	}
	if got, _ := w.svc.Invoice(inv.ID); got.Status != billing.StatusPaid {
		t.Errorf("invoice status %s, want paid", got.Status)
	}
	bal := w.call("GET", "/v1/accounts/C1/balance", keyR1, nil).json(t)
	if !dec(t, bal["due"]).IsZero() || len(bal["open"].([]any)) != 0 {
		t.Errorf("balance after paying: %v", bal)
	}
	again := w.call("POST", "/v1/payments", keyFinance, body)
	if again.status != http.StatusOK || again.json(t)["id"] != "bank-77" {
		t.Errorf("replay: %d %s, want 200 with the payment", again.status, again.body)
	}
	if n := len(w.svc.Payments("C1")); n != 1 {
		t.Errorf("%d payments recorded, want 1", n)
	}
	for _, tc := range []struct {
		name   string
		change map[string]any
		header string
		status int
		field  string
	}{
		{"other amount, same id", map[string]any{"amount": "1.00"}, "", http.StatusConflict, ""},
		{"header differs", nil, "bank-78", http.StatusBadRequest, "id"},
		{"not a decimal string", map[string]any{"id": "p2", "amount": 12.5}, "", http.StatusBadRequest, "amount"},
		{"exponent", map[string]any{"id": "p6", "amount": "1e999999999"}, "", http.StatusBadRequest, "amount"},
		{"null amount", map[string]any{"id": "p7", "amount": nil}, "", http.StatusBadRequest, "amount"},
		{"too many digits", map[string]any{"id": "p8", "amount": "1" + strings.Repeat("0", 40)}, "", http.StatusBadRequest, "amount"},
		{"finer than cents", map[string]any{"id": "p3", "amount": "1.005"}, "", http.StatusBadRequest, ""},
		{"bad time", map[string]any{"id": "p4", "received_at": "yesterday"}, "", http.StatusBadRequest, "received_at"},
		{"unknown field", map[string]any{"id": "p5", "colour": "red"}, "", http.StatusBadRequest, "colour"},
		{"no id anywhere", map[string]any{"id": ""}, "", http.StatusBadRequest, "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := map[string]any{}
			for k, v := range body {
				b[k] = v
			}
			for k, v := range tc.change {
				b[k] = v
			}
			var hdr []string
			if tc.header != "" {
				hdr = []string{"Idempotency-Key", tc.header}
			}
			r := w.call("POST", "/v1/payments", keyFinance, b, hdr...)
			if r.status != tc.status {
				t.Fatalf("%d, want %d: %s", r.status, tc.status, r.body)
			}
			e := r.json(t)["error"].(map[string]any)
			if tc.field != "" && e["field"] != tc.field {
				t.Errorf("field %v, want %s: %v", e["field"], tc.field, e["message"])
			}
		})
	}
	// The header alone carries the id.
	delete(body, "id")
	body["amount"], body["invoices"] = "3.00", nil
	r = w.call("POST", "/v1/payments", keyFinance, body, "Idempotency-Key", "bank-79")
	if r.status != http.StatusCreated || r.json(t)["id"] != "bank-79" {
		t.Errorf("id from the header: %d %s", r.status, r.body)
	}
}

// TestOverpaymentRefundAndApplyCredit: 5.00 overpaid stays as credit; 2.00 refunded leaves
// 3.00, which pays part of the next invoice when applied.
func TestOverpaymentRefundAndApplyCredit(t *testing.T) {
	w := newWorld(t)
	inv := w.invoiceOf("C3")
	r := w.call("POST", "/v1/payments", keyFinance, map[string]any{"id": "over", "account": "C3",
		"amount": inv.Total.Add(decimal.NewFromInt(5)).StringFixed(2), "currency": "EUR", "received_at": "2026-10-02T09:00:00Z"})
	if r.status != http.StatusCreated || !dec(t, r.json(t)["unallocated"]).Equal(decimal.NewFromInt(5)) {
		t.Fatalf("overpayment: %d %s", r.status, r.body)
	}
	r = w.call("POST", "/v1/payments/over/refunds", keyFinance, map[string]any{"id": "rf", "amount": "2.00", "reason": "asked"})
	if r.status != http.StatusCreated || !dec(t, r.json(t)["amount"]).Equal(decimal.NewFromInt(2)) {
		t.Fatalf("refund: %d %s", r.status, r.body)
	}
	if r := w.call("POST", "/v1/payments/over/refunds", keyFinance, map[string]any{"id": "rf2", "amount": "4.00"}); r.status != http.StatusConflict && r.status != http.StatusBadRequest {
		t.Errorf("refunding more than the credit left: %d %s", r.status, r.body)
	}
	bal := w.call("GET", "/v1/accounts/C3/balance", keyR2, nil).json(t)
	if !dec(t, bal["credit"]).Equal(decimal.NewFromInt(3)) {
		t.Errorf("credit %v, want 3.00", bal["credit"])
	}
	// November's invoice, then the credit applied to it.
	w.clock.Set(billingtest.Day(2026, 11, 2))
	cyc := w.call("POST", "/v1/cycles", keyFinance, map[string]any{"as_of": "2026-11-02T00:00:00Z"}).json(t)
	if cyc["complete"] != true || cyc["invoices"].(float64) != 3 {
		t.Fatalf("cycle: %v", cyc)
	}
	r = w.call("POST", "/v1/accounts/C3/apply-credit", keyFinance, map[string]any{"id": "apply-1"})
	allocs := r.json(t)["allocations"].([]any)
	if r.status != http.StatusOK || len(allocs) != 1 || !dec(t, allocs[0].(map[string]any)["amount"]).Equal(decimal.NewFromInt(3)) {
		t.Fatalf("apply credit: %d %s", r.status, r.body)
	}
	bal = w.call("GET", "/v1/accounts/C3/balance", keyR2, nil).json(t)
	next := w.svc.Invoices(billing.InvoiceFilter{Buyer: "C3"})
	if !dec(t, bal["credit"]).IsZero() || !dec(t, bal["due"]).Equal(next[len(next)-1].Total.Sub(decimal.NewFromInt(3))) {
		t.Errorf("balance after applying: %v (new invoice total %s)", bal, next[len(next)-1].Total)
	}
}

// TestCreditNoteVoidAndPreview: a partial credit note is a negative document listed with the
// credit notes; a void sets the status; a preview writes nothing.
func TestCreditNoteVoidAndPreview(t *testing.T) {
	w := newWorld(t)
	inv := w.invoiceOf("C1")
	req := map[string]any{"id": "cn-7", "invoice": inv.ID, "reason": "outage", "lines": []any{map[string]any{"line": 1, "amount": "12.00"}}}
	r := w.call("POST", "/v1/credit-notes", keyFinance, req)
	if r.status != http.StatusCreated {
		t.Fatalf("credit note: %d %s", r.status, r.body)
	}
	cn := r.json(t)
	if !dec(t, cn["total"]).Equal(decimal.NewFromInt(-12)) || cn["refers_to"] != inv.ID || cn["kind"] != "credit_note" {
		t.Errorf("credit note total %v refers_to %v kind %v", cn["total"], cn["refers_to"], cn["kind"])
	}
	if again := w.call("POST", "/v1/credit-notes", keyFinance, req); again.status != http.StatusOK {
		t.Errorf("the same credit note again: %d, want 200", again.status)
	}
	notes := w.call("GET", "/v1/invoices?kind=credit_note", keyR1, nil).json(t)["invoices"].([]any)
	if len(notes) != 1 || notes[0].(map[string]any)["id"] != "cn-7" {
		t.Errorf("credit notes listed: %v", notes)
	}
	if got, _ := w.svc.Invoice(inv.ID); !got.Credited.Equal(decimal.NewFromInt(12)) {
		t.Errorf("invoice credited %s, want 12", got.Credited)
	}
	if r := w.call("POST", "/v1/credit-notes", keyFinance, map[string]any{"id": "cn-8", "invoice": inv.ID, "reason": "x",
		"lines": []any{map[string]any{"line": 1, "amount": "ten"}}}); r.status != http.StatusBadRequest || r.json(t)["error"].(map[string]any)["field"] != "lines[0].amount" {
		t.Errorf("bad line amount: %d %s", r.status, r.body)
	}

	c2 := w.invoiceOf("C2")
	r = w.call("POST", "/v1/invoices/"+c2.ID+"/void", keyAdmin, nil)
	if r.status != http.StatusOK || r.json(t)["status"] != "void" {
		t.Errorf("void: %d %s", r.status, r.body)
	}
	before := len(w.svc.Invoices(billing.InvoiceFilter{}))
	written := w.written()
	r = w.call("POST", "/v1/invoices/preview", keyR1, map[string]any{"account": "C1", "at": "2026-11-01T00:00:00Z"})
	drafts := r.json(t)["invoices"].([]any)
	if r.status != http.StatusOK || len(drafts) != 1 || drafts[0].(map[string]any)["status"] != "draft" {
		t.Fatalf("preview: %d %s", r.status, r.body)
	}
	if after := len(w.svc.Invoices(billing.InvoiceFilter{})); after != before || w.written() != written {
		t.Errorf("preview wrote: %d documents → %d, %d ledger rows → %d", before, after, written, w.written())
	}
}

// TestCycleEndpoint: a cycle issues what is due and reports it; again, it issues nothing; a
// cycle ahead of the clock is refused.
func TestCycleEndpoint(t *testing.T) {
	w := newWorld(t)
	w.clock.Set(billingtest.Day(2026, 11, 2))
	if r := w.call("POST", "/v1/cycles", keyFinance, map[string]any{"as_of": "2026-11-03T00:00:00Z"}); r.status != http.StatusBadRequest {
		t.Errorf("cycle ahead of the clock: %d, want 400", r.status)
	}
	first := w.call("POST", "/v1/cycles", keyFinance, nil).json(t)
	issued := first["issued"].([]any)
	if first["complete"] != true || len(issued) != 3 || first["invoices"].(float64) != 3 {
		t.Fatalf("first cycle: %v", first)
	}
	for _, id := range issued {
		if inv, ok := w.svc.Invoice(id.(string)); !ok || inv.Status != billing.StatusIssued {
			t.Errorf("issued %v is not an issued invoice in billing", id)
		}
	}
	again := w.call("POST", "/v1/cycles", keyAdmin, "{}").json(t)
	if again["invoices"].(float64) != 0 || len(again["issued"].([]any)) != 0 {
		t.Errorf("re-run issued: %v", again)
	}
}

// TestSubscriptionLifecycle: create, change seats, cancel through the API; the answers are the
// state billing keeps.
func TestSubscriptionLifecycle(t *testing.T) {
	w := newWorld(t)
	r := w.call("POST", "/v1/subscriptions", keyR1, map[string]any{"id": "S7", "account": "C2", "plan_id": "pro",
		"start": "2026-11-01T00:00:00Z", "term": "annual", "auto_renew": true})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if s := r.json(t); s["status"] != "pending" || s["plan_id"] != "pro" || s["term"] != "annual" || s["seats"] != "1" {
		t.Errorf("created %v", s)
	}
	for _, tc := range []struct {
		action string
		body   map[string]any
		status int
		check  func(s map[string]any) bool
	}{
		{"seats", map[string]any{"seats": "4", "effective": "2026-11-10T00:00:00Z"}, http.StatusOK,
			func(s map[string]any) bool { return s["seats"] == "4" }},
		{"seats", map[string]any{"seats": "2", "plan_id": "basic"}, http.StatusBadRequest, nil},
		{"change-plan", map[string]any{}, http.StatusBadRequest, nil},
		{"cancel", map[string]any{"timing": "now", "effective": "2026-11-15T00:00:00Z"}, http.StatusOK,
			func(s map[string]any) bool { return s["cancelled"] == true && s["end"] == "2026-11-15T00:00:00Z" }},
	} {
		r := w.call("POST", "/v1/subscriptions/S7/"+tc.action, keyR1, tc.body)
		if r.status != tc.status {
			t.Errorf("%s %v: %d, want %d: %s", tc.action, tc.body, r.status, tc.status, r.body)
			continue
		}
		if tc.check != nil && !tc.check(r.json(t)) {
			t.Errorf("%s: %s", tc.action, r.body)
		}
	}
	var sub *billing.Subscription
	_ = w.svc.View(func(st *billing.State) error { sub, _ = st.Subscription("S7"); return nil })
	if sub == nil || !sub.Cancelled || !sub.Seats.Equal(decimal.NewFromInt(4)) {
		t.Errorf("billing's S7: %+v", sub)
	}
}

// TestCommissionReportFormats: JSON totals equal billing's statement; CSV and HTML render it.
func TestCommissionReportFormats(t *testing.T) {
	w := newWorld(t)
	period := billing.Period{From: billingtest.Day(2026, 10, 1), To: billingtest.Day(2026, 11, 1)}
	want, err := w.svc.Statement(t.Context(), "R1", period)
	if err != nil {
		t.Fatal(err)
	}
	got := w.call("GET", "/v1/reports/commissions?period=2026-10", keyR1, nil).json(t)
	totals := got["totals"].([]any)
	if len(totals) != len(want.Totals) || len(totals) == 0 {
		t.Fatalf("totals %v, want %d", totals, len(want.Totals))
	}
	if m := dec(t, totals[0].(map[string]any)["margin"]); !m.Equal(want.Totals[0].Margin) || m.IsZero() {
		t.Errorf("margin %s, billing says %s", m, want.Totals[0].Margin)
	}
	r := w.call("GET", "/v1/reports/commissions?partner=R1&period=2026-10&format=csv", keyDist, nil)
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil || r.status != http.StatusOK || strings.Join(rows[0], ",") != strings.Join(billing.StatementCSVHeader, ",") || len(rows) != len(want.Rows)+1 {
		t.Errorf("csv: %d %v, %d rows for %d statement rows", r.status, err, len(rows), len(want.Rows))
	}
	if r := w.call("GET", "/v1/reports/commissions?partner=R1&period=2026-10&format=html", keyR1, nil); !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("html: %d %s", r.status, r.header.Get("Content-Type"))
	}
	for _, q := range []string{"partner=R1&period=2026-13", "partner=R1&period=2026-10&format=pdf", "partner=C1&period=2026-10"} {
		if r := w.call("GET", "/v1/reports/commissions?"+q, keyAdmin, nil); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400: %s", q, r.status, r.body)
		}
	}
}

// TestBodyLimits: bodies are read strictly, and no further than 1 MiB.
func TestBodyLimits(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		name, body string
		status     int
		field      string
	}{
		{"not JSON", "{", http.StatusBadRequest, ""},
		{"two objects", `{"account":"C1"} {}`, http.StatusBadRequest, ""},
		{"wrong type", `{"account": 7}`, http.StatusBadRequest, "account"},
		{"unknown field", `{"account":"C1","when":"now"}`, http.StatusBadRequest, "when"},
		{"too large", `{"account":"` + strings.Repeat("x", 1<<20) + `"}`, http.StatusRequestEntityTooLarge, ""},
		{"empty", ``, http.StatusBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.call("POST", "/v1/invoices/preview", keyAdmin, tc.body)
			if r.status != tc.status {
				t.Fatalf("%d, want %d: %s", r.status, tc.status, r.body)
			}
			if e := r.json(t)["error"].(map[string]any); e["field"] != nil && e["field"] != tc.field || tc.field != "" && e["field"] != tc.field {
				t.Errorf("field %v, want %q", e["field"], tc.field)
			}
		})
	}
}

// TestCycleWithAFailedInvoiceSaysSo: a buyer whose invoice cannot be built (negative usage) does
// not stop the others, and the answer says the cycle is incomplete and names the buyer.
func TestCycleWithAFailedInvoiceSaysSo(t *testing.T) {
	w := newWorld(t)
	at := billingtest.Day(2026, 10, 11)
	err := w.store.WriteUsage(context.Background(), []ledger.Usage{{Source: "test", EventID: "neg", Subject: "C2", Meter: "calls",
		Quantity: decimal.NewFromInt(-5_000_000), EventTime: at, IngestTime: at, Account: "C2", Subscription: "S2", PlanVersion: "basic@1"}})
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Set(billingtest.Day(2026, 11, 2))
	r := w.call("POST", "/v1/cycles", keyFinance, nil)
	if r.status != http.StatusOK {
		t.Fatalf("cycle: %d %s", r.status, r.body)
	}
	rep := r.json(t)
	failed := rep["failed"].([]any)
	if rep["complete"] != false || len(failed) != 1 || failed[0].(map[string]any)["buyer"] != "C2" || rep["invoices"].(float64) != 2 {
		t.Fatalf("report %s, want incomplete with C2 failed and the 2 others issued", r.body)
	}
	if n := len(w.svc.Invoices(billing.InvoiceFilter{Buyer: "C2"})); n != 1 {
		t.Errorf("C2 has %d invoices, want only October's", n)
	}
}
