package billing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// balances sums a transaction's entries per account and per currency.
func lcBalances(tx ledger.Transaction) (perAccount, perCurrency map[string]decimal.Decimal) {
	perAccount, perCurrency = map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	for _, e := range tx.Entries {
		perAccount[e.Account] = perAccount[e.Account].Add(e.Amount)
		perCurrency[e.Currency] = perCurrency[e.Currency].Add(e.Amount)
	}
	return perAccount, perCurrency
}

func lcFullCredit(t testing.TB, inv *billing.Invoice) *billing.Invoice {
	t.Helper()
	cn, err := billing.NewCreditNote(inv, billing.CreditNoteRequest{ID: "cn-" + inv.ID, Reason: "r", Full: true}, lcCreditAt)
	if err != nil {
		t.Fatal(err)
	}
	if err := cn.Issue("CN-"+inv.ID, lcCreditAt, 0); err != nil {
		t.Fatal(err)
	}
	return cn
}

func TestInvoiceTransactionBalances(t *testing.T) {
	partial := func(t testing.TB) *billing.Invoice {
		inv := lcEUR(t)
		cn, err := billing.NewCreditNote(inv, billing.CreditNoteRequest{ID: "cnp", Reason: "r",
			Lines: []billing.CreditLine{{LineNo: 1, Amount: lcDec(t, "50.00")}, {LineNo: 3, Amount: lcDec(t, "5.00")}}}, lcCreditAt)
		if err != nil {
			t.Fatal(err)
		}
		if err := cn.Issue("CN-P", lcCreditAt, 0); err != nil {
			t.Fatal(err)
		}
		return cn
	}
	tests := []struct {
		name string
		doc  func(testing.TB) *billing.Invoice
		// tax payable per jurisdiction, as posted (credits negative)
		tax map[string]string
	}{
		{"EUR two rates one jurisdiction", lcEUR, map[string]string{"DE": "-24.13"}},
		{"EUR two jurisdictions and 0%", lcMultiJurisdiction, map[string]string{"DE": "-9.50", "FR": "-2.06"}},
		{"JPY", lcJPY, map[string]string{"JP": "-141"}},
		{"full credit note", func(t testing.TB) *billing.Invoice { return lcFullCredit(t, lcEUR(t)) }, map[string]string{"DE": "24.13"}},
		{"partial credit note", partial, map[string]string{"DE": "8.31"}}, // 7.98 + 0.33 given back
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.doc(t)
			tx, err := billing.InvoiceTransaction(doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx.Validate(); err != nil {
				t.Fatalf("ledger refuses the posting: %v", err)
			}
			accounts, currencies := lcBalances(tx)
			for c, s := range currencies {
				if !s.IsZero() {
					t.Errorf("%s entries sum to %s", c, s)
				}
			}
			if len(currencies) != 1 || currencies[doc.Currency].String() != "0" {
				t.Errorf("currencies %v, want only %s", currencies, doc.Currency)
			}
			if got := accounts["customer:ACME:receivable"]; !got.Equal(doc.Total) {
				t.Errorf("receivable %s, want the total %s", got, doc.Total)
			}
			if got := accounts["reseller:R1:revenue"]; !got.Equal(doc.Subtotal.Neg()) {
				t.Errorf("revenue %s, want the subtotal %s credited", got, doc.Subtotal)
			}
			taxes := map[string]decimal.Decimal{}
			for _, e := range tx.Entries {
				if e.Account == "reseller:R1:tax_payable" {
					if _, dup := taxes[e.LineID]; dup {
						t.Errorf("two tax entries for %s", e.LineID)
					}
					taxes[e.LineID] = e.Amount
				}
				if e.InvoiceID != doc.ID {
					t.Errorf("entry %s refers to %q", e.Account, e.InvoiceID)
				}
			}
			if len(taxes) != len(tt.tax) {
				t.Errorf("tax entries %v, want %v", taxes, tt.tax)
			}
			for j, want := range tt.tax {
				if got, ok := taxes["tax:"+j]; !ok || !got.Equal(lcDec(t, want)) {
					t.Errorf("tax payable %s = %s, want %s", j, got, want)
				}
			}
			if !tx.Time.Equal(doc.IssuedAt) || tx.Kind != string(doc.Kind) {
				t.Errorf("time %s kind %s", tx.Time, tx.Kind)
			}
		})
	}
}

// An invoice and its full credit note net to zero on every account.
func TestCreditNotePostingReversesTheInvoice(t *testing.T) {
	inv := lcMultiJurisdiction(t)
	txInv, err := billing.InvoiceTransaction(inv)
	if err != nil {
		t.Fatal(err)
	}
	txCN, err := billing.InvoiceTransaction(lcFullCredit(t, inv))
	if err != nil {
		t.Fatal(err)
	}
	if txInv.ID == txCN.ID {
		t.Fatal("invoice and credit note share a transaction id")
	}
	a, _ := lcBalances(txInv)
	b, _ := lcBalances(txCN)
	for acc, v := range a {
		if !v.Add(b[acc]).IsZero() {
			t.Errorf("%s: invoice %s + credit note %s != 0", acc, v, b[acc])
		}
	}
}

func TestVoidTransactionReverses(t *testing.T) {
	inv := lcEUR(t)
	issue, err := billing.InvoiceTransaction(inv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := billing.VoidTransaction(inv, lcCreditAt); !errors.Is(err, billing.ErrConflict) {
		t.Fatalf("void posting of an issued invoice: %v, want ErrConflict", err)
	}
	if err := inv.Void(lcCreditAt); err != nil {
		t.Fatal(err)
	}
	void, err := billing.VoidTransaction(inv, lcCreditAt)
	if err != nil {
		t.Fatal(err)
	}
	if err := void.Validate(); err != nil {
		t.Fatal(err)
	}
	if void.ID == issue.ID || void.Kind != billing.TxVoid || !void.Time.Equal(lcCreditAt) {
		t.Errorf("void tx id %s kind %s time %s", void.ID, void.Kind, void.Time)
	}
	a, _ := lcBalances(issue)
	b, _ := lcBalances(void)
	if len(a) != len(b) {
		t.Fatalf("accounts %v vs %v", a, b)
	}
	for acc, v := range a {
		if !v.Add(b[acc]).IsZero() {
			t.Errorf("%s: issue %s + void %s != 0", acc, v, b[acc])
		}
	}
}

func TestTransactionIDsAreDeterministic(t *testing.T) {
	a, err := billing.InvoiceTransaction(lcEUR(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := billing.InvoiceTransaction(lcEUR(t))
	if err != nil {
		t.Fatal(err)
	}
	c, err := billing.InvoiceTransaction(lcJPY(t))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || a.ID != billing.TransactionID("issue", "inv-eur") {
		t.Errorf("same invoice, ids %s and %s", a.ID, b.ID)
	}
	if a.ID == c.ID {
		t.Error("two invoices share a transaction id")
	}
	v1, v2 := lcEUR(t), lcEUR(t)
	for _, v := range []*billing.Invoice{v1, v2} {
		if err := v.Void(lcCreditAt); err != nil {
			t.Fatal(err)
		}
	}
	x, _ := billing.VoidTransaction(v1, lcCreditAt)
	y, _ := billing.VoidTransaction(v2, lcCreditAt.Add(time.Hour)) // a replay later: same id
	if x.ID == "" || x.ID != y.ID || x.ID == a.ID {
		t.Errorf("void ids %q %q (issue %q)", x.ID, y.ID, a.ID)
	}
}

func TestInvoiceTransactionRefuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(inv *billing.Invoice)
		kind   error
	}{
		{"draft", func(inv *billing.Invoice) { inv.Status, inv.Number = billing.StatusDraft, "" }, billing.ErrConflict},
		{"total off by a cent", func(inv *billing.Invoice) { inv.Total = inv.Total.Add(lcDec(t, "0.01")) }, billing.ErrInvalid},
		{"subtotal not the lines", func(inv *billing.Invoice) {
			inv.Subtotal = inv.Subtotal.Add(lcDec(t, "1"))
			inv.Total = inv.Total.Add(lcDec(t, "1"))
		}, billing.ErrInvalid},
		{"line does not add up", func(inv *billing.Invoice) { inv.Lines[0].Gross = inv.Lines[0].Gross.Add(lcDec(t, "0.01")) }, billing.ErrInvalid},
		{"sub-cent amount", func(inv *billing.Invoice) {
			inv.Lines[0].Net = inv.Lines[0].Net.Add(lcDec(t, "0.001"))
			inv.Lines[0].Gross = inv.Lines[0].Gross.Add(lcDec(t, "0.001"))
		}, billing.ErrInvalid},
		{"summaries miss tax", func(inv *billing.Invoice) { inv.Taxes = inv.Taxes[:1] }, billing.ErrInvalid},
		{"unknown currency", func(inv *billing.Invoice) { inv.Currency = "EURO" }, billing.ErrInvalid},
		{"buyer without kind", func(inv *billing.Invoice) { inv.Buyer.Kind = "" }, billing.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := lcEUR(t)
			tt.mutate(inv)
			if _, err := billing.InvoiceTransaction(inv); !errors.Is(err, tt.kind) {
				t.Fatalf("InvoiceTransaction = %v, want %v", err, tt.kind)
			}
		})
	}
}
