package clickhouse_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/shopspring/decimal"
)

var sqlBlock = regexp.MustCompile("(?s)```sql\n(.*?)```")

// TestDocQueries runs every SQL example of docs/ledger.md against a server holding sample data,
// and requires each to return rows, so the documentation stays true.
func TestDocQueries(t *testing.T) {
	doc, err := os.ReadFile("../../docs/ledger.md")
	if err != nil {
		t.Fatal(err)
	}
	queries := sqlBlock.FindAllStringSubmatch(string(doc), -1)
	if len(queries) < 5 {
		t.Fatalf("found %d SQL examples in docs/ledger.md", len(queries))
	}
	srv := clickhousetest.Start(t)
	s := open(t, srv, func(c *clickhouse.Config) { c.Database = "ledger" })
	ctx := context.Background()
	at := time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	rows := faultRows("doc", 1000)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.WriteUsage(ctx, rows))
	must(s.WriteUsage(ctx, rows[:100])) // a replay, for the duplicates example
	must(s.WriteRated(ctx, []ledger.RatedDelta{{ID: "r1", Account: "ACME", Charge: "api", Meter: "api_calls", EventTime: at,
		Quantity: decimal.RequireFromString("10"), Amount: decimal.RequireFromString("0.123456789"), Currency: "EUR", Version: 1}}))
	must(s.WriteTransactions(ctx, []ledger.Transaction{{ID: "INV-1", Time: at, Kind: "invoice", Entries: []ledger.Entry{
		{Account: "customer:ACME:receivable", Amount: decimal.RequireFromString("119"), Currency: "EUR", InvoiceID: "INV-1"},
		{Account: "reseller:R1:revenue", Amount: decimal.RequireFromString("-100"), Currency: "EUR", InvoiceID: "INV-1"},
		{Account: "tax:DE:payable", Amount: decimal.RequireFromString("-19"), Currency: "EUR", InvoiceID: "INV-1"},
	}}}))
	must(s.WriteDocuments(ctx, []ledger.Document{{ID: "INV-1", Version: 1, Kind: ledger.KindInvoice, Number: "V-1", Issuer: "V",
		Account: "ACME", Currency: "EUR", PeriodStart: at, PeriodEnd: at, IssuedAt: at, ChangedAt: at, Status: ledger.StatusIssued,
		Total: decimal.RequireFromString("119")}}))
	must(s.WriteEvents(ctx, []ledger.Event{{Aggregate: "subscription:S1", Seq: 1, Type: "created", At: at, RecordedAt: at,
		Actor: "cli", Data: []byte(`{"account":"ACME","plan":"pro"}`)}}))
	must(s.WriteRejects(ctx, []ledger.Reject{{Topic: "usage.raw", Offset: 7, At: at, Reason: "bad_json", Original: []byte("{")}}))

	conn, err := ch.Open(&ch.Options{Addr: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range queries {
		sql := strings.TrimSpace(q[1])
		r, err := conn.Query(ctx, sql)
		if err != nil {
			t.Errorf("doc query fails: %v\n%s", err, sql)
			continue
		}
		n := 0
		for r.Next() {
			n++
		}
		if err := r.Err(); err != nil {
			t.Errorf("doc query fails while reading: %v\n%s", err, sql)
		}
		_ = r.Close()
		if n == 0 {
			t.Errorf("doc query returns no rows on the sample data:\n%s", sql)
		}
	}
}
