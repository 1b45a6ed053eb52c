package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMoneyCommandsRefuseBesideServe: with a configuration whose ClickHouse ledger a service
// answering on http.listen also writes, invoice run, void and wholesale refuse (exit 2, naming
// the address and the API); a dry run, which writes nothing, is not refused by the guard.
func TestMoneyCommandsRefuseBesideServe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	dir := t.TempDir()
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	cfg := "http:\n  listen: " + addr + "\nledger:\n  clickhouse:\n    addr: 127.0.0.1:1\n    database: guard\n" +
		"kafka:\n  embedded:\n    partitions: 1\ncatalog: " + abs(exampleCatalog) + "\ntaxes: " + abs(exampleTaxes) + "\n" +
		"api_keys:\n  - {name: ops, role: admin, sha256: 9b3a91136feac4a6472d2cc9af52e9a6f9e367c1e8fcffb5a41c5c2beeaad08e}\n"
	path := filepath.Join(dir, "cascade.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"invoice", "run", "--as-of", "2026-11-01", "--config", path},
		{"invoice", "void", "--id", "x", "--yes", "--config", path},
		{"invoice", "wholesale", "--period", "2026-10", "--config", path},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		if code != exitUsage || !strings.Contains(errOut.String(), "a cascade serve answers on "+addr) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming the running service", args, code, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	run(context.Background(), []string{"invoice", "run", "--as-of", "2026-11-01", "--dry-run", "--config", path}, &out, &errOut)
	if strings.Contains(errOut.String(), "a cascade serve answers") {
		t.Errorf("a dry run was refused by the guard: %s", errOut.String())
	}
}
