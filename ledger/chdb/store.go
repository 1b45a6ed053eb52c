// Package chdb is the embedded ledger: ledger.Store on ClickHouse 26.5 running
// inside the process (libchdb), the default when no ClickHouse server is
// configured. It runs the same SQL as the server backend (ledger/internal/chsql).
//
// libchdb is loaded when New is called, not when the package is imported, so a
// binary linking this package runs without the library until it opens an
// embedded ledger; then a missing library is an ErrLibraryMissing error.
//
// One process may open one data directory (libchdb has one engine per process)
// and a data directory may be open in one process only. Stores on the same
// directory share the engine; each uses its own database.
package chdb

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/chdb/internal/capi"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
)

// Errors of the embedded engine, checked with errors.Is.
var (
	// ErrLibraryMissing: libchdb.so is not where Config.LibraryPath or
	// $CHDB_LIB_PATH say (`make deps` fetches it).
	ErrLibraryMissing = capi.ErrLibraryMissing
	// ErrLocked: another process has the data directory open.
	ErrLocked = capi.ErrLocked
	// ErrOtherPath: this process already has another data directory open.
	ErrOtherPath = capi.ErrOtherPath
)

// Store is the embedded ledger. Safe for concurrent use.
type Store struct {
	sess      *capi.Session
	db        string
	tempDir   string
	chunkRows int
	noFsync   bool
	log       *slog.Logger
	now       func() time.Time
	seq       atomic.Uint64 // names chunk files uniquely within the process

	mu     sync.RWMutex // Close waits for calls in flight
	closed bool
}

// Statically check the Store is a ledger.Store.
var _ ledger.Store = (*Store)(nil)

// New opens (creating if needed) the embedded ledger in cfg.Path and applies
// pending migrations to cfg.Database.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := cfg.Clock()
	sess, started, err := capi.Open(cfg.LibraryPath, cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("chdb ledger: %w", err)
	}
	tempDir := cfg.TempDir
	if tempDir == "" {
		tempDir = filepath.Join(sess.Path(), insertDirName)
	}
	if err := prepareTempDir(tempDir, started && cfg.TempDir == ""); err != nil {
		sess.Release()
		return nil, fmt.Errorf("chdb ledger: %w", err)
	}
	s := &Store{sess: sess, db: cfg.Database, tempDir: tempDir, chunkRows: cfg.ChunkRows, noFsync: cfg.NoFsync, log: cfg.Logger, now: cfg.Clock}
	if err := s.migrate(); err != nil {
		sess.Release()
		return nil, fmt.Errorf("chdb ledger %s database %s: %w", sess.Path(), cfg.Database, err)
	}
	s.log.Info("embedded ledger open", "path", sess.Path(), "database", s.db, "took", cfg.Clock().Sub(start))
	return s, nil
}

// insertDirName is the directory inside the data directory that holds chunk
// files while they are inserted.
const insertDirName = "cascade-insert-tmp"

// prepareTempDir creates the chunk directory. When this process has just
// started the engine, the directory is exclusively ours (the data directory
// is locked), so files a crashed predecessor left behind are removed.
func prepareTempDir(dir string, sweep bool) error {
	if sweep {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("clear stale chunk files in %s: %w", dir, err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create chunk dir: %w", err)
	}
	return nil
}

// Path is the absolute data directory.
func (s *Store) Path() string { return s.sess.Path() }

// Database is the database the ledger's tables are in.
func (s *Store) Database() string { return s.db }

// Close releases this Store's reference to the engine; the last Store on a
// directory shuts the engine down and frees the directory for other processes.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ledger.ErrClosed
	}
	s.closed = true
	s.sess.Release()
	return nil
}

// exec runs a statement whose output is discarded.
func (s *Store) exec(sql string) error {
	_, err := s.sess.Query(sql, "RowBinary")
	return err
}

// migrate creates the database and applies every migration not yet recorded.
// Statements are idempotent, so a crash between applying and recording is safe.
func (s *Store) migrate() error {
	for _, stmt := range chsql.Bootstrap(s.db) {
		if err := s.exec(stmt); err != nil {
			return fmt.Errorf("bootstrap %q: %w", stmt, err)
		}
	}
	out, err := s.sess.Query(chsql.AppliedMigrationsSQL(s.db), resultFormat)
	if err != nil {
		return fmt.Errorf("read applied migrations: %w", err)
	}
	rows, err := decodeStrings(out, 1)
	if err != nil {
		return fmt.Errorf("read applied migrations: %w", err)
	}
	applied := make(map[string]bool, len(rows))
	for _, r := range rows {
		applied[r[0]] = true
	}
	for _, m := range chsql.Migrations(s.db) {
		if applied[chsql.Uint(uint64(m.Version))] {
			continue
		}
		for i, stmt := range m.Statements {
			if err := s.exec(stmt); err != nil {
				return fmt.Errorf("migration %d (%s) statement %d: %w", m.Version, m.Name, i, err)
			}
		}
		for _, c := range m.AddColumns {
			if err := s.addColumn(c); err != nil {
				return fmt.Errorf("migration %d (%s) column %s.%s: %w", m.Version, m.Name, c.Table.Name, c.Column.Name, err)
			}
		}
		if err := s.exec(chsql.RecordMigrationSQL(s.db, m, s.now())); err != nil {
			return fmt.Errorf("record migration %d: %w", m.Version, err)
		}
		s.log.Info("ledger migration applied", "database", s.db, "version", m.Version, "name", m.Name)
	}
	return s.setFsync()
}

// addColumn adds a column unless the table has it (one process per data directory: no race).
func (s *Store) addColumn(c chsql.TableColumn) error {
	out, err := s.sess.Query(c.ColumnExistsSQL(s.db), resultFormat)
	if err != nil {
		return fmt.Errorf("look up the column: %w", err)
	}
	rows, err := decodeStrings(out, 1)
	if err != nil {
		return fmt.Errorf("look up the column: %w", err)
	}
	if len(rows) == 1 && rows[0][0] == "1" {
		return nil
	}
	return s.exec(c.AddColumnSQL(s.db))
}

// setFsync switches fsync of inserted parts on (or off) for every MergeTree
// table of the database. It is applied here rather than in chsql's DDL
// because ClickHouse 18.16 (the server backend's floor) lacks these
// settings; ALTER ... MODIFY SETTING is idempotent, so it runs at every start.
func (s *Store) setFsync() error {
	out, err := s.sess.Query("SELECT name FROM system.tables WHERE database = "+chsql.String(s.db)+
		" AND engine LIKE '%MergeTree' ORDER BY name", resultFormat)
	if err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	rows, err := decodeStrings(out, 1)
	if err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	on := "1"
	if s.noFsync {
		on = "0"
	}
	for _, r := range rows {
		stmt := "ALTER TABLE " + chsql.Ident(s.db) + "." + chsql.Ident(r[0]) +
			" MODIFY SETTING fsync_after_insert = " + on + ", fsync_part_directory = " + on
		if err := s.exec(stmt); err != nil {
			return fmt.Errorf("set fsync on %s: %w", r[0], err)
		}
	}
	return nil
}

// begin guards a call against a concurrent Close; the caller must call the
// returned function when done.
func (s *Store) begin() (func(), error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, ledger.ErrClosed
	}
	return s.mu.RUnlock, nil
}

// engineErr wraps an engine failure, mapping a closed session to ErrClosed.
func engineErr(what string, err error) error {
	if errors.Is(err, capi.ErrClosed) {
		return fmt.Errorf("%s: %w", what, ledger.ErrClosed)
	}
	return fmt.Errorf("%s: %w", what, err)
}
