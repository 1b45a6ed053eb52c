package chdb

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults applied by Validate.
const (
	// DefaultDatabase is the database the ledger's tables live in.
	DefaultDatabase = "cascade"
	// DefaultChunkRows is how many rows go into one RowBinary file per INSERT:
	// 50-100k rows measured fastest (~1M rows/s) with bounded memory.
	DefaultChunkRows = 100_000
)

// Config configures the embedded ledger.
type Config struct {
	// Path is the data directory. One process at a time may use it, and one
	// process may use only one data directory (a libchdb limitation).
	Path string
	// Database is the ClickHouse database holding the tables (default
	// "cascade"). Several Stores may share one Path with different databases,
	// which is how tests get a fresh, empty ledger without a new process.
	Database string
	// LibraryPath is libchdb.so; empty means $CHDB_LIB_PATH.
	LibraryPath string
	// TempDir receives the RowBinary chunk files inserts read (default: a
	// directory inside Path, swept of a crashed run's leftovers at start).
	// Files are removed after each INSERT.
	TempDir string
	// ChunkRows bounds the rows per INSERT (default DefaultChunkRows).
	ChunkRows int
	// NoFsync skips fsync of inserted parts. By default every table fsyncs
	// its new parts before an INSERT returns (~2 ms per insert measured), so
	// "written" means durable across power loss, not only a process crash —
	// the Writer contract lets callers commit Kafka offsets right after.
	NoFsync bool
	// Logger receives start-up and migration messages (default: discarded).
	Logger *slog.Logger
	// Clock stamps applied migrations (default time.Now).
	Clock func() time.Time
}

// Validate checks the config and fills defaults. Errors name the field.
func (c *Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("chdb config: path: is required"))
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if !isIdent(c.Database) {
		errs = append(errs, fmt.Errorf("chdb config: database: %q must match [A-Za-z_][A-Za-z0-9_]*", c.Database))
	}
	if c.ChunkRows == 0 {
		c.ChunkRows = DefaultChunkRows
	}
	if c.ChunkRows < 0 {
		errs = append(errs, fmt.Errorf("chdb config: chunk_rows: %d is negative", c.ChunkRows))
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return errors.Join(errs...)
}

// isIdent reports whether s is a plain identifier, so database names never
// need quoting tricks and map one-to-one to directories.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
