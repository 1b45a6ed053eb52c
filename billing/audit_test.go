package billing_test

import (
	"context"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/shopspring/decimal"
)

// invoiceOf is a customer's invoice issued at a cycle day.
func invoiceOf(t *testing.T, svc *billing.Service, buyer string, issued time.Time) *billing.Invoice {
	t.Helper()
	for _, inv := range svc.Invoices(billing.InvoiceFilter{Buyer: buyer, Kind: billing.DocInvoice}) {
		if inv.IssuedAt.Equal(issued) {
			return inv
		}
	}
	t.Fatalf("%s has no invoice issued at %s", buyer, issued)
	return nil
}

// splitCost is Σ every level's cost of a document's split: what its split posting moves.
func splitCost(t *testing.T, svc *billing.Service, id string) decimal.Decimal {
	t.Helper()
	sp, err := svc.Split(id)
	if err != nil || sp == nil {
		t.Fatalf("split of %s: %v %v", id, sp, err)
	}
	sum := decimal.Zero
	for _, l := range sp.Lines {
		for _, sh := range l.Shares[:len(l.Shares)-1] {
			sum = sum.Add(sh.Cost)
		}
	}
	return sum
}

// TestAuditEveryMoneyMovingAction runs one of every money-moving action through a channel
// world and expects each in Service.Audit, under the account it concerns, with what it moved —
// before and after a restart.
func TestAuditEveryMoneyMovingAction(t *testing.T) {
	ctx := context.Background()
	w := poolWorld(t, ledgertest.NewMemStore(), nil)
	oct, nov := billingtest.Day(2026, 10, 2), billingtest.Day(2026, 11, 2)
	k1Oct, k1Nov := invoiceOf(t, w.svc, "K1", oct), invoiceOf(t, w.svc, "K1", nov)
	k2Nov, k3Nov := invoiceOf(t, w.svc, "K2", nov), invoiceOf(t, w.svc, "K3", nov)
	k1OctCost := splitCost(t, w.svc, k1Oct.ID)

	runWholesale(t, w) // settles November's pools, issues the wholesale invoices
	rInv := wholesaleInvoice(t, w.svc, "R")
	cn, err := w.svc.CreditNote(ctx, billing.CreditNoteRequest{ID: "cn-k2", Invoice: k2Nov.ID, Reason: "goodwill", Full: true}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	k3Cost := splitCost(t, w.svc, k3Nov.ID)
	if _, err := w.svc.Void(ctx, k3Nov.ID, "bob"); err != nil {
		t.Fatal(err)
	}
	// K1 pays October and 20 more, takes 5 back, and the remaining 15 go to November.
	extra := decimal.NewFromInt(20)
	pay, err := w.svc.RecordPayment(ctx, billing.PaymentInput{ID: "pay-1", Account: "K1", Amount: k1Oct.Total.Add(extra), Currency: "EUR",
		ReceivedAt: billingtest.Day(2026, 12, 2), Method: "bank_transfer", Invoices: []string{k1Oct.ID}}, "carol")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.RefundPayment(ctx, billing.RefundInput{ID: "ref-1", Payment: pay.ID, Amount: decimal.NewFromInt(5), Reason: "asked"}, "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.ApplyCredit(ctx, "apply-1", "K1", "carol"); err != nil {
		t.Fatal(err)
	}
	// K2's October invoice is overdue: dunning suspends K2, and resumes it once K2 paid.
	k2Oct := invoiceOf(t, w.svc, "K2", oct)
	policy := billing.DunningPolicy{Steps: []billing.DunningStep{{Name: "suspend+2", Days: 2, Action: billing.DunningSuspend}},
		Accounts: map[string][]billing.DunningStep{"K1": {}, "K3": {}, "DC": {}}}
	dunAt := k2Oct.DueAt.AddDate(0, 0, 40)
	w.clock.Set(dunAt)
	if _, err := w.svc.RunDunning(ctx, dunAt, policy); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.RecordPayment(ctx, billing.PaymentInput{ID: "pay-2", Account: "K2", Amount: k2Oct.Total, Currency: "EUR",
		ReceivedAt: dunAt, Invoices: []string{k2Oct.ID}}, "dave"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.RunDunning(ctx, dunAt.Add(time.Hour), policy); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		action, account string
		document        string          // "" to skip
		amount          decimal.Decimal // checked unless zero
	}{
		{billing.AuditInvoiceIssued, "K1", k1Oct.ID, k1Oct.Total},
		{billing.AuditSplitPosted, "R", k1Oct.ID, k1OctCost},
		{billing.AuditPoolSettled, "R", k1Nov.ID, decimal.Zero},
		{billing.AuditWholesaleIssued, "R", rInv.ID, rInv.Total},
		{billing.AuditCreditNoteIssued, "K2", cn.ID, cn.Total},
		{billing.AuditInvoiceVoid, "K3", k3Nov.ID, k3Nov.Total.Neg()},
		{billing.AuditSplitVoid, "K3", k3Nov.ID, k3Cost.Neg()},
		{billing.AuditPaymentRecord, "K1", "", pay.Amount},
		{billing.AuditPaymentRefund, "K1", "", decimal.NewFromInt(-5)},
		{billing.AuditCreditApplied, "K1", "", decimal.NewFromInt(15)},
		{billing.AuditInvoicePaidBy, "K1", k1Oct.ID, k1Oct.Total},
		{"dunning." + billing.EventSuspended, "K2", k2Oct.ID, k2Oct.Total},
		{"subscription." + billing.EventSuspended, "K2", "", decimal.Zero},
		{"dunning." + billing.EventResumed, "K2", k2Oct.ID, k2Oct.Total},
		{"subscription." + billing.EventResumed, "K2", "", decimal.Zero},
	}
	q := func(account string) billing.AuditQuery {
		return billing.AuditQuery{Account: account, From: billingtest.Day(2026, 9, 1), To: billingtest.Day(2027, 6, 1)}
	}
	for round, svc := range []func() *billing.Service{func() *billing.Service { return w.svc }, w.open} {
		s := svc()
		for _, tt := range tests {
			t.Run(tt.action+"/"+tt.account+"/"+[]string{"live", "reloaded"}[round], func(t *testing.T) {
				rows, err := s.Audit(ctx, q(tt.account))
				if err != nil {
					t.Fatal(err)
				}
				var found []billing.AuditEntry
				for _, r := range rows {
					if r.Action == tt.action && (tt.document == "" || r.Document == tt.document) {
						found = append(found, r)
					}
				}
				if len(found) == 0 {
					t.Fatalf("no %s entry for %s (document %q) among %d", tt.action, tt.account, tt.document, len(rows))
				}
				e := found[0]
				if e.Actor == "" || e.At.IsZero() || e.Object == "" {
					t.Errorf("entry %+v lacks actor, time or object", e)
				}
				if !tt.amount.IsZero() && (!e.Amount.Equal(tt.amount) || e.Currency != "EUR") {
					t.Errorf("%s amount %s %s, want %s EUR", tt.action, e.Amount, e.Currency, tt.amount)
				}
				if tt.action == billing.AuditPoolSettled && (!e.Amount.IsNegative() || e.Actor != "wholesale") {
					t.Errorf("pool settlement moved %s by %q: pooled tiers should cost less than lines alone, by the wholesale run", e.Amount, e.Actor)
				}
				if want := map[string]string{billing.AuditCreditNoteIssued: "alice", billing.AuditInvoiceVoid: "bob", billing.AuditInvoiceIssued: "cycle"}[tt.action]; want != "" && e.Actor != want {
					t.Errorf("%s by %q, want %q", tt.action, e.Actor, want)
				}
			})
		}
	}
	// Nothing is audited twice: a re-run of the wholesale close adds no row.
	before, err := w.svc.Audit(ctx, q(""))
	if err != nil {
		t.Fatal(err)
	}
	runWholesale(t, w)
	after, err := w.svc.Audit(ctx, q(""))
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("re-running the wholesale close: %d audit rows, then %d", len(before), len(after))
	}
}

func TestAuditQueryNeedsAPeriod(t *testing.T) {
	w := poolWorld(t, ledgertest.NewMemStore(), nil)
	at := billingtest.Day(2026, 10, 1)
	for _, q := range []billing.AuditQuery{{}, {From: at, To: at}, {From: at.AddDate(0, 1, 0), To: at}} {
		if _, err := w.svc.Audit(context.Background(), q); err == nil {
			t.Errorf("Audit(%+v) = nil error, want ErrInvalid", q)
		}
	}
}
