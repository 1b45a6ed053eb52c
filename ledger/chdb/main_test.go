package chdb_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/cascade-billing/cascade/ledger/chdb"
)

// libchdb allows one engine per process and one process per data directory,
// so the test binary shares one engine: every test gets its own database in
// one data directory, kept open by a keeper Store for the binary's lifetime
// (re-starting the engine per test would cost ~0.5 s each). Tests needing
// another directory or a missing library run in a child process (helper.go).
var shared struct {
	once   sync.Once
	dir    string
	keeper *chdb.Store
	err    error
	dbs    atomic.Uint64
}

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	code := m.Run()
	if shared.keeper != nil {
		_ = shared.keeper.Close()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// requireLibrary skips without libchdb, except under CI=true where a missing
// real component is a failure.
func requireLibrary(t testing.TB) {
	t.Helper()
	p := os.Getenv("CHDB_LIB_PATH")
	_, err := os.Stat(p)
	if p != "" && err == nil {
		return
	}
	msg := fmt.Sprintf("libchdb not found (CHDB_LIB_PATH=%q): run `make deps` and export CHDB_LIB_PATH", p)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// sharedDir returns the data directory of the test binary's engine.
func sharedDir(t testing.TB) string {
	t.Helper()
	requireLibrary(t)
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "cascade-chdb-test-")
		if err != nil {
			shared.err = err
			return
		}
		shared.dir = filepath.Join(dir, "data")
		shared.keeper, shared.err = chdb.New(chdb.Config{Path: shared.dir, Database: "keeper"})
	})
	if shared.err != nil {
		t.Fatalf("start embedded ClickHouse: %v", shared.err)
	}
	return shared.dir
}

// openFresh returns a Store on a new, empty database of the shared engine;
// tune, when given, adjusts the config first.
func openFresh(t testing.TB, tune ...func(*chdb.Config)) *chdb.Store {
	t.Helper()
	dir := sharedDir(t)
	cfg := chdb.Config{
		Path:     dir,
		Database: fmt.Sprintf("test_%d", shared.dbs.Add(1)),
		Logger:   slog.New(slog.DiscardHandler),
	}
	for _, f := range tune {
		f(&cfg)
	}
	s, err := chdb.New(cfg)
	if err != nil {
		t.Fatalf("open chdb store: %v", err)
	}
	return s
}
