package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/chdb"
)

// chdbVersion is the embedded ClickHouse library `make deps` fetches; keep it in step with the Makefile.
const chdbVersion = "26.5.3"

// chdbLibrary is where the embedded ClickHouse library is looked for: $CHDB_LIB_PATH, else the
// cache directory `make deps` fills.
func chdbLibrary() string {
	if p := os.Getenv("CHDB_LIB_PATH"); p != "" {
		return p
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "cascade", "chdb-"+chdbVersion, "libchdb.so")
}

// openEmbeddedLedger opens the default ledger: embedded ClickHouse (chdb) in dir.
func openEmbeddedLedger(_ context.Context, e *env, dir string) (ledger.Store, error) {
	s, err := chdb.New(chdb.Config{Path: dir, LibraryPath: chdbLibrary(), Logger: e.log})
	switch {
	case errors.Is(err, chdb.ErrLocked):
		return nil, fmt.Errorf("another process is using the ledger directory %s: %w", dir, err)
	case err != nil:
		return nil, err
	}
	return s, nil
}
