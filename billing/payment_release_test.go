package billing_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// TestRefundReleasesWhatACreditNoteFreed: an invoice paid by two payments is then credited in
// part; the customer is owed the credited part, taken from the latest payment first. A refund
// of the older payment is refused, one of the newer is accepted; the journal balances with the
// receivable back to the open invoices and the credit to zero; the overpayment is gone from
// the balance; a restart rebuilds the same; voiding the credit note is then refused (the
// invoice would be owed again while marked paid).
func TestRefundReleasesWhatACreditNoteFreed(t *testing.T) {
	w := newPayWorld(t, 1)
	ctx := context.Background()
	inv := w.invoices("K1")[0]
	first := decimal.NewFromInt(10)
	w.pay(billing.PaymentInput{ID: "older", Account: "K1", Amount: first, Invoices: []string{inv.ID}})
	w.clock.Set(w.clock.Now().Add(time.Hour))
	w.pay(billing.PaymentInput{ID: "newer", Account: "K1", Amount: inv.Total.Sub(first), Invoices: []string{inv.ID}})
	if st := w.status(inv.ID); st != billing.StatusPaid {
		t.Fatalf("the invoice is %s after both payments, want paid", st)
	}
	credit := decimal.RequireFromString("5.00")
	cn, err := w.svc.CreditNote(ctx, billing.CreditNoteRequest{ID: "cn", Invoice: inv.ID, Reason: "goodwill",
		Lines: []billing.CreditLine{{LineNo: 1, Amount: credit}}}, "finance")
	if err != nil {
		t.Fatal(err)
	}
	freed := cn.Total.Abs() // what the note took back of the paid invoice
	bal := w.svc.Balance("K1")
	if len(bal.Overpaid) != 1 || !bal.Overpaid[0].Open.Neg().Equal(freed) {
		t.Fatalf("after the credit note: overpaid %+v, want %s on %s", bal.Overpaid, freed, inv.Number)
	}
	if _, err := w.svc.RefundPayment(ctx, billing.RefundInput{ID: "r-old", Payment: "older", Amount: freed}, "finance"); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("refund from the older payment: %v, want a conflict (the newer payment's money goes back first)", err)
	}
	if _, err := w.svc.RefundPayment(ctx, billing.RefundInput{ID: "r", Payment: "newer", Amount: freed.Add(decimal.RequireFromString("0.01"))}, "finance"); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("refund of a cent more than was freed: %v, want a conflict", err)
	}
	r, err := w.svc.RefundPayment(ctx, billing.RefundInput{ID: "r", Payment: "newer", Amount: freed, Reason: "credited"}, "finance")
	if err != nil {
		t.Fatalf("refund of what the credit note freed: %v", err)
	}
	if again, err := w.svc.RefundPayment(ctx, billing.RefundInput{ID: "r", Payment: "newer", Amount: freed, Reason: "credited"}, "finance"); err != nil || again.ID != r.ID {
		t.Errorf("the same refund again: %+v, %v; want the recorded one", again, err)
	}
	check := func(svc *billing.Service, when string) {
		t.Helper()
		b := svc.Balance("K1")
		if len(b.Overpaid) != 0 || !b.Credit.IsZero() {
			t.Errorf("%s: overpaid %+v, credit %s; want neither", when, b.Overpaid, b.Credit)
		}
		p, _ := svc.Payment("newer")
		if len(p.Released) != 1 || !p.Released[0].Amount.Equal(freed) || !p.Unallocated.IsZero() {
			t.Errorf("%s: payment newer released %+v, unallocated %s; want %s released and nothing left", when, p.Released, p.Unallocated, freed)
		}
		balances, err := w.mem.Balances(ctx, ledger.BalanceQuery{AsOf: billingtest.Day(2030, 1, 1)})
		if err != nil {
			t.Fatal(err)
		}
		sum, got := decimal.Zero, map[string]decimal.Decimal{}
		for _, x := range balances {
			sum = sum.Add(x.Amount)
			got[x.Account] = x.Amount
		}
		if !sum.IsZero() || !got["customer:K1:"+billing.RoleReceivable].Equal(b.Due) || !got["customer:K1:"+billing.RoleCredit].IsZero() {
			t.Errorf("%s: journal sum %s, receivable %s (due %s), credit %s; want 0, the due, 0", when, sum,
				got["customer:K1:"+billing.RoleReceivable], b.Due, got["customer:K1:"+billing.RoleCredit])
		}
	}
	check(w.svc, "after the refund")
	check(w.open(), "after a restart")
	if _, err := w.svc.Void(ctx, cn.ID, "finance"); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("void of the credit note after its money was refunded: %v, want a conflict", err)
	}
}
