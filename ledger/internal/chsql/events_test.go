package chsql_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
)

func TestEventsQuery(t *testing.T) {
	for _, tc := range []struct {
		prefix  string
		must    []string
		mustNot []string
	}{
		{"", []string{"`db`.`events` FINAL", "ORDER BY aggregate, seq", "hex(data)"}, []string{"WHERE"}},
		{"subscription:", []string{"aggregate >= 'subscription:'", "aggregate < 'subscription;'", "startsWith(aggregate, 'subscription:')"}, nil},
		{"it's", []string{`aggregate >= 'it\'s'`, `aggregate < 'it\'t'`, `startsWith(aggregate, 'it\'s')`}, nil},
		{`a\`, []string{`aggregate >= 'a\\'`, `aggregate < 'a]'`}, nil},
		// The last byte is 0xFF: the bound increments the byte before it and cuts the rest.
		{"a\xff", []string{"aggregate < 'b'"}, nil},
		// No string of only 0xFF bytes has a successor: no upper bound, startsWith decides.
		{"\xff\xff", []string{"aggregate >= '\xff\xff'", "startsWith(aggregate, '\xff\xff')"}, []string{"aggregate <"}},
	} {
		q := chsql.Events("db", ledger.EventQuery{AggregatePrefix: tc.prefix})
		for _, s := range tc.must {
			if !strings.Contains(q.SQL, s) {
				t.Errorf("prefix %q: SQL lacks %q:\n%s", tc.prefix, s, q.SQL)
			}
		}
		for _, s := range tc.mustNot {
			if strings.Contains(q.SQL, s) {
				t.Errorf("prefix %q: SQL has %q:\n%s", tc.prefix, s, q.SQL)
			}
		}
		if q.Columns != 7 {
			t.Errorf("events query has %d columns, the decoder reads 7", q.Columns)
		}
	}
}

func TestPeriodUsageChunksAccounts(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	p := ledger.Period{From: from, To: from.AddDate(0, 1, 0)}
	all := chsql.PeriodUsage("db", ledger.PeriodUsageQuery{Period: p, IngestedBefore: from.AddDate(0, 1, 5)})
	if len(all) != 1 || strings.Contains(all[0].SQL, "account IN") ||
		!strings.Contains(all[0].SQL, "ingest_time < toDateTime('2026-12-06 00:00:00', 'UTC')") ||
		!strings.Contains(all[0].SQL, "GROUP BY account, meter, event_time, source, event_id") {
		t.Fatalf("no account filter: %d queries, first:\n%s", len(all), all[0].SQL)
	}
	if len(all[0].Decimal) != all[0].Columns || all[0].Columns != 8 || !strings.Contains(all[0].SQL, "toString(toUInt64(0))") {
		t.Errorf("decimal mask %v for %d columns", all[0].Decimal, all[0].Columns)
	}

	var accounts []string
	for i := 50_000; i > 0; i-- { // unsorted, with duplicates and quotes
		accounts = append(accounts, "acct'"+strings.Repeat("x", i%7)+"-"+time.Unix(int64(i), 0).UTC().Format("150405"))
	}
	accounts = append(accounts, accounts[:100]...)
	qs := chsql.PeriodUsage("db", ledger.PeriodUsageQuery{Period: p, Accounts: accounts})
	if len(qs) < 2 {
		t.Fatalf("%d accounts fit one query", len(accounts))
	}
	var seen []string
	for i, q := range qs {
		if len(q.SQL) > 200<<10 {
			t.Errorf("query %d is %d bytes, over the budget for max_query_size 256 KiB", i, len(q.SQL))
		}
		if !strings.Contains(q.SQL, "account >= ") || !strings.Contains(q.SQL, "account <= ") {
			t.Errorf("query %d has no key range on account:\n%.300s", i, q.SQL)
		}
		_, list, ok := strings.Cut(q.SQL, "account IN (")
		list, _, ok2 := strings.Cut(list, ")")
		if !ok || !ok2 {
			t.Fatalf("query %d has no account list:\n%.300s", i, q.SQL)
		}
		for _, lit := range strings.Split(list, ", ") {
			seen = append(seen, strings.ReplaceAll(strings.Trim(lit, "'"), `\'`, "'"))
		}
	}
	want := slices.Clone(accounts)
	slices.Sort(want)
	want = slices.Compact(want)
	if !slices.Equal(seen, want) {
		t.Errorf("the queries' account lists, in order, are not the sorted distinct accounts (%d vs %d)", len(seen), len(want))
	}
}

func TestDecodeEvents(t *testing.T) {
	got, err := chsql.DecodeEvents([][]string{{"account:A", "7", "created", "1792800000", "1792800001", "cli", "7B7D00FF0A"}})
	if err != nil || len(got) != 1 {
		t.Fatalf("decode: %+v, %v", got, err)
	}
	e := got[0]
	if e.Aggregate != "account:A" || e.Seq != 7 || e.Type != "created" || e.At.Unix() != 1792800000 ||
		e.RecordedAt.Unix() != 1792800001 || e.Actor != "cli" || string(e.Data) != "{}\x00\xff\n" {
		t.Errorf("decoded %+v", e)
	}
	if _, err := chsql.DecodeEvents([][]string{{"a", "-1", "t", "0", "0", "", ""}}); err == nil {
		t.Error("negative seq decoded without error")
	}
}

func TestPeriodUsageUniqueBy(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	q := chsql.PeriodUsage("db", ledger.PeriodUsageQuery{Period: ledger.Period{From: from, To: from.AddDate(0, 1, 0)},
		UniqueBy: map[string]string{"users": "user_id", "o'seats": "seat"}})
	sql := q[0].SQL
	for _, want := range []string{"uniqExactIf(multiIf(meter = 'o\\'seats', v_[indexOf(k_, 'seat')], meter = 'users', v_[indexOf(k_, 'user_id')], '')",
		"any(attr_keys) AS k_, any(attr_values) AS v_"} {
		if !strings.Contains(sql, want) {
			t.Errorf("unique count query lacks %q:\n%s", want, sql)
		}
	}
}

func TestDecodePeriodUsage(t *testing.T) {
	got, err := chsql.DecodePeriodUsage([][]string{{"A", "S", "m", "12345678901234567890123456.789012345678", "2.5", "0.000000000001", "3", "2"}})
	if err != nil || len(got) != 1 {
		t.Fatalf("decode: %+v, %v", got, err)
	}
	u := got[0]
	if u.Account != "A" || u.Subscription != "S" || u.Meter != "m" || u.Quantity.String() != "12345678901234567890123456.789012345678" ||
		u.Max.String() != "2.5" || u.Latest.String() != "0.000000000001" || u.Events != 3 || u.Unique != 2 {
		t.Errorf("decoded %+v", u)
	}
}

func FuzzDecodeEvents(f *testing.F) {
	f.Add("account:A", "1", "0", "00ff")
	f.Add("", "x", "-5", "zz")
	f.Fuzz(func(t *testing.T, aggregate, seq, at, data string) {
		out, err := chsql.DecodeEvents([][]string{{aggregate, seq, "t", at, at, "a", data}})
		if err == nil && (len(out) != 1 || out[0].Aggregate != aggregate) {
			t.Fatalf("decoded %+v without error", out)
		}
	})
}

func FuzzDecodePeriodUsage(f *testing.F) {
	f.Add("A", "1.5", "3")
	f.Add("", "1e400", "-1")
	f.Fuzz(func(t *testing.T, account, qty, events string) {
		out, err := chsql.DecodePeriodUsage([][]string{{account, "s", "m", qty, qty, qty, events}})
		if err == nil && (len(out) != 1 || out[0].Account != account || out[0].Quantity.String() == "") {
			t.Fatalf("decoded %+v without error", out)
		}
	})
}
