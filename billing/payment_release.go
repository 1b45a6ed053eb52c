package billing

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// A credit note (or a void) after a payment leaves money allocated to an invoice that no
// longer owes it: the invoice is overpaid and the receivable holds a credit balance
// (AccountBalance.Overpaid). A refund may give that money back: RefundPayment takes the amount
// from the payment's unallocated credit first, then releases it from the payment's overpaid
// allocations (the latest payments of an invoice release first), posting a reclassification
// from the receivable to the payer's credit before the refund itself, so the journal says
// where the money came from.

// netAllocated is what pay has allocated to an invoice, less what earlier refunds released.
func (p *payments) netAllocated(pay *Payment, invoice string) decimal.Decimal {
	n := decimal.Zero
	for _, a := range pay.Allocations {
		if a.Invoice == invoice {
			n = n.Add(a.Amount)
		}
	}
	for _, a := range pay.Released {
		if a.Invoice == invoice {
			n = n.Sub(a.Amount)
		}
	}
	return n
}

// releasable returns, per invoice (oldest issue first), how much of pay's allocations the
// invoices no longer owe: an invoice's overpaid amount is taken from its payments latest
// first, each up to what it allocated there.
func (s *Service) releasable(book *payments, pay *Payment) []Allocation {
	var out []Allocation
	seen := map[string]bool{}
	for _, a := range pay.Allocations {
		if seen[a.Invoice] {
			continue
		}
		seen[a.Invoice] = true
		inv, ok := s.docs[a.Invoice]
		if !ok {
			continue
		}
		owed := inv.Total.Sub(inv.Credited)
		if inv.Status == StatusVoid {
			owed = decimal.Zero
		}
		over := book.allocated[inv.ID].Sub(owed)
		if !over.IsPositive() {
			continue
		}
		// The invoice's payers, latest receipt first: the last money in is the first given back.
		var payers []*Payment
		for _, q := range book.ofAccount(pay.Account) {
			if book.netAllocated(q, inv.ID).IsPositive() {
				payers = append(payers, q)
			}
		}
		slices.SortFunc(payers, func(x, y *Payment) int {
			return cmp.Or(y.ReceivedAt.Compare(x.ReceivedAt), cmp.Compare(y.ID, x.ID))
		})
		for _, q := range payers {
			take := decimal.Min(over, book.netAllocated(q, inv.ID))
			if q.ID == pay.ID && take.IsPositive() {
				out = append(out, Allocation{Payment: pay.ID, Invoice: inv.ID, Number: inv.Number, Amount: take})
			}
			if over = over.Sub(take); !over.IsPositive() {
				break
			}
		}
	}
	slices.SortFunc(out, func(x, y Allocation) int {
		return cmp.Or(s.docs[x.Invoice].IssuedAt.Compare(s.docs[y.Invoice].IssuedAt), cmp.Compare(x.Invoice, y.Invoice))
	})
	return out
}

// releaseFor picks the releases covering amount (what the payment's unallocated credit does
// not), in releasable's order, stamped at.
func releaseFor(avail []Allocation, amount decimal.Decimal, at time.Time) []Allocation {
	var out []Allocation
	for _, a := range avail {
		if !amount.IsPositive() {
			break
		}
		a.Amount = decimal.Min(a.Amount, amount)
		a.At = at
		out = append(out, a)
		amount = amount.Sub(a.Amount)
	}
	return out
}

// ReleaseTransaction moves money a refund releases from the payer's receivable (where an
// overpaid invoice left it as a credit balance) to the payer's credit, from which the refund
// pays it out.
func ReleaseTransaction(payer Party, r Refund, released []Allocation, currency string) (ledger.Transaction, error) {
	tx := ledger.Transaction{ID: TransactionID(purposeRelease, r.ID), Time: r.At.UTC(), Kind: TxRelease,
		Description: fmt.Sprintf("refund %s releases payment %s's money from invoices no longer owing it", r.ID, r.Payment)}
	for _, a := range released {
		tx.Entries = append(tx.Entries,
			ledger.Entry{Account: AccountCode(payer, RoleReceivable), Amount: a.Amount, Currency: currency, InvoiceID: a.Invoice, EventID: r.ID},
			ledger.Entry{Account: AccountCode(payer, RoleCredit), Amount: a.Amount.Neg(), Currency: currency, InvoiceID: a.Invoice, EventID: r.ID})
	}
	return checkedTx(tx)
}
