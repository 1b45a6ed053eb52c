package billing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// Journal roles of payments, on the payer's party: the money received waits on its cash
// clearing account (debit) until finance matches it to the bank; what it does not pay is owed
// back to it on its credit account (credit) until used or refunded.
const (
	RoleCashClearing = "cash_clearing"
	RoleCredit       = "credit"
)

// Transaction kinds of payments.
const (
	TxPayment       = "payment"
	TxCreditApplied = "credit_applied"
	TxRefund        = "refund"
	// TxRelease moves money of an overpaid invoice from the receivable to the payer's credit,
	// before a refund pays it out (payment_release.go).
	TxRelease = "refund_release"
)

// Audit actions of payments.
const (
	AuditPaymentRecord = "payment.record"
	AuditCreditApplied = "payment.credit_applied"
	AuditPaymentRefund = "payment.refund"
	AuditInvoicePaidBy = "invoice.paid"
	paymentAuditOrigin = "billing"
	purposePayment     = "payment"
	purposeCreditUse   = "credit_applied"
	purposeRefund      = "refund"
	purposeRelease     = "refund_release"
)

// PaymentTransaction is the posting of a payment's receipt (invariant 5): debit the payer's
// cash clearing with the amount, credit its receivable with each allocation (entry InvoiceID =
// the invoice), and credit its credit account with what is left. Its id derives from the
// payment id, so a replay stores it once.
func PaymentTransaction(payer Party, pay *Payment, own []Allocation, buyers map[string]Party) (ledger.Transaction, error) {
	entries := []ledger.Entry{{Account: AccountCode(payer, RoleCashClearing), Amount: pay.Amount, Currency: pay.Currency, EventID: pay.ID}}
	left := pay.Amount
	for _, a := range own {
		entries = append(entries, ledger.Entry{Account: AccountCode(buyers[a.Invoice], RoleReceivable), Amount: a.Amount.Neg(),
			Currency: pay.Currency, InvoiceID: a.Invoice, EventID: pay.ID})
		left = left.Sub(a.Amount)
	}
	if left.IsPositive() {
		entries = append(entries, ledger.Entry{Account: AccountCode(payer, RoleCredit), Amount: left.Neg(), Currency: pay.Currency, EventID: pay.ID})
	}
	return checkedTx(ledger.Transaction{ID: TransactionID(purposePayment, pay.ID), Time: pay.ReceivedAt, Kind: TxPayment,
		Description: fmt.Sprintf("payment %s from %s", pay.ID, payer.ID), Entries: entries})
}

// CreditTransaction is the posting of an earlier payment's credit used to pay invoices: debit
// the payer's credit account, credit its receivable per invoice. Its id derives from the
// payment and the seq of the allocation event, unique per use.
func CreditTransaction(payer Party, payID string, seq uint64, currency string, allocs []Allocation, buyers map[string]Party, at time.Time) (ledger.Transaction, error) {
	total := decimal.Zero
	var entries []ledger.Entry
	for _, a := range allocs {
		entries = append(entries, ledger.Entry{Account: AccountCode(buyers[a.Invoice], RoleReceivable), Amount: a.Amount.Neg(),
			Currency: currency, InvoiceID: a.Invoice, EventID: payID})
		total = total.Add(a.Amount)
	}
	entries = append(entries, ledger.Entry{Account: AccountCode(payer, RoleCredit), Amount: total, Currency: currency, EventID: payID})
	return checkedTx(ledger.Transaction{ID: TransactionID(purposeCreditUse, payID+"#"+strconv.FormatUint(seq, 10)), Time: at.UTC(),
		Kind: TxCreditApplied, Description: fmt.Sprintf("credit of payment %s applied for %s", payID, payer.ID), Entries: entries})
}

// RefundTransaction reverses a payment's credit: debit the payer's credit account, credit its
// cash clearing (the money leaves). Its id derives from the refund id.
func RefundTransaction(payer Party, r Refund, currency string) (ledger.Transaction, error) {
	return checkedTx(ledger.Transaction{ID: TransactionID(purposeRefund, r.ID), Time: r.At.UTC(), Kind: TxRefund,
		Description: fmt.Sprintf("refund %s of payment %s to %s", r.ID, r.Payment, payer.ID),
		Entries: []ledger.Entry{
			{Account: AccountCode(payer, RoleCredit), Amount: r.Amount, Currency: currency, EventID: r.ID},
			{Account: AccountCode(payer, RoleCashClearing), Amount: r.Amount.Neg(), Currency: currency, EventID: r.ID},
		}})
}

func checkedTx(tx ledger.Transaction) (ledger.Transaction, error) {
	if err := tx.Validate(); err != nil {
		return ledger.Transaction{}, fmt.Errorf("journal of %s %s: %w: %w", tx.Kind, tx.ID, ErrInvalid, err)
	}
	return tx, nil
}

// paymentAudit builds the audit entry of one money-moving step; its id derives from what it
// records, so a retried call is audited once.
func paymentAudit(action, object, key string, at time.Time, actor, detail string) ledger.AuditEntry {
	return ledger.AuditEntry{ID: ledger.DeterministicID("audit", action, key), At: at.UTC(), Actor: actor, Action: action,
		Object: object, Origin: paymentAuditOrigin, Detail: detail}
}

// paymentAuditWriter is what payments need of the store besides billing's Store: every
// ledger.Store has it. It is asserted, not declared in Store, so billing's Store stays as it is.
type paymentAuditWriter interface {
	WriteAudit(ctx context.Context, rows []ledger.AuditEntry) error
}

// paymentWrite is everything one money-moving call writes. The payment events and invoice
// snapshots are written last, in one call: the commit point. Until then a failure leaves
// nothing a reload would see, and a retry writes the same ids again.
type paymentWrite struct {
	txs    []ledger.Transaction
	docs   []ledger.Document
	audit  []ledger.AuditEntry
	events []ledger.Event // payment events, then invoice snapshots
	paid   []*Invoice
}

// writePayment writes w and, once all is written, updates memory: the book and the paid
// invoices. A failed write marks the Service broken (memory may be ahead of nothing, but the
// ledger may hold part of it): the next call reloads first.
func (s *Service) writePayment(ctx context.Context, book *payments, w *paymentWrite) error {
	aw, ok := s.cfg.Store.(paymentAuditWriter)
	if !ok {
		return fmt.Errorf("the ledger store cannot write audit entries: %w", ErrUnsupported)
	}
	fail := func(what string, err error) error {
		s.broken = fmt.Errorf("write %s: %w", what, err)
		return s.broken
	}
	if len(w.txs) > 0 {
		if err := s.cfg.Store.WriteTransactions(ctx, w.txs); err != nil {
			return fail(fmt.Sprintf("%d journal transactions", len(w.txs)), err)
		}
	}
	if len(w.docs) > 0 {
		if err := s.cfg.Store.WriteDocuments(ctx, w.docs); err != nil {
			return fail(fmt.Sprintf("%d documents", len(w.docs)), err)
		}
	}
	if len(w.audit) > 0 {
		if err := aw.WriteAudit(ctx, w.audit); err != nil {
			return fail(fmt.Sprintf("%d audit entries", len(w.audit)), err)
		}
	}
	if err := s.writeEvents(ctx, w.events); err != nil {
		return fail("payment events", err)
	}
	for _, ev := range w.events {
		if strings.HasPrefix(ev.Aggregate, PaymentAggregate) {
			if err := book.apply(ev); err != nil {
				s.broken = err
				return err
			}
		}
	}
	for _, inv := range w.paid {
		s.docs[inv.ID] = inv
		s.docSeq[inv.ID]++
	}
	return nil
}
