package chdb_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
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

// expectedTotals is the in-memory ledger's answer for the same rows: the oracle the engine's
// answer is compared with (ledgertest's conformance suite holds both to the same semantics).
func expectedTotals(rows []ledger.Usage) []ledger.UsageTotal {
	ctx := context.Background()
	mem := ledgertest.NewMemStore()
	if err := mem.WriteUsage(ctx, rows); err != nil {
		panic(fmt.Sprintf("fixture rows rejected by the in-memory ledger: %v", err))
	}
	totals, err := mem.UsageTotals(ctx, ledger.UsageQuery{Account: "ACME", Period: month})
	if err != nil {
		panic(fmt.Sprintf("in-memory usage totals: %v", err))
	}
	return totals
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
