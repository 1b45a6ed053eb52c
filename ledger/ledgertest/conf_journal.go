package ledgertest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// invoiceTx books an invoice: customer receivable against reseller revenue and tax payable.
func invoiceTx(id, customer, currency string, net, tax decimal.Decimal, at time.Time) ledger.Transaction {
	return ledger.Transaction{ID: id, Time: at, Kind: "invoice", Description: "invoice " + id, Entries: []ledger.Entry{
		{Account: "customer:" + customer + ":receivable", Amount: net.Add(tax), Currency: currency, InvoiceID: id},
		{Account: "reseller:R1:revenue", Amount: net.Neg(), Currency: currency, InvoiceID: id, LineID: id + "/1"},
		{Account: "tax:DE:payable", Amount: tax.Neg(), Currency: currency, InvoiceID: id},
	}}
}

// expectBalances sums entries of txs booked at or before asOf (the reference).
func expectBalances(txs []ledger.Transaction, asOf time.Time, prefix string) map[[2]string]decimal.Decimal {
	out := map[[2]string]decimal.Decimal{}
	for _, tx := range txs {
		if tx.Time.After(asOf) {
			continue
		}
		for _, e := range tx.Entries {
			if strings.HasPrefix(e.Account, prefix) {
				k := [2]string{e.Account, e.Currency}
				out[k] = out[k].Add(e.Amount)
			}
		}
	}
	return out
}

func checkBalances(t *testing.T, got []ledger.Balance, want map[[2]string]decimal.Decimal) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d balances %v, want %d %v", len(got), got, len(want), want)
	}
	for i, b := range got {
		w, ok := want[[2]string{b.Account, b.Currency}]
		if !ok || !b.Amount.Equal(w) {
			t.Errorf("balance %s %s = %s, want %s (present %v)", b.Account, b.Currency, b.Amount, w, ok)
		}
		if i > 0 && (got[i-1].Account > b.Account || (got[i-1].Account == b.Account && got[i-1].Currency >= b.Currency)) {
			t.Errorf("balances not sorted: %v", got)
		}
	}
}

func testJournal(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	var txs []ledger.Transaction
	for i := 0; i < 20; i++ {
		net := decimal.New(int64(1000+i*37), -2)
		tax := net.Mul(dec("0.19")).Round(2)
		txs = append(txs, invoiceTx(fmt.Sprintf("INV-%03d", i), []string{"ACME", "Globex"}[i%2], "EUR", net, tax, day0().Add(time.Duration(i)*36*time.Hour)))
	}
	must(t, s.WriteTransactions(c, txs), "write")
	must(t, s.WriteTransactions(c, txs[:5]), "replay")
	for _, asOf := range []time.Time{day0().Add(10 * 24 * time.Hour), txs[7].Time, day0().AddDate(1, 0, 0)} {
		for _, prefix := range []string{"", "customer:ACME:", "reseller:"} {
			got, err := s.Balances(c, ledger.BalanceQuery{AccountPrefix: prefix, AsOf: asOf})
			must(t, err, "balances")
			checkBalances(t, got, expectBalances(txs, asOf, prefix))
		}
	}
	// All accounts together always balance to zero.
	all, err := s.Balances(c, ledger.BalanceQuery{AsOf: day0().AddDate(1, 0, 0)})
	must(t, err, "balances")
	var sum decimal.Decimal
	for _, b := range all {
		sum = sum.Add(b.Amount)
	}
	if !sum.IsZero() {
		t.Errorf("trial balance sums to %s", sum)
	}

	period := ledger.Period{From: day0().Add(5 * 24 * time.Hour), To: day0().Add(20 * 24 * time.Hour)}
	lines, err := s.Journal(c, ledger.JournalQuery{Party: "reseller:R1", Period: period})
	must(t, err, "journal")
	var want []ledger.JournalLine
	for _, tx := range txs {
		if tx.Time.Before(period.From) || !tx.Time.Before(period.To) {
			continue
		}
		for i, e := range tx.Entries {
			if ledger.Party(e.Account) == "reseller:R1" {
				want = append(want, ledger.JournalLine{TxID: tx.ID, Index: uint32(i), Time: tx.Time, Kind: tx.Kind, Description: tx.Description, Entry: e})
			}
		}
	}
	if len(lines) != len(want) {
		t.Fatalf("journal: %d lines, want %d", len(lines), len(want))
	}
	for i := range lines {
		g, w := lines[i], want[i]
		if g.TxID != w.TxID || g.Index != w.Index || !g.Time.Equal(w.Time) || g.Kind != w.Kind || g.Description != w.Description ||
			g.Account != w.Account || !g.Amount.Equal(w.Amount) || g.Currency != w.Currency || g.InvoiceID != w.InvoiceID ||
			g.LineID != w.LineID || g.EventID != w.EventID {
			t.Errorf("journal line %d: got %+v, want %+v", i, g, w)
		}
	}
}

func testJournalCurrencies(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	txs := []ledger.Transaction{
		invoiceTx("JPY-1", "ACME", "JPY", dec("123457"), dec("12346"), day0().Add(time.Hour)),
		invoiceTx("BHD-1", "ACME", "BHD", dec("10.125"), dec("1.013"), day0().Add(2*time.Hour)),
		invoiceTx("BHD-2", "ACME", "BHD", dec("0.001"), dec("0.000"), day0().Add(3*time.Hour)),
		// A multi-currency transaction balances per currency.
		{ID: "FX-1", Time: day0().Add(4 * time.Hour), Kind: "payment", Entries: []ledger.Entry{
			{Account: "bank:main:cash", Amount: dec("500"), Currency: "JPY"},
			{Account: "customer:ACME:receivable", Amount: dec("-500"), Currency: "JPY"},
			{Account: "bank:main:cash", Amount: dec("1.234"), Currency: "BHD"},
			{Account: "customer:ACME:receivable", Amount: dec("-1.234"), Currency: "BHD"},
		}},
	}
	must(t, s.WriteTransactions(c, txs), "write")
	got, err := s.Balances(c, ledger.BalanceQuery{AsOf: day0().Add(24 * time.Hour)})
	must(t, err, "balances")
	checkBalances(t, got, expectBalances(txs, day0().Add(24*time.Hour), ""))
	for _, b := range got {
		if b.Currency == "JPY" && !b.Amount.Equal(b.Amount.Truncate(0)) {
			t.Errorf("JPY balance %s has fraction digits", b.Amount)
		}
		if b.Currency == "BHD" && !b.Amount.Equal(b.Amount.Truncate(3)) {
			t.Errorf("BHD balance %s has more than 3 fraction digits", b.Amount)
		}
	}
}

func testJournalImbalance(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	good := invoiceTx("OK-1", "ACME", "EUR", dec("10.00"), dec("1.90"), day0())
	bad := invoiceTx("BAD-1", "ACME", "EUR", dec("10.00"), dec("1.90"), day0())
	bad.Entries[0].Amount = dec("11.91")
	mixed := ledger.Transaction{ID: "BAD-2", Time: day0(), Kind: "payment", Entries: []ledger.Entry{
		{Account: "bank:main:cash", Amount: dec("5"), Currency: "EUR"},
		{Account: "customer:ACME:receivable", Amount: dec("-5"), Currency: "USD"},
	}}
	badAccount := invoiceTx("BAD-3", "ACME", "EUR", dec("1"), dec("0"), day0())
	badAccount.Entries[1].Account = "revenue"
	for _, tc := range []struct {
		tx   ledger.Transaction
		kind error
		text string
	}{
		{bad, ledger.ErrUnbalanced, "EUR entries sum to 0.01"},
		{mixed, ledger.ErrUnbalanced, "EUR entries sum to 5"},
		{badAccount, ledger.ErrInvalid, "entries[1].account"},
	} {
		err := s.WriteTransactions(c, []ledger.Transaction{good, tc.tx})
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.tx.ID) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("transaction %s: error %v, want %v naming the id and %q", tc.tx.ID, err, tc.kind, tc.text)
		}
	}
	got, err := s.Balances(c, ledger.BalanceQuery{AsOf: day0().AddDate(1, 0, 0)})
	must(t, err, "balances")
	if len(got) != 0 {
		t.Errorf("rejected calls wrote entries: %v", got)
	}
}

func testJournalDigits(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	big := dec("12345678901234567890.123456789012345678") // 38 digits: 20 integer, 18 fraction
	tx := ledger.Transaction{ID: "BIG", Time: day0(), Kind: "adjustment", Entries: []ledger.Entry{
		{Account: "customer:ACME:receivable", Amount: big, Currency: "EUR"},
		{Account: "reseller:R1:revenue", Amount: big.Neg(), Currency: "EUR"},
	}}
	must(t, s.WriteTransactions(c, []ledger.Transaction{tx}), "write")
	got, err := s.Balances(c, ledger.BalanceQuery{AsOf: day0()})
	must(t, err, "balances")
	checkBalances(t, got, expectBalances([]ledger.Transaction{tx}, day0(), ""))
	over := tx
	over.ID = "OVER"
	over.Entries = []ledger.Entry{
		{Account: "customer:ACME:receivable", Amount: dec("123456789012345678901"), Currency: "EUR"},
		{Account: "reseller:R1:revenue", Amount: dec("-123456789012345678901"), Currency: "EUR"},
	}
	if err := s.WriteTransactions(c, []ledger.Transaction{over}); !errors.Is(err, ledger.ErrOutOfBounds) || !strings.Contains(err.Error(), "entries[0].amount") {
		t.Errorf("21 integer digits: error %v, want ErrOutOfBounds naming entries[0].amount", err)
	}
}
