package billing_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// TestReviewS3bRefundReleaseInSteps: what two credit notes free is refunded in several
// partial refunds; no refund may release more than was freed in total (no double release),
// the journal balances to zero with the receivable equal to the due, and a restart agrees.
func TestReviewS3bRefundReleaseInSteps(t *testing.T) {
	w := newPayWorld(t, 1)
	ctx := context.Background()
	inv := w.invoices("K1")[0]
	w.pay(billing.PaymentInput{ID: "p", Account: "K1", Amount: inv.Total, Invoices: []string{inv.ID}})
	note := func(id, amount string) decimal.Decimal {
		t.Helper()
		cn, err := w.svc.CreditNote(ctx, billing.CreditNoteRequest{ID: id, Invoice: inv.ID, Reason: "goodwill",
			Lines: []billing.CreditLine{{LineNo: 1, Amount: decimal.RequireFromString(amount)}}}, "finance")
		if err != nil {
			t.Fatalf("credit note %s: %v", id, err)
		}
		return cn.Total.Abs()
	}
	refund := func(id string, amount decimal.Decimal) error {
		_, err := w.svc.RefundPayment(ctx, billing.RefundInput{ID: id, Payment: "p", Amount: amount, Reason: "credited"}, "finance")
		return err
	}
	freed := note("cn1", "5.00")
	part := decimal.RequireFromString("2.00")
	for _, step := range []struct {
		id     string
		amount decimal.Decimal
	}{{"r1", part}, {"r2", freed.Sub(part)}} {
		if err := refund(step.id, step.amount); err != nil {
			t.Fatalf("refund %s of %s (of %s freed): %v", step.id, step.amount, freed, err)
		}
	}
	if err := refund("r3", decimal.RequireFromString("0.01")); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("a cent beyond what cn1 freed: %v, want a conflict (double release)", err)
	}
	freed2 := note("cn2", "3.00")
	if err := refund("r4", freed2); err != nil {
		t.Fatalf("refund of what cn2 freed: %v", err)
	}
	check := func(svc *billing.Service, when string) {
		t.Helper()
		b := svc.Balance("K1")
		p, _ := svc.Payment("p")
		released := decimal.Zero
		for _, a := range p.Released {
			released = released.Add(a.Amount)
		}
		if !released.Equal(freed.Add(freed2)) || len(b.Overpaid) != 0 || !b.Credit.IsZero() {
			t.Errorf("%s: released %s, overpaid %+v, credit %s; want %s released, none, 0", when, released, b.Overpaid, b.Credit, freed.Add(freed2))
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
	check(w.svc, "after the refunds")
	check(w.open(), "after a restart")
}

// TestReviewS3bPartlyPaidCreditAndConcurrentRefunds: an invoice paid but for 3.00 is credited
// 5.00, so only 2.00 is overpaid; ten concurrent refunds of 0.50 each may release exactly 2.00
// between them (four succeed), never more, and the journal still balances.
func TestReviewS3bPartlyPaidCreditAndConcurrentRefunds(t *testing.T) {
	w := newPayWorld(t, 1)
	ctx := context.Background()
	inv := w.invoices("K1")[0]
	short := decimal.RequireFromString("3.00")
	w.pay(billing.PaymentInput{ID: "p", Account: "K1", Amount: inv.Total.Sub(short), Invoices: []string{inv.ID}})
	cn, err := w.svc.CreditNote(ctx, billing.CreditNoteRequest{ID: "cn", Invoice: inv.ID, Reason: "goodwill",
		Lines: []billing.CreditLine{{LineNo: 1, Amount: decimal.RequireFromString("5.00")}}}, "finance")
	if err != nil {
		t.Fatal(err)
	}
	over := cn.Total.Abs().Sub(short)
	half := decimal.RequireFromString("0.50")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := decimal.Zero
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.svc.RefundPayment(ctx, billing.RefundInput{ID: fmt.Sprintf("r%d", i), Payment: "p", Amount: half, Reason: "credited"}, "finance")
			if err == nil {
				mu.Lock()
				ok = ok.Add(half)
				mu.Unlock()
			} else if !errors.Is(err, billing.ErrConflict) {
				t.Errorf("refund r%d: %v, want success or a conflict", i, err)
			}
		}()
	}
	wg.Wait()
	if !ok.Equal(over) {
		t.Errorf("concurrent refunds released %s, want exactly the overpaid %s", ok, over)
	}
	b := w.svc.Balance("K1")
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
		t.Errorf("journal sum %s, receivable %s (due %s), credit %s; want 0, the due, 0", sum,
			got["customer:K1:"+billing.RoleReceivable], b.Due, got["customer:K1:"+billing.RoleCredit])
	}
}
