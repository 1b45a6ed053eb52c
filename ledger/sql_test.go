package ledger_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/ledger"
)

func TestCheckReadOnlyAccepts(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"  select 1 ;; ", "select 1"},
		{"-- why\nSELECT 1 -- trailing", "SELECT 1"},
		{"/* a /* nested */ */ SELECT 1 /* b */;", "SELECT 1"},
		{"# hash comment\nSELECT 1", "SELECT 1"},
		{"WITH 1 AS x SELECT x SETTINGS max_threads = 1", "WITH 1 AS x SELECT x SETTINGS max_threads = 1"},
		{"(SELECT 1) UNION ALL (SELECT 2)", "(SELECT 1) UNION ALL (SELECT 2)"},
		{"SHOW TABLES", "SHOW TABLES"},
		{"describe usage", "describe usage"},
		{"DESC TABLE journal", "DESC TABLE journal"},
		{"EXPLAIN SELECT 1", "EXPLAIN SELECT 1"},
		{"EXISTS TABLE usage", "EXISTS TABLE usage"},
		{"SELECT 'a;b', `we;ird`, \"x;y\" FROM t", "SELECT 'a;b', `we;ird`, \"x;y\" FROM t"},
		{"SELECT 'it''s; DROP', 'back\\'slash; x'", "SELECT 'it''s; DROP', 'back\\'slash; x'"},
		{"SELECT $$a; DROP TABLE x$$, $t$'$t$", "SELECT $$a; DROP TABLE x$$, $t$'$t$"},
		{"SELECT format('{};', 1), format FROM t ORDER BY format", "SELECT format('{};', 1), format FROM t ORDER BY format"},
		{"SELECT a$b FROM t", "SELECT a$b FROM t"},
		{"SELECT 'INTO OUTFILE' AS into, 'x' AS outfile_name", "SELECT 'INTO OUTFILE' AS into, 'x' AS outfile_name"},
	} {
		got, err := ledger.CheckReadOnly(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("CheckReadOnly(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCheckReadOnlyRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty"},
		{" ; -- nothing", "empty"},
		{"INSERT INTO usage VALUES (1)", "INSERT statements are not allowed"},
		{"drop table usage", "DROP statements are not allowed"},
		{"ALTER TABLE usage DELETE WHERE 1", "ALTER statements"},
		{"/* SELECT */ DROP TABLE usage", "DROP statements"},
		{"-- SELECT\nTRUNCATE TABLE journal", "TRUNCATE statements"},
		{"SELECT 1; DROP TABLE usage", "more than one statement"},
		{"SELECT 1 -- x\n; DROP TABLE usage", "more than one statement"},
		{"SELECT 1 /* ; */; INSERT INTO t SELECT 1", "more than one statement"},
		{"SELECT '1'; DROP TABLE usage; SELECT '2'", "more than one statement"},
		{"SELECT 1 INTO OUTFILE '/tmp/x'", "INTO OUTFILE"},
		{"select 1 into   outfile 'x' TRUNCATE", "INTO OUTFILE"},
		{"SELECT 1 FORMAT CSV", "FORMAT CSV"},
		{"SELECT 1 FORMAT Null SETTINGS max_threads = 1", "FORMAT Null"},
		{"SELECT 'unterminated", "unterminated ' literal"},
		{"SELECT `unterminated", "unterminated ` literal"},
		{"SELECT 1 /* open", "unterminated comment"},
		{"SELECT $x$ open", "unterminated heredoc"},
		{"SET readonly = 0", "SET statements"},
		{"USE system", "USE statements"},
		{"SYSTEM SHUTDOWN", "SYSTEM statements"},
		{"'SELECT'", "statements are not allowed"},
		{"((DROP TABLE x))", "DROP statements"},
	} {
		got, err := ledger.CheckReadOnly(tc.in)
		if !errors.Is(err, ledger.ErrNotReadOnly) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckReadOnly(%q) = %q, %v; want ErrNotReadOnly with %q", tc.in, got, err, tc.want)
		}
	}
}

// FuzzCheckReadOnly: the check never panics, and what it accepts it accepts again unchanged,
// starts with an allowed keyword or a parenthesis, and holds no statement separator outside
// a literal (re-checking would see one).
func FuzzCheckReadOnly(f *testing.F) {
	for _, s := range []string{"SELECT 1", "SELECT 1; DROP TABLE x", "SELECT $$;$$", "/* /* */ */ SHOW TABLES",
		"SELECT 'a''b\\'c' -- x", "WITH x AS (SELECT 1) SELECT * FROM x FORMAT CSV", "SELECT a$b$c$b$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ledger.CheckReadOnly(s)
		if err != nil {
			if !errors.Is(err, ledger.ErrNotReadOnly) {
				t.Fatalf("CheckReadOnly(%q): error %v is not ErrNotReadOnly", s, err)
			}
			return
		}
		again, err := ledger.CheckReadOnly(got)
		if err != nil || again != got {
			t.Fatalf("CheckReadOnly(%q) = %q, but re-checking it gives %q, %v", s, got, again, err)
		}
		// ClickHouse's whitespace includes \f and \v (the scanner's too).
		head := strings.ToUpper(strings.TrimLeft(got, "( \t\n\r\f\v"))
		ok := false
		for _, k := range strings.Split(ledger.ReadOnlyKinds, ", ") {
			for _, kw := range strings.Fields(strings.ReplaceAll(k, "or ", "")) {
				ok = ok || strings.HasPrefix(head, kw)
			}
		}
		if !ok {
			t.Fatalf("CheckReadOnly(%q) accepted %q, which starts with no allowed keyword", s, got)
		}
	})
}

// TestCheckReadOnlyRefusesOutsideFunctions: functions reading files, URLs or other servers are
// refused by name, quoted or not, in any statement kind; columns of the same names are not.
func TestCheckReadOnlyRefusesOutsideFunctions(t *testing.T) {
	for _, q := range []string{
		"DESCRIBE TABLE file('/etc/passwd', 'CSVWithNames')",
		"DESC url('http://169.254.169.254/', 'CSV')",
		"SELECT * FROM `remote`('10.0.0.1', system.one)",
		`SELECT count() FROM (SELECT * FROM "s3"('http://x/y', 'CSV'))`,
		"EXPLAIN SELECT * FROM FILE('/etc/hostname')",
		"WITH x AS (SELECT * FROM mysql('h:3306', 'd', 't', 'u', 'p')) SELECT * FROM x",
	} {
		if _, err := ledger.CheckReadOnly(q); !errors.Is(err, ledger.ErrNotReadOnly) {
			t.Errorf("%s: %v, want ErrNotReadOnly", q, err)
		}
	}
	for _, q := range []string{"SELECT file, url FROM t", "SELECT domain(url) FROM t", "SELECT 'file(' FROM t"} {
		if _, err := ledger.CheckReadOnly(q); err != nil {
			t.Errorf("%s: %v, want it accepted", q, err)
		}
	}
}
