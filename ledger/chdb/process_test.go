package chdb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/chdb"
)

// Child processes: libchdb keeps one engine per process, so anything about
// another data directory, another process or a missing library runs in a
// re-executed test binary. TestMain dispatches on helperEnv.
const (
	helperEnv    = "CASCADE_CHDB_HELPER"
	helperDirEnv = "CASCADE_CHDB_HELPER_DIR"
	persistRows  = 2000
)

// helperResult is what a child prints on stdout for the parent to check.
type helperResult struct {
	Err    string
	Kind   string // "locked", "missing", "other", ""
	Totals []ledger.UsageTotal
	Bal    []ledger.Balance
	Docs   []ledger.Document
	Panic  string // "panic" mode: what recover() returned
}

func runHelper(mode string) int {
	res := helperMain(mode, os.Getenv(helperDirEnv))
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 2
	}
	return 0
}

func helperMain(mode, dir string) helperResult {
	ctx := context.Background()
	s, err := chdb.New(chdb.Config{Path: dir, Database: "persist"})
	if err != nil {
		r := helperResult{Err: err.Error(), Kind: "other"}
		switch {
		case errors.Is(err, chdb.ErrLocked):
			r.Kind = "locked"
		case errors.Is(err, chdb.ErrLibraryMissing):
			r.Kind = "missing"
		}
		return r
	}
	defer s.Close()
	fail := func(err error) helperResult { return helperResult{Err: err.Error(), Kind: "other"} }
	switch mode {
	case "write":
		if err := s.WriteUsage(ctx, fixtureUsage(persistRows)); err != nil {
			return fail(err)
		}
		if err := s.WriteTransactions(ctx, []ledger.Transaction{fixtureTx("tx-1", "42.000000000000000007")}); err != nil {
			return fail(err)
		}
		if err := s.WriteDocuments(ctx, []ledger.Document{fixtureDoc(1, ledger.StatusDraft, 1), fixtureDoc(2, ledger.StatusIssued, 1)}); err != nil {
			return fail(err)
		}
		return helperResult{}
	case "read":
		var r helperResult
		if r.Totals, err = s.UsageTotals(ctx, ledger.UsageQuery{Account: "ACME", Period: month}); err != nil {
			return fail(err)
		}
		if r.Bal, err = s.Balances(ctx, ledger.BalanceQuery{AsOf: month.To}); err != nil {
			return fail(err)
		}
		if r.Docs, err = s.Documents(ctx, ledger.DocumentQuery{}); err != nil {
			return fail(err)
		}
		return r
	case "panic":
		if err := s.WriteUsage(ctx, fixtureUsage(10)); err != nil {
			return fail(err)
		}
		if _, err := s.UsageTotals(ctx, ledger.UsageQuery{Account: "ACME", Period: month}); err != nil {
			return fail(err)
		}
		return helperResult{Panic: nilDereference()}
	}
	return helperResult{Err: "unknown helper mode " + mode, Kind: "other"}
}

// nilDereference dereferences a nil pointer on another goroutine and returns
// what recover() saw, or "hang" if the panic never arrived.
func nilDereference() string {
	got := make(chan string, 1)
	go func() {
		defer func() { got <- fmt.Sprint(recover()) }()
		var u *ledger.Usage
		_ = u.Meter
	}()
	select {
	case r := <-got:
		return r
	case <-time.After(10 * time.Second):
		return "hang"
	}
}

// child runs the test binary as a helper and decodes its answer.
func child(t *testing.T, mode, dir string, env ...string) helperResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), helperEnv+"="+mode, helperDirEnv+"="+dir), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper %s: %v\nstderr: %s", mode, err, stderr.String())
	}
	var r helperResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("helper %s: decode %q: %v\nstderr: %s", mode, out, err, stderr.String())
	}
	return r
}

func TestPersistsAcrossProcesses(t *testing.T) {
	requireLibrary(t)
	dir := t.TempDir()
	if r := child(t, "write", dir); r.Err != "" {
		t.Fatalf("writer process: %s", r.Err)
	}
	// A chunk file a crashed writer left behind is swept when the engine starts.
	stale := filepath.Join(dir, "cascade-insert-tmp", "cascade-chdb-usage-1-stale.rowbinary")
	if err := os.WriteFile(stale, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := child(t, "read", dir)
	if r.Err != "" {
		t.Fatalf("reader process: %s", r.Err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale chunk file %s survived a fresh start: %v", stale, err)
	}
	assertTotals(t, r.Totals, expectedTotals(fixtureUsage(persistRows)))
	tx := fixtureTx("tx-1", "42.000000000000000007")
	if len(r.Bal) != 2 || !r.Bal[0].Amount.Equal(tx.Entries[0].Amount) || !r.Bal[1].Amount.Equal(tx.Entries[1].Amount) {
		t.Errorf("balances after re-open = %+v, want %s and %s", r.Bal, tx.Entries[0].Amount, tx.Entries[1].Amount)
	}
	if len(r.Docs) != 1 || r.Docs[0].Version != 2 || r.Docs[0].Status != ledger.StatusIssued {
		t.Errorf("documents after re-open = %+v, want version 2 issued", r.Docs)
	}
}

func TestDataDirLockedByAnotherProcess(t *testing.T) {
	dir := sharedDir(t) // held open by this process
	r := child(t, "read", dir)
	if r.Kind != "locked" || !strings.Contains(r.Err, dir) {
		t.Fatalf("second process on %s: kind %q err %q, want ErrLocked naming the directory", dir, r.Kind, r.Err)
	}
}

// libchdb installs crash handlers for SIGSEGV and friends over the Go
// runtime's; a nil dereference then hangs for minutes instead of panicking.
// The child process proves Go's handlers survive the engine's start, inserts
// and queries (run in a child, so a regression kills the child, not the suite).
func TestGoPanicsRecoverWithEngineRunning(t *testing.T) {
	requireLibrary(t)
	r := child(t, "panic", t.TempDir())
	if r.Err != "" {
		t.Fatalf("panic child: %s", r.Err)
	}
	if !strings.Contains(r.Panic, "nil pointer dereference") {
		t.Fatalf("recover() after engine start returned %q, want a nil pointer dereference panic", r.Panic)
	}
}

func TestLibraryMissing(t *testing.T) {
	// Needs no library: the child points CHDB_LIB_PATH at nothing, and must get
	// an error rather than the panic chdb-go would raise at start-up.
	missing := t.TempDir() + "/no-libchdb.so"
	r := child(t, "read", t.TempDir(), "CHDB_LIB_PATH="+missing)
	if r.Kind != "missing" || !strings.Contains(r.Err, missing) || !strings.Contains(r.Err, "make deps") {
		t.Fatalf("missing library: kind %q err %q, want ErrLibraryMissing naming %s and `make deps`", r.Kind, r.Err, missing)
	}
}
