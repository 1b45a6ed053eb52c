package chdb

import (
	"encoding/binary"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
	"github.com/cascade-billing/cascade/ledger/internal/rowbinary"
	"github.com/shopspring/decimal"
)

// parseRow reads one RowBinary row by the chsql table's column types and
// returns each column as text; it fails if the encoder wrote a different
// number or shape of columns than the table declares.
func parseRow(t *testing.T, table chsql.Table, data []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	off := 0
	str := func() string {
		n, k := binary.Uvarint(data[off:])
		if k <= 0 || off+k+int(n) > len(data) {
			t.Fatalf("%s: bad string at byte %d", table.Name, off)
		}
		off += k + int(n)
		return string(data[off-int(n) : off])
	}
	fixed := func(n int) []byte {
		if off+n > len(data) {
			t.Fatalf("%s: row ends at byte %d, need %d more", table.Name, len(data), n)
		}
		off += n
		return data[off-n : off]
	}
	dec := func(typ string) string {
		scale, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(typ, "Decimal(38, "), ")"))
		lo, hi := binary.LittleEndian.Uint64(fixed(8)), binary.LittleEndian.Uint64(fixed(8))
		v := new(big.Int).Lsh(new(big.Int).SetUint64(hi), 64)
		v.Or(v, new(big.Int).SetUint64(lo))
		if hi>>63 == 1 {
			v.Sub(v, new(big.Int).Lsh(big.NewInt(1), 128))
		}
		return decimal.NewFromBigInt(v, int32(-scale)).String()
	}
	for _, c := range table.Columns {
		switch {
		case c.Type == "String":
			out[c.Name] = str()
		case c.Type == "Array(String)":
			n, k := binary.Uvarint(data[off:])
			off += k
			var parts []string
			for i := uint64(0); i < n; i++ {
				parts = append(parts, str())
			}
			out[c.Name] = strings.Join(parts, ",")
		case c.Type == "DateTime('UTC')":
			out[c.Name] = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(fixed(4))), 10)
		case c.Type == "UInt64", c.Type == "Int64":
			out[c.Name] = strconv.FormatInt(int64(binary.LittleEndian.Uint64(fixed(8))), 10)
		case c.Type == "UInt32", c.Type == "Int32":
			out[c.Name] = strconv.FormatInt(int64(int32(binary.LittleEndian.Uint32(fixed(4)))), 10)
		case strings.HasPrefix(c.Type, "Decimal(38, "):
			out[c.Name] = dec(c.Type)
		case strings.HasPrefix(c.Type, "Array(Decimal(38, "):
			n, k := binary.Uvarint(data[off:])
			off += k
			var parts []string
			for i := uint64(0); i < n; i++ {
				parts = append(parts, dec(strings.TrimSuffix(strings.TrimPrefix(c.Type, "Array("), ")")))
			}
			out[c.Name] = strings.Join(parts, ",")
		default:
			t.Fatalf("%s.%s: type %s not handled by the layout test", table.Name, c.Name, c.Type)
		}
	}
	if off != len(data) {
		t.Fatalf("%s: encoder wrote %d bytes, the table's columns take %d", table.Name, len(data), off)
	}
	return out
}

func TestEncodersMatchChsqlTables(t *testing.T) {
	at := time.Date(2026, 11, 3, 4, 5, 6, 0, time.UTC)
	ts := strconv.FormatInt(at.Unix(), 10)
	usage := ledger.Usage{Source: "src", EventID: "ev", Subject: "subj", Meter: "m", Quantity: decimal.RequireFromString("1.5"),
		EventTime: at, IngestTime: at.Add(time.Second), Attributes: []ledger.Attribute{{Key: "k1", Value: "v1"}, {Key: "k2", Value: "v2"}},
		Account: "acct", Subscription: "sub", PlanVersion: "pv", PricingGroup: "pg", Chain: []string{"a", "b"},
		Rated: []ledger.Rating{{ID: "r1", Charge: "c1", Quantity: decimal.RequireFromString("1.5"), Amount: decimal.RequireFromString("0.000000000000000001"), Currency: "EUR"},
			{ID: "r2", Charge: "c2", Quantity: decimal.RequireFromString("-2"), Amount: decimal.RequireFromString("3"), Currency: "JPY"}}}
	rated := ledger.RatedDelta{ID: "id", Source: "src", EventID: "ev", Account: "acct", PricingGroup: "pg", Subscription: "sub",
		PlanVersion: "pv", Charge: "ch", Meter: "m", EventTime: at, Quantity: decimal.RequireFromString("2"),
		Amount: decimal.RequireFromString("-0.25"), Currency: "EUR", Version: 7}
	tx := ledger.Transaction{ID: "tx", Time: at, Kind: "invoice", Description: "desc", Entries: []ledger.Entry{
		{Account: "customer:C:receivable", Amount: decimal.RequireFromString("3"), Currency: "EUR"},
		{Account: "vendor:V:revenue", Amount: decimal.RequireFromString("-3"), Currency: "EUR", InvoiceID: "inv", LineID: "l1", EventID: "e1"}}}
	doc := ledger.Document{ID: "doc", Version: 4, Kind: ledger.KindInvoice, Number: "N-1", Issuer: "V", Account: "acct", Currency: "EUR",
		PeriodStart: at, PeriodEnd: at.Add(time.Hour), IssuedAt: at.Add(2 * time.Hour), Status: ledger.StatusIssued,
		Subtotal: decimal.RequireFromString("10"), Tax: decimal.RequireFromString("1.9"), Total: decimal.RequireFromString("11.9"),
		RefersTo: "ref", ChangedAt: at.Add(3 * time.Hour), Actor: "bob",
		Lines: []ledger.DocumentLine{{LineNo: 9, Description: "d", Charge: "ch", Meter: "m", Quantity: decimal.RequireFromString("5"),
			UnitPrice: decimal.RequireFromString("0.5"), Amount: decimal.RequireFromString("2.5"), TaxAmount: decimal.RequireFromString("0.1")}}}
	rej := ledger.Reject{Topic: "top", Partition: 2, Offset: 99, At: at, Reason: "r", Detail: "det", Source: "src", EventID: "ev", Original: []byte("orig")}
	ev := ledger.Event{Aggregate: "subscription:S1", Seq: 3, Type: "created", At: at, RecordedAt: at.Add(time.Second), Actor: "cli",
		Data: []byte("{\"k\":\"v\"}")}
	aud := ledger.AuditEntry{ID: "id", At: at, Actor: "act", Action: "do", Object: "obj", Origin: "cli", Detail: "det"}

	cases := []struct {
		table  chsql.Table
		encode func(e *rowbinary.Encoder) error
		want   map[string]string
	}{
		{chsql.UsageTable(), func(e *rowbinary.Encoder) error { return encodeUsage(e, &usage) }, map[string]string{
			"source": "src", "event_id": "ev", "account": "acct", "subscription": "sub", "plan_version": "pv", "pricing_group": "pg",
			"chain": "a,b", "subject": "subj", "meter": "m", "quantity": "1.5", "event_time": ts, "ingest_time": strconv.FormatInt(at.Unix()+1, 10),
			"attr_keys": "k1,k2", "attr_values": "v1,v2", "rated_id": "r1,r2", "rated_charge": "c1,c2", "rated_quantity": "1.5,-2",
			"rated_amount": "0.000000000000000001,3", "rated_currency": "EUR,JPY"}},
		{chsql.RatedTable(), func(e *rowbinary.Encoder) error { return encodeRated(e, &rated) }, map[string]string{
			"id": "id", "version": "7", "source": "src", "event_id": "ev", "account": "acct", "pricing_group": "pg", "subscription": "sub",
			"plan_version": "pv", "charge": "ch", "meter": "m", "event_time": ts, "quantity": "2", "amount": "-0.25", "currency": "EUR"}},
		{chsql.JournalTable(), func(e *rowbinary.Encoder) error { return encodeJournal(e, &journalRow{tx: &tx, index: 1}) }, map[string]string{
			"tx_id": "tx", "entry_index": "1", "tx_time": ts, "kind": "invoice", "description": "desc", "account": "vendor:V:revenue",
			"party": "vendor:V", "amount": "-3", "currency": "EUR", "invoice_id": "inv", "line_id": "l1", "event_id": "e1"}},
		{chsql.DocumentsTable(), func(e *rowbinary.Encoder) error { return encodeDocument(e, &doc) }, map[string]string{
			"id": "doc", "version": "4", "kind": "invoice", "number": "N-1", "issuer": "V", "account": "acct", "currency": "EUR",
			"period_start": ts, "period_end": strconv.FormatInt(at.Unix()+3600, 10), "issued_at": strconv.FormatInt(at.Unix()+7200, 10),
			"status": "issued", "subtotal": "10", "tax": "1.9", "total": "11.9", "refers_to": "ref",
			"changed_at": strconv.FormatInt(at.Unix()+10800, 10), "actor": "bob"}},
		{chsql.DocumentLinesTable(), func(e *rowbinary.Encoder) error { return encodeLine(e, &lineRow{doc: &doc, index: 0}) }, map[string]string{
			"document_id": "doc", "version": "4", "line_no": "9", "description": "d", "charge": "ch", "meter": "m",
			"quantity": "5", "unit_price": "0.5", "amount": "2.5", "tax_amount": "0.1"}},
		{chsql.DocumentEventsTable(), func(e *rowbinary.Encoder) error { return encodeDocumentEvent(e, &doc) }, map[string]string{
			"document_id": "doc", "version": "4", "status": "issued", "at": strconv.FormatInt(at.Unix()+10800, 10), "actor": "bob"}},
		{chsql.RejectsTable(), func(e *rowbinary.Encoder) error { return encodeReject(e, &rej) }, map[string]string{
			"topic": "top", "kafka_partition": "2", "kafka_offset": "99", "at": ts, "reason": "r", "detail": "det", "source": "src",
			"event_id": "ev", "original": "orig"}},
		{chsql.AuditTable(), func(e *rowbinary.Encoder) error { return encodeAudit(e, &aud) }, map[string]string{
			"id": "id", "at": ts, "actor": "act", "action": "do", "object": "obj", "origin": "cli", "detail": "det"}},
		{chsql.EventsTable(), func(e *rowbinary.Encoder) error { return encodeEvent(e, &ev) }, map[string]string{
			"aggregate": "subscription:S1", "seq": "3", "type": "created", "at": ts, "recorded_at": strconv.FormatInt(at.Unix()+1, 10),
			"actor": "cli", "data": `{"k":"v"}`}},
	}
	for _, c := range cases {
		t.Run(c.table.Name, func(t *testing.T) {
			var e rowbinary.Encoder
			if err := c.encode(&e); err != nil {
				t.Fatal(err)
			}
			got := parseRow(t, c.table, e.Bytes())
			if len(c.want) != len(c.table.Columns) {
				t.Fatalf("test lists %d columns, table has %d", len(c.want), len(c.table.Columns))
			}
			for col, want := range c.want {
				if got[col] != want {
					t.Errorf("column %s = %q, want %q", col, got[col], want)
				}
			}
		})
	}
}
