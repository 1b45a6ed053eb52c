// Package capi binds the handful of libchdb C functions the embedded ledger
// needs, loading the shared library lazily.
//
// Why not github.com/chdb-io/chdb-go directly: every package of chdb-go imports
// chdb-purego, whose init() dlopens libchdb and panics when it is missing. Any
// binary linking it (cmd/cascade included) would then die at start-up even when
// a ClickHouse server ledger is configured. Binding the same C symbols through
// purego here keeps the load inside New, where a missing library becomes an
// ordinary error.
package capi

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// EnvLibPath is the environment variable chdb-go and the Makefile use to point
// at libchdb.so; Load falls back to it so both agree on one setting.
const EnvLibPath = "CHDB_LIB_PATH"

// ErrLibraryMissing reports that libchdb.so could not be loaded.
var ErrLibraryMissing = errors.New("libchdb not loadable (run `make deps` and export CHDB_LIB_PATH)")

// connection mirrors chdb.h's chdb_connection: a struct holding one pointer.
type connection struct {
	internal unsafe.Pointer
}

// result mirrors chdb.h's chdb_result: a struct holding one pointer.
type result struct {
	internal unsafe.Pointer
}

// library holds the resolved C entry points.
type library struct {
	path          string
	connect       func(argc int, argv []*byte) *connection
	closeConn     func(conn *connection)
	queryN        func(conn unsafe.Pointer, query *byte, queryLen uintptr, format *byte, formatLen uintptr) *result
	destroyResult func(res *result)
	resultBuffer  func(res *result) *byte
	resultLength  func(res *result) uint
	resultError   func(res *result) string
	// setSignalHandlersEnabled(0) stops libchdb from installing crash
	// handlers over the Go runtime's (and resets them: see signals_linux.go).
	setSignalHandlersEnabled func(enabled int32)
}

// loaded caches the library: dlopen of a 559 MB object is paid once per
// process, and the C side keeps process-wide state anyway.
var loaded struct {
	sync.Mutex
	lib *library
}

// ResolvePath returns the library path to load: explicit first, then
// $CHDB_LIB_PATH. An empty result means nothing was configured.
func ResolvePath(explicit string) string {
	if explicit != "" {
		return explicit
	}
	return os.Getenv(EnvLibPath)
}

// load opens libchdb at path once per process and resolves its symbols.
func load(path string) (*library, error) {
	loaded.Lock()
	defer loaded.Unlock()
	if loaded.lib != nil {
		if path != loaded.lib.path {
			return nil, fmt.Errorf("libchdb already loaded from %q, refusing %q", loaded.lib.path, path)
		}
		return loaded.lib, nil
	}
	if path == "" {
		return nil, fmt.Errorf("%w: no path configured", ErrLibraryMissing)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLibraryMissing, err)
	}
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("%w: dlopen %s: %v", ErrLibraryMissing, path, err)
	}
	lib := &library{path: path}
	syms := []struct {
		fptr any
		name string
	}{
		{&lib.connect, "chdb_connect"},
		{&lib.closeConn, "chdb_close_conn"},
		{&lib.queryN, "chdb_query_n"}, // binary-safe: queries may hold NUL bytes and RowBinary data
		{&lib.destroyResult, "chdb_destroy_query_result"},
		{&lib.resultBuffer, "chdb_result_buffer"},
		{&lib.resultLength, "chdb_result_length"},
		{&lib.resultError, "chdb_result_error"},
		{&lib.setSignalHandlersEnabled, "chdb_set_signal_handlers_enabled"}, // since chdb 26.3
	}
	for _, s := range syms {
		addr, err := purego.Dlsym(h, s.name)
		if err != nil {
			return nil, fmt.Errorf("%w: %s lacks symbol %s (need chdb >= 3.x C API): %v", ErrLibraryMissing, path, s.name, err)
		}
		purego.RegisterFunc(s.fptr, addr)
	}
	// The flag is process-wide and read when a connection opens, so it is set
	// once, right after loading, with the Go runtime's handlers restored.
	if err := keepGoSignalHandlers(func() { lib.setSignalHandlersEnabled(0) }); err != nil {
		return nil, fmt.Errorf("protect Go signal handlers from libchdb: %w", err)
	}
	loaded.lib = lib
	return lib, nil
}
