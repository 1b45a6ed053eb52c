package billing

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// Journal roles of the revenue split. A level's cost of a line is its cost_of_sales and the
// next level's revenue; what levels owe each other accumulates on channel_payable (the payer's)
// and channel_receivable (the payee's). They are distinct from "receivable", which is named by
// the debtor ("customer:C:receivable" is what C owes its issuer), so a party's balances read
// plainly: revenue − cost_of_sales is its margin, channel_receivable − channel_payable what the
// channel owes it net.
const (
	RoleCostOfSales       = "cost_of_sales"
	RoleChannelPayable    = "channel_payable"
	RoleChannelReceivable = "channel_receivable"
)

// Transaction kinds of the split postings.
const (
	TxRevenueSplit     = "revenue_split"
	TxRevenueSplitVoid = "revenue_split_void"
	purposeSplit       = "split"
	purposeSplitVoid   = "split_void"
)

// SplitLineID is the LineID of a split entry: the document line it shares.
func SplitLineID(no int) string { return "line:" + strconv.Itoa(no) }

// SplitTransaction posts a split as one balanced transaction at the document's issue time, id
// TransactionID("split", document id): for every line and every level that pays the next one,
// debit the payer's cost_of_sales and credit the payee's revenue with the cost (entries refer to
// the document and "line:<no>", so a statement reads each line back); then, per relationship, the
// total on the payer's channel_payable (credit) and the payee's channel_receivable (debit), the
// LineID naming the counterparty. Zero costs post nothing; ok is false when nothing is owed.
func SplitTransaction(sp *InvoiceSplit) (tx ledger.Transaction, ok bool, err error) {
	entries := splitEntries(sp)
	if len(entries) == 0 {
		return ledger.Transaction{}, false, nil
	}
	tx = ledger.Transaction{
		ID:          TransactionID(purposeSplit, sp.InvoiceID),
		Time:        sp.IssuedAt,
		Kind:        TxRevenueSplit,
		Description: fmt.Sprintf("revenue split of %s %s", sp.Kind, sp.Number),
		Entries:     entries,
	}
	if err := tx.Validate(); err != nil {
		return ledger.Transaction{}, false, fmt.Errorf("split posting of %s %s: %w: %w", sp.Kind, sp.Number, ErrInvalid, err)
	}
	return tx, true, nil
}

// SplitVoidTransaction reverses a voided document's split at the void time: every entry of its
// SplitTransaction with the sign flipped, id TransactionID("split_void", document id).
func SplitVoidTransaction(sp *InvoiceSplit, at time.Time) (tx ledger.Transaction, ok bool, err error) {
	orig, ok, err := SplitTransaction(sp)
	if err != nil || !ok {
		return ledger.Transaction{}, false, err
	}
	tx = ledger.Transaction{
		ID:          TransactionID(purposeSplitVoid, sp.InvoiceID),
		Time:        at.UTC(),
		Kind:        TxRevenueSplitVoid,
		Description: fmt.Sprintf("void of the revenue split of %s %s", sp.Kind, sp.Number),
		Entries:     make([]ledger.Entry, len(orig.Entries)),
	}
	for i, e := range orig.Entries {
		e.Amount = e.Amount.Neg()
		tx.Entries[i] = e
	}
	return tx, true, nil
}

func splitEntries(sp *InvoiceSplit) []ledger.Entry {
	var entries []ledger.Entry
	paying := len(sp.Levels) - 1
	owed := make([]decimal.Decimal, max(paying, 0))
	for j := range owed {
		owed[j] = decimal.Zero
	}
	for _, l := range sp.Lines {
		for j := 0; j < paying; j++ {
			c := l.Shares[j].Cost
			if c.IsZero() {
				continue
			}
			line := SplitLineID(l.No)
			entries = append(entries,
				ledger.Entry{Account: AccountCode(sp.Levels[j], RoleCostOfSales), Amount: c, Currency: sp.Currency, InvoiceID: sp.InvoiceID, LineID: line},
				ledger.Entry{Account: AccountCode(sp.Levels[j+1], RoleRevenue), Amount: c.Neg(), Currency: sp.Currency, InvoiceID: sp.InvoiceID, LineID: line})
			owed[j] = owed[j].Add(c)
		}
	}
	for j, o := range owed {
		if o.IsZero() {
			continue
		}
		payer, payee := sp.Levels[j], sp.Levels[j+1]
		entries = append(entries,
			ledger.Entry{Account: AccountCode(payer, RoleChannelPayable), Amount: o.Neg(), Currency: sp.Currency, InvoiceID: sp.InvoiceID,
				LineID: string(payee.Kind) + ":" + payee.ID},
			ledger.Entry{Account: AccountCode(payee, RoleChannelReceivable), Amount: o, Currency: sp.Currency, InvoiceID: sp.InvoiceID,
				LineID: string(payer.Kind) + ":" + payer.ID})
	}
	return entries
}
