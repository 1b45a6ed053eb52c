package clickhouse_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/shopspring/decimal"
)

func TestSQLOnServer(t *testing.T) {
	srv := clickhousetest.Start(t)
	s := open(t, srv)
	ctx := context.Background()
	rows0 := faultRows("sql", 300)
	if err := s.WriteUsage(ctx, append(rows0, rows0[:50]...)); err != nil { // 50 duplicates
		t.Fatal(err)
	}
	want, events := map[string]decimal.Decimal{}, map[string]int{}
	for _, u := range rows0 {
		want[u.Meter] = want[u.Meter].Add(u.Quantity)
		events[u.Meter]++
	}

	t.Run("exact answers", func(t *testing.T) {
		// Unqualified: the ledger's own database. FINAL collapses the duplicates.
		cols, got, err := s.Query(ctx, "-- per meter\nSELECT meter, sum(quantity) AS total, count() AS n FROM usage FINAL GROUP BY meter ORDER BY meter;")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cols, []string{"meter", "total", "n"}) || len(got) != len(want) {
			t.Fatalf("columns %q, rows %q", cols, got)
		}
		for _, r := range got {
			if w := want[r[0]]; r[1] != w.String() || r[2] != decimal.NewFromInt(int64(events[r[0]])).String() {
				t.Errorf("meter %s: total %s (%s events), want %s (%d events)", r[0], r[1], r[2], w, events[r[0]])
			}
		}
		_, got, err = s.Query(ctx, `SELECT CAST('-12345678901234567890.000000000000000001' AS Decimal(38, 18)) AS d,
			CAST(NULL AS Nullable(String)) AS n, 'tab	and \'quote\'' AS s, [1, 2] AS a, ['x', 'y'] AS sa,
			toDateTime('2026-11-01 10:00:00', 'UTC') AS t, toDate('2026-11-01') AS day, toInt64(-5) AS i, 0.5 AS f,
			tuple(1, 'a') AS tp, [NULL, 1] AS an, toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') AS u`)
		if err != nil {
			t.Fatal(err)
		}
		wantRow := []string{"-12345678901234567890.000000000000000001", "NULL", "tab\tand 'quote'", "[1,2]", "['x','y']",
			"2026-11-01 10:00:00", "2026-11-01", "-5", "0.5", "(1,'a')", "[NULL,1]", "61f0c404-5cb3-11e7-907b-a6006ad3dba0"}
		if len(got) != 1 || !slices.Equal(got[0], wantRow) {
			t.Errorf("typed values: %q, want %q", got, wantRow)
		}
	})

	t.Run("read-only kinds", func(t *testing.T) {
		for _, q := range []struct{ sql, col, cell string }{
			{"SHOW TABLES", "name", "usage"},
			{"DESCRIBE TABLE usage", "name", "quantity"},
			{"EXISTS TABLE journal", "result", "1"},
			{"WITH 2 AS x SELECT x * 21 AS y", "y", "42"},
			{"SELECT 1 AS x WHERE 0", "x", ""},
		} {
			cols, rows, err := s.Query(ctx, q.sql)
			if err != nil || !slices.Contains(cols, q.col) {
				t.Errorf("%s: columns %q, %v", q.sql, cols, err)
				continue
			}
			if q.cell != "" && !slices.ContainsFunc(rows, func(r []string) bool { return slices.Contains(r, q.cell) }) {
				t.Errorf("%s: no %q in %q", q.sql, q.cell, rows)
			}
		}
	})

	t.Run("writes refused", func(t *testing.T) {
		count := func() string {
			_, rows, err := s.Query(ctx, "SELECT count() FROM usage FINAL")
			if err != nil || len(rows) != 1 {
				t.Fatalf("count: %q, %v", rows, err)
			}
			return rows[0][0]
		}
		before := count()
		for _, q := range []string{
			"INSERT INTO usage (source, event_id) VALUES ('x', 'y')",
			"DROP TABLE usage",
			"ALTER TABLE usage DELETE WHERE 1",
			"SELECT 1; DROP TABLE usage",
			"SELECT 1 -- hidden?\n; DROP TABLE usage",
			"/* SELECT */ DROP TABLE usage",
			"SELECT '; DROP TABLE usage'; DROP TABLE usage",
			"SELECT 1 SETTINGS readonly = 0",
			"SET readonly = 0",
			"SELECT * FROM file('/etc/hostname', 'TSV', 's String')",
			"SELECT 1 INTO OUTFILE '/tmp/cascade-sql-test.csv'",
			"CREATE TABLE t (a UInt8) ENGINE = Memory",
		} {
			_, rows, err := s.Query(ctx, q)
			if !errors.Is(err, ledger.ErrNotReadOnly) && !errors.Is(err, ledger.ErrQuery) {
				t.Errorf("%q: rows %q, err %v; want it refused", q, rows, err)
			}
		}
		if after := count(); after != before {
			t.Errorf("the ledger held %s usage rows and now holds %s", before, after)
		}
		// What gets past the check is refused by the server itself (file() no longer does:
		// the check refuses functions that reach outside by name).
		for _, q := range []string{"SELECT 1 SETTINGS readonly = 0"} {
			if _, _, err := s.Query(ctx, q); !errors.Is(err, ledger.ErrNotReadOnly) || !strings.Contains(err.Error(), "code 164") {
				t.Errorf("%s: %v, want the server's readonly refusal (code 164)", q, err)
			}
		}
		if _, _, err := s.Query(ctx, "SELECT nope FROM usage"); !errors.Is(err, ledger.ErrQuery) || strings.Contains(err.Error(), "\n") {
			t.Errorf("unknown column: %v, want one line of ErrQuery", err)
		}
	})

	t.Run("server alone refuses", func(t *testing.T) {
		// ledger.CheckReadOnly bypassed: the native protocol's one statement per query and
		// readonly = 1 refuse every write on their own.
		for _, q := range []string{
			"SELECT 1; DROP TABLE usage",
			"/* SELECT */ DROP TABLE usage",
			"INSERT INTO usage (source, event_id) VALUES ('x', 'y')",
			"ALTER TABLE usage DELETE WHERE 1",
			"CREATE TABLE t (a UInt8) ENGINE = Memory",
			"SET readonly = 0",
		} {
			_, rows, err := clickhouse.QueryUnchecked(ctx, s, q)
			if !errors.Is(err, ledger.ErrNotReadOnly) && !errors.Is(err, ledger.ErrQuery) {
				t.Errorf("%q: rows %q, err %v; want it refused", q, rows, err)
			}
		}
		_, rows, err := s.Query(ctx, "SELECT count() FROM usage FINAL")
		if err != nil || len(rows) != 1 || rows[0][0] != decimal.NewFromInt(int64(len(rows0))).String() {
			t.Errorf("after the attempts the ledger holds %q (%v), want %d rows", rows, err, len(rows0))
		}
	})

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Query(ctx, "SELECT 1"); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}
