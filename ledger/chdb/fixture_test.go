package chdb_test

import (
	"fmt"
	"sort"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// month is the period the fixtures fall in.
var month = ledger.Period{
	From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	To:   time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
}

// fixtureUsage returns n events of account "ACME" over two meters with
// quantities that exercise all 12 fraction digits and ~20 integer digits.
func fixtureUsage(n int) []ledger.Usage {
	rows := make([]ledger.Usage, n)
	for i := range rows {
		q := decimal.New(int64(i+1), -12).Add(decimal.New(int64(i%7), 18))
		rows[i] = ledger.Usage{
			Source: "vendor-a", EventID: fmt.Sprintf("ev-%06d", i), Subject: "dev-1",
			Meter:      []string{"api_calls", "gb_stored"}[i%2],
			Quantity:   q,
			EventTime:  month.From.Add(time.Duration(i) * time.Minute).Add(500 * time.Millisecond),
			IngestTime: month.From.Add(time.Duration(i)*time.Minute + time.Second),
			Attributes: []ledger.Attribute{{Key: "region", Value: []string{"eu", "us"}[i%3%2]}, {Key: "tab\tkey", Value: "new\nline"}},
			Account:    "ACME", Subscription: "sub-1", PlanVersion: "plan@3", Chain: []string{"vendor:V", "reseller:R1"},
		}
	}
	return rows
}

// expectedTotals computes UsageTotals for distinct rows in Go, the oracle the
// engine's answer is compared with.
func expectedTotals(rows []ledger.Usage) []ledger.UsageTotal {
	seen := map[string]bool{}
	by := map[string]*ledger.UsageTotal{}
	for _, u := range rows {
		if seen[u.Key()] {
			continue
		}
		seen[u.Key()] = true
		t := by[u.Meter]
		if t == nil {
			t = &ledger.UsageTotal{Meter: u.Meter}
			by[u.Meter] = t
		}
		t.Quantity = t.Quantity.Add(u.Quantity)
		t.Events++
	}
	out := make([]ledger.UsageTotal, 0, len(by))
	for _, t := range by {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Meter < out[j].Meter })
	return out
}

// fixtureTx is a balanced invoice transaction with 18-digit fractions.
func fixtureTx(id string, amount string) ledger.Transaction {
	a := decimal.RequireFromString(amount)
	return ledger.Transaction{ID: id, Time: month.From.Add(48 * time.Hour), Kind: "invoice", Description: "it's \"quoted\"",
		Entries: []ledger.Entry{
			{Account: "customer:ACME:receivable", Amount: a, Currency: "EUR", InvoiceID: "inv-1"},
			{Account: "vendor:V:revenue", Amount: a.Neg(), Currency: "EUR", InvoiceID: "inv-1"},
		}}
}

// fixtureDoc is one version of an invoice.
func fixtureDoc(version uint64, status ledger.DocumentStatus, lines int) ledger.Document {
	d := ledger.Document{ID: "inv-1", Version: version, Kind: ledger.KindInvoice, Issuer: "V", Account: "ACME",
		Currency: "EUR", PeriodStart: month.From, PeriodEnd: month.To, Status: status,
		Subtotal: decimal.RequireFromString("100.25"), Tax: decimal.RequireFromString("19.0475"),
		Total: decimal.RequireFromString("119.2975"), ChangedAt: month.To.Add(time.Duration(version) * time.Hour), Actor: "billing"}
	if status != ledger.StatusDraft {
		d.Number = "INV-2026-0001"
		d.IssuedAt = month.To.Add(time.Hour)
	}
	for i := 0; i < lines; i++ {
		d.Lines = append(d.Lines, ledger.DocumentLine{LineNo: uint32(i + 1), Description: fmt.Sprintf("line %d v%d", i, version),
			Charge: "c", Meter: "api_calls", Quantity: decimal.New(int64(i+1), 0), UnitPrice: decimal.RequireFromString("0.000000000000000001"),
			Amount: decimal.New(int64(i+1), -18), TaxAmount: decimal.Zero})
	}
	return d
}
