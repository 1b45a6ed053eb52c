package billing_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/shopspring/decimal"
)

// payWorld is a channel with customers K1..Kn, each with two issued invoices (1 Oct in advance;
// 1 Nov: October's arrears and November in advance), the clock at 10 Nov 2026.
type payWorld struct {
	*svcWorld
	mem *ledgertest.MemStore
}

func newPayWorld(t *testing.T, customers int) *payWorld {
	t.Helper()
	mem := ledgertest.NewMemStore()
	return newPayWorldOn(t, customers, mem, mem)
}

// newPayWorldOn builds the world on store, which writes through to mem.
func newPayWorldOn(t *testing.T, customers int, store billing.Store, mem *ledgertest.MemStore) *payWorld {
	t.Helper()
	w := &payWorld{svcWorld: newSvcWorld(t, store), mem: mem}
	w.channel(customers)
	w.usage("u1", "K1", "S1", "1234", billingtest.Day(2026, 10, 5), billingtest.Day(2026, 10, 5))
	w.run(billingtest.Day(2026, 10, 2))
	w.run(billingtest.Day(2026, 11, 2))
	w.clock.Set(billingtest.Day(2026, 11, 10))
	return w
}

// invoices are a buyer's invoices, oldest first.
func (w *payWorld) invoices(buyer string) []*billing.Invoice {
	w.t.Helper()
	invs := w.svc.Invoices(billing.InvoiceFilter{Buyer: buyer, Kind: billing.DocInvoice})
	if len(invs) < 2 {
		w.t.Fatalf("%s has %d invoices, the fixture needs 2", buyer, len(invs))
	}
	return invs
}

func (w *payWorld) pay(in billing.PaymentInput) *billing.Payment {
	w.t.Helper()
	if in.Currency == "" {
		in.Currency = "EUR"
	}
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = w.clock.Now()
	}
	p, err := w.svc.RecordPayment(context.Background(), in, "finance")
	if err != nil {
		w.t.Fatalf("record payment %s: %v", in.ID, err)
	}
	return p
}

func (w *payWorld) status(id string) billing.Status {
	w.t.Helper()
	inv, ok := w.svc.Invoice(id)
	if !ok {
		w.t.Fatalf("invoice %s not found", id)
	}
	return inv.Status
}

// openOf is the open amount the Balance reports for an invoice (zero when not listed).
func openOf(b billing.AccountBalance, id string) decimal.Decimal {
	for _, o := range b.Open {
		if o.ID == id {
			return o.Open
		}
	}
	return decimal.Zero
}

func TestPaymentAllocation(t *testing.T) {
	cents := decimal.RequireFromString
	tests := []struct {
		name string
		// amount and named invoices, from the two invoices' totals
		amount func(t1, t2 decimal.Decimal) decimal.Decimal
		named  func(i1, i2 *billing.Invoice) []string
		// want: status and open amount of each invoice, and the credit left
		status1, status2 billing.Status
		open1, open2     func(t1, t2 decimal.Decimal) decimal.Decimal
		credit           func(t1, t2 decimal.Decimal) decimal.Decimal
	}{
		{
			name:    "partial payment leaves the oldest invoice issued with an open amount",
			amount:  func(_, _ decimal.Decimal) decimal.Decimal { return cents("10.01") },
			status1: billing.StatusIssued, status2: billing.StatusIssued,
			open1:  func(t1, _ decimal.Decimal) decimal.Decimal { return t1.Sub(cents("10.01")) },
			open2:  func(_, t2 decimal.Decimal) decimal.Decimal { return t2 },
			credit: func(_, _ decimal.Decimal) decimal.Decimal { return decimal.Zero },
		},
		{
			name:    "oldest first: the first is paid, the rest goes to the second",
			amount:  func(t1, _ decimal.Decimal) decimal.Decimal { return t1.Add(cents("5")) },
			status1: billing.StatusPaid, status2: billing.StatusIssued,
			open1:  func(_, _ decimal.Decimal) decimal.Decimal { return decimal.Zero },
			open2:  func(_, t2 decimal.Decimal) decimal.Decimal { return t2.Sub(cents("5")) },
			credit: func(_, _ decimal.Decimal) decimal.Decimal { return decimal.Zero },
		},
		{
			name:    "named invoice is paid, the older one stays open",
			amount:  func(_, t2 decimal.Decimal) decimal.Decimal { return t2 },
			named:   func(_, i2 *billing.Invoice) []string { return []string{i2.Number} },
			status1: billing.StatusIssued, status2: billing.StatusPaid,
			open1:  func(t1, _ decimal.Decimal) decimal.Decimal { return t1 },
			open2:  func(_, _ decimal.Decimal) decimal.Decimal { return decimal.Zero },
			credit: func(_, _ decimal.Decimal) decimal.Decimal { return decimal.Zero },
		},
		{
			name:    "named invoice by id, the excess is credit and does not pay the other",
			amount:  func(_, t2 decimal.Decimal) decimal.Decimal { return t2.Add(cents("3.50")) },
			named:   func(_, i2 *billing.Invoice) []string { return []string{i2.ID} },
			status1: billing.StatusIssued, status2: billing.StatusPaid,
			open1:  func(t1, _ decimal.Decimal) decimal.Decimal { return t1 },
			open2:  func(_, _ decimal.Decimal) decimal.Decimal { return decimal.Zero },
			credit: func(_, _ decimal.Decimal) decimal.Decimal { return cents("3.50") },
		},
		{
			name:    "overpayment pays both and keeps the rest as credit",
			amount:  func(t1, t2 decimal.Decimal) decimal.Decimal { return t1.Add(t2).Add(cents("0.01")) },
			status1: billing.StatusPaid, status2: billing.StatusPaid,
			open1:  func(_, _ decimal.Decimal) decimal.Decimal { return decimal.Zero },
			open2:  func(_, _ decimal.Decimal) decimal.Decimal { return decimal.Zero },
			credit: func(_, _ decimal.Decimal) decimal.Decimal { return cents("0.01") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newPayWorld(t, 2)
			invs := w.invoices("K1")
			t1, t2 := invs[0].Total, invs[1].Total
			in := billing.PaymentInput{ID: "p1", Account: "K1", Amount: tt.amount(t1, t2), Method: "bank_transfer"}
			if tt.named != nil {
				in.Invoices = tt.named(invs[0], invs[1])
			}
			p := w.pay(in)
			if got := w.status(invs[0].ID); got != tt.status1 {
				t.Errorf("first invoice %s is %s, want %s", invs[0].Number, got, tt.status1)
			}
			if got := w.status(invs[1].ID); got != tt.status2 {
				t.Errorf("second invoice %s is %s, want %s", invs[1].Number, got, tt.status2)
			}
			b := w.svc.Balance("K1")
			for i, want := range []decimal.Decimal{tt.open1(t1, t2), tt.open2(t1, t2)} {
				if got := openOf(b, invs[i].ID); !got.Equal(want) {
					t.Errorf("invoice %d open %s, want %s", i+1, got, want)
				}
			}
			if want := tt.credit(t1, t2); !b.Credit.Equal(want) || !p.Unallocated.Equal(want) {
				t.Errorf("credit: balance %s, payment %s, want %s", b.Credit, p.Unallocated, want)
			}
			allocated := decimal.Zero
			for _, a := range p.Allocations {
				allocated = allocated.Add(a.Amount)
			}
			if !allocated.Add(p.Unallocated).Equal(p.Amount) {
				t.Errorf("allocations %s + unallocated %s != amount %s", allocated, p.Unallocated, p.Amount)
			}
			// Another customer's invoices are untouched.
			if other := w.svc.Balance("K2"); len(other.Open) != 2 {
				t.Errorf("K2 has %d open invoices after K1 paid, want 2", len(other.Open))
			}
		})
	}
}

func TestOverpaymentCreditIsUsedByTheNextPayment(t *testing.T) {
	w := newPayWorld(t, 1)
	invs := w.invoices("K1")
	first := w.pay(billing.PaymentInput{ID: "p1", Account: "K1", Amount: invs[0].Total.Add(decimal.RequireFromString("20")), Invoices: []string{invs[0].ID}})
	if !first.Unallocated.Equal(decimal.NewFromInt(20)) {
		t.Fatalf("first payment keeps %s as credit, want 20", first.Unallocated)
	}
	second := w.pay(billing.PaymentInput{ID: "p2", Account: "K1", Amount: decimal.RequireFromString("1.00")})
	if len(second.CreditApplied) != 1 || second.CreditApplied[0].Payment != "p1" || !second.CreditApplied[0].Amount.Equal(decimal.NewFromInt(20)) {
		t.Errorf("second payment's credit applied: %+v, want 20 of p1", second.CreditApplied)
	}
	p1, _ := w.svc.Payment("p1")
	if !p1.Unallocated.IsZero() || len(p1.Allocations) != 2 {
		t.Errorf("p1 after its credit was used: unallocated %s, %d allocations", p1.Unallocated, len(p1.Allocations))
	}
	b := w.svc.Balance("K1")
	if want := invs[1].Total.Sub(decimal.NewFromInt(21)); !openOf(b, invs[1].ID).Equal(want) || !b.Credit.IsZero() {
		t.Errorf("second invoice open %s (want %s), credit %s (want 0)", openOf(b, invs[1].ID), want, b.Credit)
	}
}

func TestNamedInvoiceAlreadyPaidKeepsTheMoneyAsCredit(t *testing.T) {
	w := newPayWorld(t, 1)
	invs := w.invoices("K1")
	w.pay(billing.PaymentInput{ID: "p1", Account: "K1", Amount: invs[0].Total, Invoices: []string{invs[0].Number}})
	p := w.pay(billing.PaymentInput{ID: "p2", Account: "K1", Amount: invs[0].Total, Invoices: []string{invs[0].Number}})
	if len(p.Allocations) != 0 || !p.Unallocated.Equal(invs[0].Total) || len(p.Notes) != 1 {
		t.Errorf("paying a paid invoice again: allocations %+v, unallocated %s, notes %q", p.Allocations, p.Unallocated, p.Notes)
	}
	if got := w.status(invs[1].ID); got != billing.StatusIssued {
		t.Errorf("the unnamed invoice became %s", got)
	}
}

func TestRefundPayment(t *testing.T) {
	w := newPayWorld(t, 1)
	invs := w.invoices("K1")
	ctx := context.Background()
	w.pay(billing.PaymentInput{ID: "p1", Account: "K1", Amount: invs[0].Total.Add(decimal.NewFromInt(30)), Invoices: []string{invs[0].ID}})
	tests := []struct {
		name    string
		in      billing.RefundInput
		want    error
		credit  string // the account credit after the call
		refunds int    // refunds of p1 after the call
	}{
		{"part of the credit", billing.RefundInput{ID: "r1", Payment: "p1", Amount: decimal.NewFromInt(10), Reason: "asked"}, nil, "20", 1},
		{"the same refund again is the same refund", billing.RefundInput{ID: "r1", Payment: "p1", Amount: decimal.NewFromInt(10), Reason: "asked"}, nil, "20", 1},
		{"the same id with another amount", billing.RefundInput{ID: "r1", Payment: "p1", Amount: decimal.NewFromInt(11), Reason: "asked"}, billing.ErrConflict, "20", 1},
		{"more than the credit left", billing.RefundInput{ID: "r2", Payment: "p1", Amount: decimal.RequireFromString("20.01")}, billing.ErrConflict, "20", 1},
		{"finer than a cent", billing.RefundInput{ID: "r3", Payment: "p1", Amount: decimal.RequireFromString("0.001")}, billing.ErrInvalid, "20", 1},
		{"an unknown payment", billing.RefundInput{ID: "r4", Payment: "nope", Amount: decimal.NewFromInt(1)}, billing.ErrNotFound, "20", 1},
		{"zero", billing.RefundInput{ID: "r5", Payment: "p1", Amount: decimal.Zero}, billing.ErrInvalid, "20", 1},
		{"the rest", billing.RefundInput{ID: "r6", Payment: "p1", Amount: decimal.NewFromInt(20)}, nil, "0", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := w.svc.RefundPayment(ctx, tt.in, "finance")
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("refund: %v, want %v", err, tt.want)
			}
			if err == nil && (r.ID != tt.in.ID || !r.Amount.Equal(tt.in.Amount)) {
				t.Errorf("refund %+v, asked %+v", r, tt.in)
			}
			if c := w.svc.Balance("K1").Credit; !c.Equal(decimal.RequireFromString(tt.credit)) {
				t.Errorf("credit %s, want %s", c, tt.credit)
			}
			if p, _ := w.svc.Payment("p1"); len(p.Refunds) != tt.refunds {
				t.Errorf("p1 has %d refunds, want %d", len(p.Refunds), tt.refunds)
			}
		})
	}
	// Allocated money is not refunded: p2 pays the second invoice exactly.
	w.pay(billing.PaymentInput{ID: "p2", Account: "K1", Amount: invs[1].Total})
	if _, err := w.svc.RefundPayment(ctx, billing.RefundInput{ID: "r7", Payment: "p2", Amount: decimal.NewFromInt(1)}, "finance"); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("refund of allocated money: %v, want conflict", err)
	}
}

func TestRecordPaymentIsIdempotent(t *testing.T) {
	w := newPayWorld(t, 1)
	invs := w.invoices("K1")
	ctx := context.Background()
	in := billing.PaymentInput{ID: "psp-123", Account: "K1", Amount: invs[0].Total.Sub(decimal.NewFromInt(1)), Currency: "EUR",
		ReceivedAt: w.clock.Now().Add(1500 * time.Millisecond), Method: "card", Reference: "ref-1"}
	first, err := w.svc.RecordPayment(ctx, in, "webhook")
	if err != nil {
		t.Fatal(err)
	}
	before := ledgerDump(t, w.store)
	for _, svc := range []*billing.Service{w.svc, w.open()} { // the same process, and after a restart
		again, err := svc.RecordPayment(ctx, in, "webhook")
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if a, b := mustJSON(t, first), mustJSON(t, again); a != b {
			t.Errorf("replay returned\n%s\nwant\n%s", b, a)
		}
	}
	if after := ledgerDump(t, w.store); after != before {
		t.Errorf("a replay wrote to the ledger")
	}
	changed := []func(*billing.PaymentInput){
		func(p *billing.PaymentInput) { p.Amount = p.Amount.Add(decimal.RequireFromString("0.01")) },
		func(p *billing.PaymentInput) { p.Account = "K0" },
		func(p *billing.PaymentInput) { p.Reference = "ref-2" },
		func(p *billing.PaymentInput) { p.Invoices = []string{invs[1].ID} },
	}
	for i, change := range changed {
		other := in
		change(&other)
		if _, err := w.svc.RecordPayment(ctx, other, "webhook"); !errors.Is(err, billing.ErrConflict) {
			t.Errorf("change %d under the same id: %v, want conflict", i, err)
		}
	}
}

func TestRecordPaymentRefusesBadInput(t *testing.T) {
	w := newPayWorld(t, 2)
	k2 := w.invoices("K2")
	ok := func() billing.PaymentInput {
		return billing.PaymentInput{ID: "p", Account: "K1", Amount: decimal.NewFromInt(10), Currency: "EUR", ReceivedAt: w.clock.Now()}
	}
	tests := []struct {
		name   string
		change func(*billing.PaymentInput)
		want   error
	}{
		{"no id", func(p *billing.PaymentInput) { p.ID = "" }, billing.ErrInvalid},
		{"no account", func(p *billing.PaymentInput) { p.Account = "" }, billing.ErrInvalid},
		{"negative amount", func(p *billing.PaymentInput) { p.Amount = decimal.NewFromInt(-1) }, billing.ErrInvalid},
		{"finer than a cent", func(p *billing.PaymentInput) { p.Amount = decimal.RequireFromString("1.005") }, billing.ErrInvalid},
		{"no receipt time", func(p *billing.PaymentInput) { p.ReceivedAt = time.Time{} }, billing.ErrInvalid},
		{"unknown currency", func(p *billing.PaymentInput) { p.Currency = "XXX" }, billing.ErrInvalid},
		{"another currency than the account's", func(p *billing.PaymentInput) { p.Currency = "JPY" }, billing.ErrCurrencyMismatch},
		{"unknown account", func(p *billing.PaymentInput) { p.Account = "K9" }, billing.ErrNotFound},
		{"unknown invoice", func(p *billing.PaymentInput) { p.Invoices = []string{"R-2026-9999"} }, billing.ErrNotFound},
		{"another buyer's invoice", func(p *billing.PaymentInput) { p.Invoices = []string{k2[0].ID} }, billing.ErrConflict},
		{"an invoice named twice", func(p *billing.PaymentInput) { p.Invoices = []string{"a", "a"} }, billing.ErrInvalid},
	}
	before := ledgerDump(t, w.store)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok()
			tt.change(&in)
			if _, err := w.svc.RecordPayment(context.Background(), in, "finance"); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if after := ledgerDump(t, w.store); after != before {
		t.Errorf("a refused payment wrote to the ledger")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApplyCredit(t *testing.T) {
	w := newPayWorld(t, 2)
	ctx := context.Background()
	invs := w.invoices("K1")
	w.pay(billing.PaymentInput{ID: "p1", Account: "K1", Amount: invs[0].Total.Add(decimal.NewFromInt(20)), Invoices: []string{invs[0].ID}})
	got, err := w.svc.ApplyCredit(ctx, "ac1", "K1", "finance")
	if err != nil || len(got) != 1 || got[0].Invoice != invs[1].ID || !got[0].Amount.Equal(decimal.NewFromInt(20)) || got[0].Payment != "p1" {
		t.Fatalf("apply credit: %v %+v, want 20 of p1 to %s", err, got, invs[1].Number)
	}
	b := w.svc.Balance("K1")
	if !b.Credit.IsZero() || !openOf(b, invs[1].ID).Equal(invs[1].Total.Sub(decimal.NewFromInt(20))) {
		t.Errorf("after applying: credit %s, open %s", b.Credit, openOf(b, invs[1].ID))
	}
	before := ledgerDump(t, w.store)
	for _, svc := range []*billing.Service{w.svc, w.open()} {
		again, err := svc.ApplyCredit(ctx, "ac1", "K1", "finance")
		if err != nil || mustJSON(t, again) != mustJSON(t, got) {
			t.Errorf("replay of ac1: %v %+v, want %+v", err, again, got)
		}
	}
	if none, err := w.svc.ApplyCredit(ctx, "ac2", "K1", "finance"); err != nil || len(none) != 0 {
		t.Errorf("applying without credit: %v %+v", err, none)
	}
	if ledgerDump(t, w.store) != before {
		t.Errorf("a replay or an empty application wrote to the ledger")
	}
	for name, call := range map[string]func() error{
		"ac1 for another account": func() error { _, err := w.svc.ApplyCredit(ctx, "ac1", "K2", "finance"); return err },
		"a payment's id":          func() error { _, err := w.svc.ApplyCredit(ctx, "p1", "K1", "finance"); return err },
		"a payment under ac1's id": func() error {
			_, err := w.svc.RecordPayment(ctx, billing.PaymentInput{ID: "ac1", Account: "K1", Amount: decimal.NewFromInt(1), Currency: "EUR",
				ReceivedAt: w.clock.Now()}, "finance")
			return err
		},
	} {
		if err := call(); !errors.Is(err, billing.ErrConflict) {
			t.Errorf("%s: %v, want conflict", name, err)
		}
	}
}

// An application id with stray whitespace is refused, not a second application of the credit.
func TestApplyCreditRefusesPaddedID(t *testing.T) {
	w := newPayWorld(t, 2)
	ctx := context.Background()
	invs := w.invoices("K1")
	w.pay(billing.PaymentInput{ID: "p1", Account: "K1", Amount: invs[0].Total.Add(decimal.NewFromInt(20)), Invoices: []string{invs[0].ID}})
	before := ledgerDump(t, w.store)
	for _, id := range []string{" ac1", "ac1 ", "ac\t1"} {
		if got, err := w.svc.ApplyCredit(ctx, id, "K1", "finance"); !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), "id: ") {
			t.Errorf("apply credit %q: %v %+v, want ErrInvalid naming the id", id, err, got)
		}
	}
	if ledgerDump(t, w.store) != before {
		t.Errorf("a refused application wrote to the ledger")
	}
}
