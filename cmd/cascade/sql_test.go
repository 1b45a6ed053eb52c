package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// TestSQLRefusedBeforeTheLedgerOpens: a statement that is not read-only, or bad flags, cost
// no ledger start: one line, exit 2.
func TestSQLRefusedBeforeTheLedgerOpens(t *testing.T) {
	store, _ := invoiceLedger(t)
	c := newCLI(t, store)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "the statement is missing"},
		{[]string{"DROP TABLE usage"}, "DROP statements are not allowed"},
		{[]string{"SELECT 1; DELETE FROM usage WHERE 1"}, "more than one statement"},
		{[]string{"/* SELECT */ INSERT INTO usage VALUES (1)"}, "INSERT statements are not allowed"},
		{[]string{"SELECT 1 INTO OUTFILE 'x'"}, "INTO OUTFILE"},
		{[]string{"SELECT 1", "SELECT 2"}, `unexpected argument "SELECT 2"`},
		{[]string{"SELECT 1", "--format", "xml"}, "--format"},
		{[]string{"SELECT 1", "--catalog", "x.yaml"}, "flag provided but not defined: -catalog"},
	} {
		code, _, errOut := c.runSQL(tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%q: exit %d, stderr %q: want exit 2 and one line with %q", tc.args, code, errOut, tc.want)
		}
	}
	if c.opened != 0 {
		t.Errorf("refused statements opened the ledger %d times", c.opened)
	}
	// The in-memory ledger has no SQL: a failure (exit 1), not the user's mistake.
	code, _, errOut := c.runSQL("SELECT 1")
	if code != exitFailure || !strings.Contains(errOut, "does not run SQL") {
		t.Errorf("in-memory ledger: exit %d, %q", code, errOut)
	}
}

// TestSQLOnEmbeddedLedger runs `cascade sql` on the real embedded ClickHouse, by --data and by
// --config: the answer is the ledger's, exactly, and writes are refused by the engine too.
func TestSQLOnEmbeddedLedger(t *testing.T) {
	if _, err := os.Stat(chdbLibrary()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("embedded ClickHouse library missing at %s under CI=true: run 'make deps'", chdbLibrary())
		}
		t.Skipf("embedded ClickHouse library missing at %s: run 'make deps'", chdbLibrary())
	}
	_, usage := invoiceLedger(t)
	dir := t.TempDir()
	ctx := context.Background()
	e := &env{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.DiscardHandler)}
	store, err := openEmbeddedLedger(ctx, e, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.WriteUsage(ctx, append(usage, usage[:7]...)); err != nil { // 7 duplicates
		_ = store.Close()
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]decimal.Decimal{}
	for _, u := range usage {
		want[u.Account] = want[u.Account].Add(u.Quantity)
	}
	run := func(args ...string) (int, string, string) {
		var out, errOut strings.Builder
		code := runWith(ctx, append([]string{"sql"}, args...), &out, &errOut, openEmbeddedLedger)
		return code, out.String(), errOut.String()
	}

	code, out, errOut := run("SELECT account, sum(quantity) AS total, count() AS events FROM usage FINAL GROUP BY account ORDER BY account",
		"--format", "csv", "--data", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != len(want)+1 || strings.Join(recs[0], ",") != "account,total,events" {
		t.Fatalf("%v:\n%s", err, out)
	}
	for _, r := range recs[1:] {
		if r[1] != want[r[0]].String() {
			t.Errorf("%s: total %s, want %s", r[0], r[1], want[r[0]])
		}
	}

	cfg := writeSQLConfig(t, dir)
	code, out, errOut = run("--config", cfg, "--format", "json", "SELECT count() AS n FROM usage FINAL")
	var js struct {
		Columns []string
		Rows    [][]string
	}
	if err := json.Unmarshal([]byte(out), &js); code != exitOK || err != nil || len(js.Rows) != 1 ||
		js.Rows[0][0] != fmt.Sprint(len(usage)) || js.Columns[0] != "n" {
		t.Fatalf("--config: exit %d, %v, stderr %q:\n%s", code, err, errOut, out)
	}
	code, out, _ = run("SHOW TABLES", "--data", dir)
	if code != exitOK || !strings.Contains(out, "usage") || !strings.Contains(out, "rows)") {
		t.Errorf("SHOW TABLES: exit %d:\n%s", code, out)
	}
	// A SELECT the check lets through but the engine's read-only mode refuses; then bad SQL.
	for _, q := range []string{"SELECT * FROM file('/etc/hostname', 'LineAsString')", "SELECT nope FROM usage"} {
		code, _, errOut = run(q, "--data", dir)
		if code != exitUsage || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q: want exit 2 and one line", q, code, errOut)
		}
	}
}

// writeSQLConfig writes a service configuration whose ledger is the embedded one in dir.
func writeSQLConfig(t *testing.T, dir string) string {
	t.Helper()
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	body := fmt.Sprintf(`ledger:
  embedded:
    dir: %s
catalog: %s
taxes: %s
api_keys:
  - {name: ops, role: admin, sha256: 9b3a91136feac4a6472d2cc9af52e9a6f9e367c1e8fcffb5a41c5c2beeaad08e}
`, dir, abs(exampleCatalog), abs(exampleTaxes))
	p := filepath.Join(t.TempDir(), "cascade.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
