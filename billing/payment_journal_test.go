package billing_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/shopspring/decimal"
)

// TestPaymentJournalAndRestart runs a sequence of payments and a refund over two customers,
// then checks invariant 5 and that the journal's receivable, credit and cash clearing are what
// the Service says — before and after a restart.
func TestPaymentJournalAndRestart(t *testing.T) {
	w := newPayWorld(t, 2)
	ctx := context.Background()
	k1, k2 := w.invoices("K1"), w.invoices("K2")
	w.pay(billing.PaymentInput{ID: "a", Account: "K1", Amount: decimal.RequireFromString("7.77")})
	w.pay(billing.PaymentInput{ID: "b", Account: "K1", Amount: k1[0].Total.Add(k1[1].Total).Add(decimal.NewFromInt(40))})
	w.pay(billing.PaymentInput{ID: "c", Account: "K2", Amount: k2[1].Total.Add(decimal.NewFromInt(5)), Invoices: []string{k2[1].Number}})
	if _, err := w.svc.RefundPayment(ctx, billing.RefundInput{ID: "r", Payment: "b", Amount: decimal.NewFromInt(15)}, "finance"); err != nil {
		t.Fatal(err)
	}
	w.pay(billing.PaymentInput{ID: "d", Account: "K2", Amount: decimal.RequireFromString("2.00")})

	balances, err := w.mem.Balances(ctx, ledger.BalanceQuery{AsOf: billingtest.Day(2030, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	sum, got := decimal.Zero, map[string]decimal.Decimal{}
	for _, b := range balances {
		sum = sum.Add(b.Amount)
		got[b.Account] = b.Amount
	}
	if !sum.IsZero() {
		t.Errorf("the journal sums to %s, not 0", sum)
	}
	check := func(svc *billing.Service, when string) {
		for _, acc := range []string{"K1", "K2"} {
			b := svc.Balance(acc)
			received, refunded := decimal.Zero, decimal.Zero
			for _, p := range svc.Payments(acc) {
				received = received.Add(p.Amount)
				for _, r := range p.Refunds {
					refunded = refunded.Add(r.Amount)
				}
			}
			invoiced := decimal.Zero
			for _, inv := range svc.Invoices(billing.InvoiceFilter{Buyer: acc, Kind: billing.DocInvoice}) {
				invoiced = invoiced.Add(inv.Total)
			}
			for _, c := range []struct {
				role      string
				want      decimal.Decimal
				otherwise string
			}{
				{billing.RoleReceivable, b.Due, "the open invoices"},
				{billing.RoleReceivable, invoiced.Sub(received).Add(refunded).Add(b.Credit), "invoices − payments + refunds + credit"},
				{billing.RoleCredit, b.Credit.Neg(), "minus the credit"},
				{billing.RoleCashClearing, received.Sub(refunded), "payments − refunds"},
			} {
				if g := got["customer:"+acc+":"+c.role]; !g.Equal(c.want) {
					t.Errorf("%s: %s %s is %s, want %s (%s)", when, acc, c.role, g, c.want, c.otherwise)
				}
			}
		}
	}
	check(w.svc, "before restart")
	before := mustJSON(t, []any{w.svc.Balance("K1"), w.svc.Balance("K2"), w.svc.Payments("K1"), w.svc.Payments("K2")})
	restarted := w.open()
	check(restarted, "after restart")
	if after := mustJSON(t, []any{restarted.Balance("K1"), restarted.Balance("K2"), restarted.Payments("K1"), restarted.Payments("K2")}); after != before {
		t.Errorf("restart rebuilt other balances:\n%s\nwant\n%s", after, before)
	}
	for _, inv := range k1 {
		if got, _ := restarted.Invoice(inv.ID); got.Status != billing.StatusPaid {
			t.Errorf("after restart %s is %s, want paid", inv.Number, got.Status)
		}
	}
	audit, err := w.mem.Audit(ctx, ledger.AuditQuery{Period: ledger.Period{From: billingtest.Day(2026, 1, 1), To: billingtest.Day(2030, 1, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, a := range audit {
		actions[a.Action]++
	}
	for action, want := range map[string]int{billing.AuditPaymentRecord: 4, billing.AuditPaymentRefund: 1, billing.AuditInvoicePaidBy: 3, billing.AuditCreditApplied: 1} {
		if actions[action] != want {
			t.Errorf("audit has %d %s entries, want %d (all: %v)", actions[action], action, want, actions)
		}
	}
}

// TestCreditOrVoidAfterPaymentIsOverpaid: money allocated to an invoice that is then credited
// or voided is reported (Overpaid), and the receivable is Due − Overpaid.
func TestCreditOrVoidAfterPaymentIsOverpaid(t *testing.T) {
	w := newPayWorld(t, 1)
	ctx := context.Background()
	invs := w.invoices("K1")
	w.pay(billing.PaymentInput{ID: "p1", Account: "K1", Amount: invs[0].Total, Invoices: []string{invs[0].ID}})
	if _, err := w.svc.CreditNote(ctx, billing.CreditNoteRequest{ID: "cn1", Invoice: invs[0].ID, Reason: "goodwill", Full: true}, "finance"); err != nil {
		t.Fatal(err)
	}
	w.pay(billing.PaymentInput{ID: "p2", Account: "K1", Amount: decimal.RequireFromString("5.00"), Invoices: []string{invs[1].ID}})
	// A (partly) paid invoice cannot be voided: it is credited instead.
	if _, err := w.svc.Void(ctx, invs[1].ID, "finance"); !errors.Is(err, billing.ErrConflict) {
		t.Fatalf("voiding a partly paid invoice: %v, want a conflict", err)
	}
	b := w.svc.Balance("K1")
	want := map[string]decimal.Decimal{invs[0].ID: invs[0].Total.Neg()}
	if len(b.Overpaid) != len(want) || !b.Due.Equal(invs[1].Total.Sub(decimal.RequireFromString("5.00"))) {
		t.Fatalf("overpaid %+v, due %s: want the credited invoice overpaid, the other's rest due", b.Overpaid, b.Due)
	}
	overpaid := decimal.Zero
	for _, o := range b.Overpaid {
		if !o.Open.Equal(want[o.ID]) {
			t.Errorf("%s overpaid by %s, want %s", o.Number, o.Open, want[o.ID])
		}
		overpaid = overpaid.Add(o.Open)
	}
	balances, err := w.mem.Balances(ctx, ledger.BalanceQuery{AccountPrefix: "customer:K1:receivable", AsOf: billingtest.Day(2030, 1, 1)})
	if err != nil || len(balances) != 1 {
		t.Fatalf("balances %v, %v", balances, err)
	}
	if got := balances[0].Amount; !got.Equal(b.Due.Add(overpaid)) {
		t.Errorf("receivable %s, want due %s + overpaid %s", got, b.Due, overpaid)
	}
}

// payFailingStore fails, once armed, the next write of the named kind: "events" (payment events,
// the commit point), "audit" or "transactions".
type payFailingStore struct {
	*ledgertest.MemStore
	mu    sync.Mutex
	armed string
}

func (f *payFailingStore) fail(kind string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.armed == kind {
		f.armed = ""
		return true
	}
	return false
}

func (f *payFailingStore) WriteEvents(ctx context.Context, evs []ledger.Event) error {
	if len(evs) > 0 && strings.HasPrefix(evs[0].Aggregate, billing.PaymentAggregate) && f.fail("events") {
		return ledger.ErrUnavailable
	}
	return f.MemStore.WriteEvents(ctx, evs)
}

func (f *payFailingStore) WriteAudit(ctx context.Context, rows []ledger.AuditEntry) error {
	if f.fail("audit") {
		return ledger.ErrUnavailable
	}
	return f.MemStore.WriteAudit(ctx, rows)
}

func (f *payFailingStore) WriteTransactions(ctx context.Context, txs []ledger.Transaction) error {
	if len(txs) > 0 && txs[0].Kind == billing.TxPayment && f.fail("transactions") {
		return ledger.ErrUnavailable
	}
	return f.MemStore.WriteTransactions(ctx, txs)
}

// TestFailedPaymentWriteIsRetriedOnce: a ledger write failing at any step of a payment fails
// the call; the retry (same id) records the payment once, with one posting.
func TestFailedPaymentWriteIsRetriedOnce(t *testing.T) {
	for _, step := range []string{"transactions", "audit", "events"} {
		t.Run(step, func(t *testing.T) {
			fs := &payFailingStore{MemStore: ledgertest.NewMemStore()}
			w := newPayWorldOn(t, 1, fs, fs.MemStore)
			invs := w.invoices("K1")
			in := billing.PaymentInput{ID: "p1", Account: "K1", Amount: invs[0].Total.Add(decimal.NewFromInt(3)), Currency: "EUR", ReceivedAt: w.clock.Now(),
				Invoices: []string{invs[0].ID}}
			fs.armed = step
			if _, err := w.svc.RecordPayment(context.Background(), in, "finance"); !errors.Is(err, ledger.ErrUnavailable) {
				t.Fatalf("payment with a failing %s write: %v", step, err)
			}
			if got := w.status(invs[0].ID); got != billing.StatusIssued {
				t.Errorf("after the failed write the invoice is %s in memory", got)
			}
			p := w.pay(in)
			if w.status(invs[0].ID) != billing.StatusPaid || !p.Unallocated.Equal(decimal.NewFromInt(3)) {
				t.Errorf("retry: invoice %s, unallocated %s", w.status(invs[0].ID), p.Unallocated)
			}
			balances, err := fs.Balances(context.Background(), ledger.BalanceQuery{AccountPrefix: "customer:K1:cash_clearing", AsOf: billingtest.Day(2030, 1, 1)})
			if err != nil || len(balances) != 1 || !balances[0].Amount.Equal(in.Amount) {
				t.Errorf("cash clearing %v (%v), want %s once", balances, err, in.Amount)
			}
			if ps := w.open().Payments("K1"); len(ps) != 1 {
				t.Errorf("after restart K1 has %d payments, want 1", len(ps))
			}
		})
	}
}

// TestConcurrentRandomPaymentsKeepTheBooks records random payments and refunds from several
// goroutines (seeded, so a failure replays) and checks what a finance team would: no invoice
// is paid more than it owes, an invoice is paid exactly when nothing is open, and the journal's
// receivable, credit and cash clearing agree with the Service, also after a restart.
func TestConcurrentRandomPaymentsKeepTheBooks(t *testing.T) {
	w := newPayWorld(t, 3)
	ctx := context.Background()
	accounts := []string{"K1", "K2", "K3"}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 42))
			for i := range 15 {
				acc := accounts[r.IntN(len(accounts))]
				amount := decimal.New(int64(1+r.IntN(9000)), -2) // 0.01 .. 90.00
				id := fmt.Sprintf("g%d-%d", g, i)
				in := billing.PaymentInput{ID: id, Account: acc, Amount: amount, Currency: "EUR", ReceivedAt: w.clock.Now()}
				if _, err := w.svc.RecordPayment(ctx, in, "finance"); err != nil {
					t.Errorf("payment %s: %v", id, err)
					return
				}
				if r.IntN(4) == 0 {
					if p, _ := w.svc.Payment(id); p.Unallocated.IsPositive() {
						_, err := w.svc.RefundPayment(ctx, billing.RefundInput{ID: "r" + id, Payment: id, Amount: p.Unallocated}, "finance")
						if err != nil && !errors.Is(err, billing.ErrConflict) { // a later payment may have used the credit
							t.Errorf("refund of %s: %v", id, err)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	balances, err := w.mem.Balances(ctx, ledger.BalanceQuery{AsOf: billingtest.Day(2030, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	journal := map[string]decimal.Decimal{}
	for _, b := range balances {
		journal[b.Account] = b.Amount
	}
	for _, svc := range []*billing.Service{w.svc, w.open()} {
		for _, acc := range accounts {
			b := svc.Balance(acc)
			allocated := map[string]decimal.Decimal{}
			received, refunded := decimal.Zero, decimal.Zero
			for _, p := range svc.Payments(acc) {
				received = received.Add(p.Amount)
				for _, a := range p.Allocations {
					allocated[a.Invoice] = allocated[a.Invoice].Add(a.Amount)
				}
				for _, r := range p.Refunds {
					refunded = refunded.Add(r.Amount)
				}
			}
			for _, inv := range svc.Invoices(billing.InvoiceFilter{Buyer: acc, Kind: billing.DocInvoice}) {
				open := inv.Total.Sub(inv.Credited).Sub(allocated[inv.ID])
				switch {
				case open.IsNegative():
					t.Errorf("%s paid %s beyond its total", inv.Number, open.Neg())
				case open.IsZero() != (inv.Status == billing.StatusPaid):
					t.Errorf("%s is %s with %s open", inv.Number, inv.Status, open)
				}
			}
			for role, want := range map[string]decimal.Decimal{
				billing.RoleReceivable: b.Due, billing.RoleCredit: b.Credit.Neg(), billing.RoleCashClearing: received.Sub(refunded),
			} {
				if got := journal["customer:"+acc+":"+role]; !got.Equal(want) {
					t.Errorf("%s %s: journal %s, service %s", acc, role, got, want)
				}
			}
		}
	}
}
