package billing

import (
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// Journal account roles. An account code is "<kind>:<id>:<role>", the kind being the party's
// AccountKind: "customer:ACME:receivable", "reseller:R1:revenue", "reseller:R1:tax_payable".
const (
	RoleReceivable = "receivable"
	RoleRevenue    = "revenue"
	RoleTaxPayable = "tax_payable"
)

// Transaction kinds and the purposes their deterministic ids are derived from.
const (
	TxVoid       = "void"
	purposeIssue = "issue"
	purposeVoid  = "void"
)

// AccountCode returns a party's journal account for a role.
func AccountCode(p Party, role string) string { return string(p.Kind) + ":" + p.ID + ":" + role }

// TransactionID is the deterministic id of a document's posting for a purpose ("issue",
// "void"): writing the posting again after a crash or a replay stores it once.
func TransactionID(purpose, docID string) string { return ledger.DeterministicID("tx", purpose, docID) }

// InvoiceTransaction is the posting of an issued invoice or credit note (invariant 5): debit the
// buyer's receivable with the Total, credit the issuer's revenue with the Subtotal and the
// issuer's tax payable with the tax of each jurisdiction that has any (one entry per
// jurisdiction, its code in the entry's LineID as "tax:<jurisdiction>", so tax returns can be
// filed per jurisdiction). A credit note carries negative amounts, so the same rule posts the
// reverse. The document must add up (lines, totals, tax summaries, currency minor unit): a
// posting of a document that does not is refused rather than booked wrong.
func InvoiceTransaction(inv *Invoice) (ledger.Transaction, error) {
	if inv.Status == StatusDraft || inv.Number == "" || inv.IssuedAt.IsZero() {
		return ledger.Transaction{}, fmt.Errorf("journal of %s %s: status %s: only an issued document is posted: %w", inv.Kind, inv.ID, inv.Status, ErrConflict)
	}
	if err := CheckTotals(inv); err != nil {
		return ledger.Transaction{}, fmt.Errorf("journal of %s %s: %w", inv.Kind, inv.Number, err)
	}
	if inv.Buyer.Kind == "" || inv.Buyer.ID == "" || inv.Issuer.Kind == "" || inv.Issuer.ID == "" {
		return ledger.Transaction{}, fmt.Errorf("journal of %s %s: issuer and buyer need a kind and an id: %w", inv.Kind, inv.Number, ErrInvalid)
	}
	entry := func(p Party, role string, amount decimal.Decimal, line string) ledger.Entry {
		return ledger.Entry{Account: AccountCode(p, role), Amount: amount, Currency: inv.Currency, InvoiceID: inv.ID, LineID: line}
	}
	entries := []ledger.Entry{
		entry(inv.Buyer, RoleReceivable, inv.Total, ""),
		entry(inv.Issuer, RoleRevenue, inv.Subtotal.Neg(), ""),
	}
	for _, j := range taxByJurisdiction(inv) {
		entries = append(entries, entry(inv.Issuer, RoleTaxPayable, j.tax.Neg(), "tax:"+j.code))
	}
	tx := ledger.Transaction{
		ID:          TransactionID(purposeIssue, inv.ID),
		Time:        inv.IssuedAt,
		Kind:        string(inv.Kind),
		Description: fmt.Sprintf("%s %s from %s to %s", inv.Kind, inv.Number, inv.Issuer.ID, inv.Buyer.ID),
		Entries:     entries,
	}
	if err := tx.Validate(); err != nil {
		return ledger.Transaction{}, fmt.Errorf("journal of %s %s: %w: %w", inv.Kind, inv.Number, ErrInvalid, err)
	}
	return tx, nil
}

// VoidTransaction reverses a voided document's posting at the void time: every entry of its
// InvoiceTransaction with the sign flipped, so the buyer owes nothing and no revenue or tax
// remains booked. The original posting stays (the journal is immutable).
func VoidTransaction(inv *Invoice, at time.Time) (ledger.Transaction, error) {
	if inv.Status != StatusVoid {
		return ledger.Transaction{}, fmt.Errorf("void posting of %s %s: status is %s, not void: %w", inv.Kind, inv.ID, inv.Status, ErrConflict)
	}
	orig, err := InvoiceTransaction(inv)
	if err != nil {
		return ledger.Transaction{}, err
	}
	tx := ledger.Transaction{
		ID:          TransactionID(purposeVoid, inv.ID),
		Time:        at.UTC(),
		Kind:        TxVoid,
		Description: fmt.Sprintf("void of %s %s", inv.Kind, inv.Number),
		Entries:     make([]ledger.Entry, len(orig.Entries)),
	}
	for i, e := range orig.Entries {
		e.Amount = e.Amount.Neg()
		tx.Entries[i] = e
	}
	if err := tx.Validate(); err != nil {
		return ledger.Transaction{}, fmt.Errorf("void posting of %s %s: %w: %w", inv.Kind, inv.Number, ErrInvalid, err)
	}
	return tx, nil
}

type jurisdictionTax struct {
	code string
	tax  decimal.Decimal
}

// taxByJurisdiction sums the tax summaries per jurisdiction, in first-seen order, without zeros.
func taxByJurisdiction(inv *Invoice) []jurisdictionTax {
	var out []jurisdictionTax
	at := map[string]int{}
	for _, ts := range inv.Taxes {
		i, ok := at[ts.Jurisdiction]
		if !ok {
			i = len(out)
			at[ts.Jurisdiction] = i
			out = append(out, jurisdictionTax{code: ts.Jurisdiction})
		}
		out[i].tax = out[i].tax.Add(ts.Tax)
	}
	kept := out[:0]
	for _, j := range out {
		if !j.tax.IsZero() {
			kept = append(kept, j)
		}
	}
	return kept
}

// CheckTotals verifies that a document adds up on paper: every line's Net + Tax = Gross, the
// totals are the sums of the lines, Total = Subtotal + Tax, the tax summaries account for the
// whole Tax, and every amount is in the currency's minor unit. ErrInvalid names what differs.
func CheckTotals(inv *Invoice) error {
	cur, err := currencyOf(inv)
	if err != nil {
		return err
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%s %s: %s: %s: %w", inv.Kind, inv.ID, field, fmt.Sprintf(format, args...), ErrInvalid)
	}
	net, tax, gross := decimal.Zero, decimal.Zero, decimal.Zero
	for i, l := range inv.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		for _, a := range []struct {
			name string
			v    decimal.Decimal
		}{{"net", l.Net}, {"tax", l.Tax}, {"gross", l.Gross}} {
			if !cur.IsRounded(a.v) {
				return bad(f+"."+a.name, "%s is not in %s's minor unit", a.v.String(), cur.Code)
			}
		}
		if !l.Net.Add(l.Tax).Equal(l.Gross) {
			return bad(f, "net %s + tax %s != gross %s", l.Net.String(), l.Tax.String(), l.Gross.String())
		}
		net, tax, gross = net.Add(l.Net), tax.Add(l.Tax), gross.Add(l.Gross)
	}
	switch {
	case !net.Equal(inv.Subtotal):
		return bad("subtotal", "%s != Σ line net %s", inv.Subtotal.String(), net.String())
	case !tax.Equal(inv.Tax):
		return bad("tax", "%s != Σ line tax %s", inv.Tax.String(), tax.String())
	case !gross.Equal(inv.Total) || !inv.Subtotal.Add(inv.Tax).Equal(inv.Total):
		return bad("total", "%s != subtotal %s + tax %s", inv.Total.String(), inv.Subtotal.String(), inv.Tax.String())
	}
	summed := decimal.Zero
	for _, ts := range inv.Taxes {
		summed = summed.Add(ts.Tax)
	}
	if !summed.Equal(inv.Tax) {
		return bad("taxes", "summaries sum to %s, the tax is %s", summed.String(), inv.Tax.String())
	}
	return nil
}
