package capi

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// ErrLocked reports a data directory held by another process: ClickHouse keeps
// an exclusive flock on <dir>/status for as long as an engine uses it.
var ErrLocked = errors.New("data directory is in use by another process")

// ErrOtherPath reports an attempt to open a second data directory in one
// process: libchdb keeps a single engine per process, and chdb-go would
// silently hand back the first one, writing to the wrong place.
var ErrOtherPath = errors.New("embedded ClickHouse already open on another data directory in this process")

// ErrClosed reports use of a Session after its last reference was released.
var ErrClosed = errors.New("embedded ClickHouse session closed")

// Session is a reference to the process-wide embedded ClickHouse engine. Safe
// for concurrent use: libchdb serialises queries on one connection itself.
type Session struct {
	lib  *library
	conn *connection
	path string

	// mu makes Release wait for queries in flight before closing the engine.
	mu     sync.RWMutex
	closed bool
}

// process tracks the single engine libchdb allows per process. It is package
// state on purpose: it mirrors a constraint of the C library, not of Cascade.
var process struct {
	sync.Mutex
	sess *Session
	refs int
}

// Open returns a Session on dataDir, loading libchdb from libPath. Opening the
// directory already open in this process shares that engine (reference
// counted) and reports started=false; a different directory is refused with
// ErrOtherPath. A directory held by another process fails with ErrLocked.
func Open(libPath, dataDir string) (sess *Session, started bool, err error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, false, fmt.Errorf("resolve data dir %q: %w", dataDir, err)
	}
	process.Lock()
	defer process.Unlock()
	if process.sess != nil {
		if process.sess.path != abs {
			return nil, false, fmt.Errorf("open %s: %w (%s)", abs, ErrOtherPath, process.sess.path)
		}
		process.refs++
		return process.sess, false, nil
	}
	lib, err := load(ResolvePath(libPath))
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, false, fmt.Errorf("create data dir: %w", err)
	}
	if err := checkUnlocked(abs); err != nil {
		return nil, false, err
	}
	args := []string{"clickhouse", "--path=" + abs}
	argv := make([]*byte, len(args))
	for i, a := range args {
		b := append([]byte(a), 0)
		argv[i] = &b[0]
	}
	// Opening the engine resets the deadly signals to SIG_DFL once handlers
	// are disabled (measured on 26.5): put the Go runtime's back afterwards.
	var conn *connection
	if err := keepGoSignalHandlers(func() { conn = lib.connect(len(argv), argv) }); err != nil {
		if conn != nil {
			lib.closeConn(conn)
		}
		return nil, false, fmt.Errorf("open embedded ClickHouse at %s: %w", abs, err)
	}
	runtime.KeepAlive(argv)
	if conn == nil {
		// libchdb prints the reason to stderr only; the usual one is another
		// process holding the directory's status lock.
		return nil, false, fmt.Errorf("open embedded ClickHouse at %s: connection refused by libchdb "+
			"(is another process using this data directory? details on stderr)", abs)
	}
	s := &Session{lib: lib, conn: conn, path: abs}
	process.sess, process.refs = s, 1
	return s, true, nil
}

// Path is the absolute data directory of the engine.
func (s *Session) Path() string { return s.path }

// Query runs one statement and returns its whole output in format, copied
// into Go memory (the C buffer is freed before returning).
func (s *Session) Query(query, format string) ([]byte, error) {
	return s.QueryBytes(unsafe.Slice(unsafe.StringData(query), len(query)), format)
}

// QueryBytes is Query for a statement held in bytes. The bytes are passed by
// length (chdb_query_n), never NUL-terminated, so string literals holding NUL
// bytes reach the engine intact; they are only read during the call.
// (Inline "INSERT ... FORMAT RowBinary" data does not work this way: 26.5
// stops reading it after ~1 MiB, hence the chunk files in ledger/chdb.)
func (s *Session) QueryBytes(query []byte, format string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	if len(query) == 0 || format == "" {
		return nil, errors.New("empty query or format")
	}
	fmtb := []byte(format)
	res := s.lib.queryN(s.conn.internal, &query[0], uintptr(len(query)), &fmtb[0], uintptr(len(fmtb)))
	runtime.KeepAlive(query)
	runtime.KeepAlive(fmtb)
	if res == nil {
		return nil, nil
	}
	defer s.lib.destroyResult(res)
	if msg := s.lib.resultError(res); msg != "" {
		return nil, errors.New(msg)
	}
	n := int(s.lib.resultLength(res))
	if n == 0 {
		return nil, nil
	}
	buf := s.lib.resultBuffer(res)
	if buf == nil {
		return nil, nil
	}
	out := make([]byte, n)
	copy(out, unsafe.Slice(buf, n))
	return out, nil
}

// Release drops one reference; the last one closes the engine so that another
// directory (or another process) may be opened afterwards.
func (s *Session) Release() {
	process.Lock()
	defer process.Unlock()
	if process.sess != s {
		return
	}
	process.refs--
	if process.refs > 0 {
		return
	}
	s.mu.Lock()
	s.closed = true
	// Shutting the engine down may touch signal handlers as starting it does.
	_ = keepGoSignalHandlers(func() { s.lib.closeConn(s.conn) })
	s.mu.Unlock()
	process.sess = nil
}

// checkUnlocked probes the flock ClickHouse takes on <dir>/status, so that a
// directory held by another process fails with an error naming it; libchdb
// itself only returns NULL and prints the reason on stderr.
func checkUnlocked(dir string) error {
	name := filepath.Join(dir, "status")
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("open embedded ClickHouse at %s: %w (lock on %s)", dir, ErrLocked, name)
		}
		return fmt.Errorf("probe lock %s: %w", name, err)
	}
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
