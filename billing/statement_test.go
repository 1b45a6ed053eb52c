package billing_test

import (
	"errors"
	"testing"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// journalOf turns transactions into the journal lines of one party, as the ledger lists them.
func journalOf(party string, txs ...ledger.Transaction) []ledger.JournalLine {
	var out []ledger.JournalLine
	for _, tx := range txs {
		for i, e := range tx.Entries {
			if ledger.Party(e.Account) == party {
				out = append(out, ledger.JournalLine{TxID: tx.ID, Index: uint32(i), Time: tx.Time, Kind: tx.Kind, Description: tx.Description, Entry: e})
			}
		}
	}
	return out
}

func TestBuildStatementFromTheJournal(t *testing.T) {
	inv := handInvoice("EUR",
		billing.Line{Kind: billing.LineRecurring, PlanID: "basic", Net: decimal.RequireFromString("31")},
		billing.Line{Kind: billing.LineDiscount, PlanID: "basic", Net: decimal.RequireFromString("-3.10")})
	sp, err := billing.Split(billing.SplitInput{Invoice: inv, Levels: splitChain(billing.Account{MarginPercent: pct("20")},
		billing.Account{MarginPercent: pct("10")}), Catalog: splitCatalog(t)})
	if err != nil {
		t.Fatal(err)
	}
	issue, err := billing.InvoiceTransaction(inv)
	if err != nil {
		t.Fatal(err)
	}
	split, _, err := billing.SplitTransaction(sp)
	if err != nil {
		t.Fatal(err)
	}
	voidAt := billingtest.Day(2026, 10, 5)
	voided := *inv
	voided.Status = billing.StatusVoid
	void, err := billing.VoidTransaction(&voided, voidAt)
	if err != nil {
		t.Fatal(err)
	}
	splitVoid, _, err := billing.SplitVoidTransaction(sp, voidAt)
	if err != nil {
		t.Fatal(err)
	}
	docs := func(id string) (*billing.Invoice, bool) { return inv, id == inv.ID }
	period := billing.Period{From: billingtest.Day(2026, 10, 1), To: billingtest.Day(2026, 11, 1)}
	for _, tc := range []struct {
		name                 string
		party                billing.Party
		txs                  []ledger.Transaction
		rows                 int
		retail, cost, margin string
	}{
		// R sells 27.90 net, pays 80 % of it: 24.80 + (−2.48) = 22.32.
		{"issuer", sp.Levels[0], []ledger.Transaction{issue, split}, 2, "27.90", "22.32", "5.58"},
		{"distributor", sp.Levels[1], []ledger.Transaction{issue, split}, 2, "22.32", "20.09", "2.23"},
		{"issuer after void", sp.Levels[0], []ledger.Transaction{issue, split, void, splitVoid}, 4, "0.00", "0.00", "0.00"},
		{"distributor after void", sp.Levels[1], []ledger.Transaction{issue, split, void, splitVoid}, 4, "0.00", "0.00", "0.00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := billing.BuildStatement(tc.party, period, journalOf(string(tc.party.Kind)+":"+tc.party.ID, tc.txs...), docs)
			if err != nil {
				t.Fatal(err)
			}
			tot := st.Totals[0]
			got := [3]string{tot.Retail.StringFixed(2), tot.Cost.StringFixed(2), tot.Margin.StringFixed(2)}
			if len(st.Rows) != tc.rows || got != [3]string{tc.retail, tc.cost, tc.margin} {
				t.Errorf("%d rows, totals %v; want %d rows, %s %s %s", len(st.Rows), got, tc.rows, tc.retail, tc.cost, tc.margin)
			}
		})
	}
	// A journal entry naming a document the statement cannot find is a conflict, never skipped.
	_, err = billing.BuildStatement(sp.Levels[0], period, journalOf("reseller:R", issue), func(string) (*billing.Invoice, bool) { return nil, false })
	if !errors.Is(err, billing.ErrConflict) {
		t.Errorf("unknown document: %v, want conflict", err)
	}
}
