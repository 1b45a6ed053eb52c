package chdb_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/chdb"
	"github.com/shopspring/decimal"
)

func TestSQLAnswersExactly(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	ctx := context.Background()
	rows := fixtureUsage(40)
	if err := s.WriteUsage(ctx, append(rows, rows[:10]...)); err != nil { // 10 duplicates
		t.Fatal(err)
	}
	want := map[string]decimal.Decimal{}
	for _, u := range rows {
		want[u.Meter] = want[u.Meter].Add(u.Quantity)
	}
	// Unqualified: the ledger's own database. FINAL collapses the duplicates.
	cols, got, err := s.Query(ctx, "-- per meter\nSELECT meter, sum(quantity) AS total, count() FROM usage FINAL GROUP BY meter ORDER BY meter;")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cols, []string{"meter", "total", "count()"}) || len(got) != len(want) {
		t.Fatalf("columns %q, rows %q", cols, got)
	}
	for _, r := range got {
		if w := want[r[0]]; r[1] != w.String() || r[2] != "20" {
			t.Errorf("meter %s: total %s (%s events), want %s (20 events)", r[0], r[1], r[2], w)
		}
	}
	cols, got, err = s.Query(ctx, `SELECT toDecimal128('-12345678901234567890.000000000000000001', 18) AS d,
		CAST(NULL AS Nullable(String)) AS n, 'tab	and ''quote''' AS s, [1, 2] AS a, toDateTime('2026-11-01 10:00:00', 'UTC') AS t`)
	if err != nil {
		t.Fatal(err)
	}
	wantRow := []string{"-12345678901234567890.000000000000000001", "NULL", "tab\tand 'quote'", "[1,2]", "2026-11-01 10:00:00"}
	if len(got) != 1 || !slices.Equal(got[0], wantRow) || len(cols) != len(wantRow) {
		t.Errorf("typed values: %q, want %q", got, wantRow)
	}
	for _, q := range []struct{ sql, col, cell string }{
		{"SHOW TABLES", "name", "usage"},
		{"DESCRIBE TABLE usage", "name", "quantity"},
		{"EXISTS TABLE journal", "result", "1"},
		{"EXPLAIN SELECT 1", "explain", ""},
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
}

// TestSQLRefusesWrites smuggles writes past the check every way we know; each must be
// refused, and afterwards the ledger must hold exactly what it held.
func TestSQLRefusesWrites(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	ctx := context.Background()
	if err := s.WriteUsage(ctx, fixtureUsage(5)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.csv")
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
		"TRUNCATE TABLE usage",
		"SELECT 1; DROP TABLE usage",
		"SELECT 1; INSERT INTO usage (source, event_id) VALUES ('x', 'y')",
		"SELECT 1 -- hidden?\n; DROP TABLE usage",
		"/* SELECT */ DROP TABLE usage",
		"SELECT '; DROP TABLE usage'; DROP TABLE usage",
		"SELECT $$ x $$; DROP TABLE usage",
		"SELECT 1 SETTINGS readonly = 0",
		"SET readonly = 0",
		"SELECT * FROM file('/etc/hostname', 'LineAsString')",
		"SELECT 1 INTO OUTFILE '" + out + "'",
		"WITH 1 AS x SELECT x FORMAT TabSeparated",
		"SELECT 1 /* unterminated",
		"USE system",
		"CREATE TABLE t (a UInt8) ENGINE = Memory",
		"SYSTEM DROP DNS CACHE",
	} {
		_, rows, err := s.Query(ctx, q)
		if !errors.Is(err, ledger.ErrNotReadOnly) && !errors.Is(err, ledger.ErrQuery) {
			t.Errorf("%q: rows %q, err %v; want it refused", q, rows, err)
		}
	}
	if after := count(); after != before {
		t.Errorf("the ledger held %s usage rows and now holds %s", before, after)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("INTO OUTFILE wrote %s (%v)", out, err)
	}
	// Functions reaching outside the ledger are refused by name, also where readonly = 1
	// would not stop them (DESCRIBE, TestReviewS3SQLNoHostFileRead).
	for _, q := range []string{"SELECT * FROM file('/etc/hostname', 'LineAsString')", "DESCRIBE TABLE `file`('/etc/hostname', 'CSVWithNames')"} {
		if _, _, err := s.Query(ctx, q); !errors.Is(err, ledger.ErrNotReadOnly) || !strings.Contains(err.Error(), "reaches outside") {
			t.Errorf("%s: %v, want it refused as reaching outside the ledger", q, err)
		}
	}
	if _, _, err := s.Query(ctx, "SELECT nope FROM usage"); !errors.Is(err, ledger.ErrQuery) || strings.Contains(err.Error(), "\n") {
		t.Errorf("unknown column: %v, want one line of ErrQuery", err)
	}
}

func TestSQLAfterClose(t *testing.T) {
	s := openFresh(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Query(context.Background(), "SELECT 1"); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
}

// TestSQLEngineRefusesWithoutTheCheck: with ledger.CheckReadOnly bypassed, the engine's parse
// (exactly one statement, re-checked as the engine reads it) and readonly = 1 still refuse
// every write, and the ledger is unchanged.
func TestSQLEngineRefusesWithoutTheCheck(t *testing.T) {
	s := openFresh(t)
	defer s.Close()
	ctx := context.Background()
	if err := s.WriteUsage(ctx, fixtureUsage(5)); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.csv")
	for _, q := range []string{
		"SELECT 1; DROP TABLE usage",
		"SELECT 1; INSERT INTO usage (source, event_id) VALUES ('x', 'y')",
		"/* SELECT */ DROP TABLE usage",
		"INSERT INTO usage (source, event_id) VALUES ('x', 'y')",
		"ALTER TABLE usage DELETE WHERE 1",
		"SELECT 1 INTO OUTFILE '" + out + "'",
		"SELECT 1 SETTINGS readonly = 0",
		"SELECT * FROM file('/etc/hostname', 'LineAsString')",
	} {
		_, rows, err := chdb.QueryUnchecked(ctx, s, q)
		if !errors.Is(err, ledger.ErrNotReadOnly) && !errors.Is(err, ledger.ErrQuery) {
			t.Errorf("%q: rows %q, err %v; want it refused", q, rows, err)
		}
	}
	_, rows, err := s.Query(ctx, "SELECT count() FROM usage FINAL")
	if err != nil || len(rows) != 1 || rows[0][0] != "5" {
		t.Errorf("after the attempts the ledger holds %q (%v), want 5 rows", rows, err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("INTO OUTFILE wrote %s (%v)", out, err)
	}
}
