package chsql_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
)

// unquote parses a ClickHouse single-quoted literal the way the server does for the escapes
// String produces; it returns ok=false when the literal is malformed (e.g. ends early).
func unquote(lit string) (string, bool) {
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return "", false
	}
	var b strings.Builder
	body := lit[1 : len(lit)-1]
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '\\':
			if i+1 >= len(body) {
				return "", false
			}
			i++
			b.WriteByte(body[i])
		case '\'':
			return "", false // an unescaped quote would end the literal early
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", `'plain'`},
		{"O'Brien", `'O\'Brien'`},
		{`back\slash`, `'back\\slash'`},
		{`'; DROP TABLE usage; --`, `'\'; DROP TABLE usage; --'`},
		{"", `''`},
	} {
		if got := chsql.String(tc.in); got != tc.want {
			t.Errorf("String(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "a'b", `\`, `\'`, "x\x00y", "é'\\'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		back, ok := unquote(chsql.String(s))
		if !ok || back != s {
			t.Fatalf("String(%q) = %s does not parse back (got %q, ok %v)", s, chsql.String(s), back, ok)
		}
	})
}

func TestTime(t *testing.T) {
	at := time.Date(2026, 11, 1, 1, 2, 3, 999, time.FixedZone("CET", 3600))
	if got, want := chsql.Time(at), "toDateTime('2026-11-01 00:02:03', 'UTC')"; got != want {
		t.Errorf("Time = %s, want %s", got, want)
	}
}

func TestTablesKeepIdentityInOrderBy(t *testing.T) {
	for _, tc := range []struct {
		table    chsql.Table
		identity []string
	}{
		{chsql.UsageTable(), []string{"source", "event_id"}},
		{chsql.RatedTable(), []string{"id"}},
		{chsql.JournalTable(), []string{"tx_id", "entry_index"}},
		{chsql.DocumentsTable(), []string{"id"}},
		{chsql.DocumentLinesTable(), []string{"document_id", "version", "line_no"}},
		{chsql.DocumentEventsTable(), []string{"document_id", "version"}},
		{chsql.RejectsTable(), []string{"topic", "kafka_partition", "kafka_offset"}},
		{chsql.AuditTable(), []string{"id"}},
		{chsql.EventsTable(), []string{"aggregate", "seq"}},
	} {
		_, orderBy, ok := strings.Cut(tc.table.Engine, "ORDER BY ")
		if !ok || !strings.Contains(tc.table.Engine, "ReplacingMergeTree") {
			t.Errorf("%s: engine %q is not a ReplacingMergeTree with ORDER BY", tc.table.Name, tc.table.Engine)
			continue
		}
		for _, col := range tc.identity {
			if !strings.Contains(orderBy, col) {
				t.Errorf("%s: identity column %s missing from ORDER BY %s", tc.table.Name, col, orderBy)
			}
		}
		ddl := tc.table.CreateSQL("db")
		if !strings.HasPrefix(ddl, "CREATE TABLE IF NOT EXISTS `db`.`"+tc.table.Name+"`") {
			t.Errorf("%s: DDL is not idempotent: %s", tc.table.Name, ddl)
		}
		for _, c := range tc.table.Columns {
			if strings.Contains(c.Type, "DateTime") && c.Type != "DateTime('UTC')" {
				t.Errorf("%s.%s: time column %s does not pin UTC", tc.table.Name, c.Name, c.Type)
			}
			if strings.Contains(c.Type, "Float") || strings.Contains(c.Type, "Map") || strings.Contains(c.Type, "DateTime64") {
				t.Errorf("%s.%s: type %s is not allowed (floats for money; 18.16 lacks Map and DateTime64)", tc.table.Name, c.Name, c.Type)
			}
		}
	}
}

func TestMigrationsAreIdempotent(t *testing.T) {
	var last uint32
	for _, m := range chsql.Migrations("db") {
		if m.Version <= last {
			t.Errorf("migration %d after %d: versions must increase", m.Version, last)
		}
		last = m.Version
		for _, s := range m.Statements {
			if !strings.Contains(s, "IF NOT EXISTS") {
				t.Errorf("migration %d statement is not idempotent: %.80s", m.Version, s)
			}
		}
	}
	rec := chsql.RecordMigrationSQL("db", chsql.Migration{Version: 7, Name: "it's"}, time.Unix(0, 0))
	if strings.Contains(rec, "VALUES") || !strings.Contains(rec, `'it\'s'`) {
		t.Errorf("record statement must be INSERT ... SELECT with quoted values: %s", rec)
	}
}

func TestQueries(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	p := ledger.Period{From: from, To: from.AddDate(0, 1, 0)}
	cases := []struct {
		name    string
		q       chsql.Query
		must    []string
		mustNot []string
	}{
		{"usage totals by account", chsql.UsageTotals("db", ledger.UsageQuery{Account: "A'1", Period: p, Meters: []string{"m1", "m2"}}),
			[]string{"FINAL", `account = 'A\'1'`, "event_time >= toDateTime('2026-11-01 00:00:00', 'UTC')", "event_time < toDateTime('2026-12-01 00:00:00', 'UTC')", "meter IN ('m1', 'm2')"},
			[]string{"pricing_group"}},
		{"usage totals by group", chsql.UsageTotals("db", ledger.UsageQuery{PricingGroup: "g", Period: p}),
			[]string{"pricing_group = 'g'"}, []string{"account =", "meter IN"}},
		{"consumption grouped", chsql.Consumption("db", ledger.ConsumptionQuery{Account: "A", Period: p, GroupBy: "region"}),
			[]string{"attr_values[indexOf(attr_keys, 'region')]", "toStartOfDay"}, nil},
		{"consumption flat", chsql.Consumption("db", ledger.ConsumptionQuery{Account: "A", Period: p}),
			[]string{"'' AS group_"}, []string{"indexOf"}},
		{"balances", chsql.Balances("db", ledger.BalanceQuery{AccountPrefix: "reseller:", AsOf: from}),
			[]string{"tx_time <= toDateTime('2026-11-01 00:00:00', 'UTC')", "substring(account, 1, 9) = 'reseller:'"}, nil},
		{"documents use argMax, not FINAL", chsql.Documents("db", ledger.DocumentQuery{Status: ledger.StatusPaid}),
			[]string{"argMax(status, version)", "status_ = 'paid'"}, []string{"FINAL"}},
		{"rejects limit", chsql.Rejects("db", ledger.RejectQuery{Period: p, Limit: 5, Reason: "bad"}),
			[]string{"LIMIT 5", "reason = 'bad'", "hex(original)"}, nil},
	}
	for _, tc := range cases {
		for _, s := range tc.must {
			if !strings.Contains(tc.q.SQL, s) {
				t.Errorf("%s: SQL lacks %q:\n%s", tc.name, s, tc.q.SQL)
			}
		}
		for _, s := range tc.mustNot {
			if strings.Contains(tc.q.SQL, s) {
				t.Errorf("%s: SQL has %q:\n%s", tc.name, s, tc.q.SQL)
			}
		}
		if tc.q.Decimal != nil && len(tc.q.Decimal) != tc.q.Columns {
			t.Errorf("%s: decimal mask of %d for %d columns", tc.name, len(tc.q.Decimal), tc.q.Columns)
		}
	}
}

func TestDecodeErrorsNameThePosition(t *testing.T) {
	_, err := chsql.DecodeUsageTotals([][]string{{"m", "1.5", "2"}, {"m2", "not-a-number", "1"}})
	if err == nil || !strings.Contains(err.Error(), "row 1 column 2") {
		t.Errorf("error %v: want it to name row 1 column 2", err)
	}
	_, err = chsql.DecodeUsageTotals([][]string{{"m", "1"}})
	if err == nil {
		t.Error("short row decoded without error")
	}
	got, err := chsql.DecodeRejects([][]string{{"t", "1", "42", "1700000000", "r", "d", "s", "e", "00FF27"}})
	if err != nil || len(got) != 1 || string(got[0].Original) != "\x00\xff'" || got[0].Offset != 42 || got[0].At.Unix() != 1700000000 {
		t.Errorf("reject decode: %+v, %v", got, err)
	}
	docs, err := chsql.DecodeDocuments([][]string{{"id", "3", "invoice", "N", "I", "A", "EUR", "1", "2", "0", "paid", "1.5", "0", "1.5", "", "5", "x"}})
	if err != nil || len(docs) != 1 || !docs[0].IssuedAt.IsZero() || docs[0].Version != 3 {
		t.Errorf("document decode (epoch issued_at means unset): %+v, %v", docs, err)
	}
}

func FuzzDecodeRejects(f *testing.F) {
	f.Add("t", "0", "1", "1700000000", "00ff")
	f.Add("", "-1", "x", "", "zz")
	f.Fuzz(func(t *testing.T, topic, partition, offset, at, original string) {
		out, err := chsql.DecodeRejects([][]string{{topic, partition, offset, at, "r", "d", "s", "e", original}})
		if err == nil && (len(out) != 1 || out[0].Topic != topic) {
			t.Fatalf("decoded %+v without error", out)
		}
	})
}

func FuzzDecodeUsageTotals(f *testing.F) {
	f.Add("m", "12345678901234567890123456.789012345678", "3")
	f.Add("m", "1e5", "-1")
	f.Fuzz(func(t *testing.T, meter, qty, events string) {
		out, err := chsql.DecodeUsageTotals([][]string{{meter, qty, events}})
		if err == nil && (len(out) != 1 || out[0].Meter != meter) {
			t.Fatalf("decoded %+v without error", out)
		}
	})
}
