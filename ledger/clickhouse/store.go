// Package clickhouse is the ledger on a ClickHouse server, over clickhouse-go/v2's native
// protocol. The driver is pinned at v2.26.0: later versions cannot batch-insert into servers
// older than 25.8, and the schema must keep working on Debian's 18.16. All SQL comes from
// ledger/internal/chsql, shared with the embedded backend.
package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync/atomic"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/cascade-billing/cascade/ledger"
)

// Config configures a Store. Zero durations and sizes take the documented defaults.
type Config struct {
	// Addr is the server's native-protocol address, host:port (usually port 9000).
	Addr string
	// Database holds the ledger's tables; it is created if missing.
	Database string
	Username string // default "default"
	Password string
	// BatchSize caps the rows sent in one INSERT; bigger writes are split (default 100000).
	BatchSize int
	// InsertParallelism is how many INSERTs one WriteUsage call may run at once (default 2):
	// a large call is split so that Go builds one chunk while the server writes another.
	InsertParallelism int
	// FlushInterval and MaxPendingBatches configure UsageBatcher (defaults 1 s and 4).
	FlushInterval     time.Duration
	MaxPendingBatches int
	// DialTimeout bounds connecting (default 5 s); ReadTimeout bounds each query and each
	// INSERT as a whole (default 60 s), so a hung server turns into an error instead of a
	// pipeline that waits forever.
	DialTimeout time.Duration
	ReadTimeout time.Duration
	// Logger receives migration and connection events (default: discard).
	Logger *slog.Logger
	// Clock stamps migration records (default time.Now).
	Clock func() time.Time
}

var databaseName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Addr == "" {
		return errors.New("ledger/clickhouse config: addr is required")
	}
	if !databaseName.MatchString(c.Database) {
		return fmt.Errorf("ledger/clickhouse config: database %q must match %s", c.Database, databaseName)
	}
	if c.BatchSize < 0 || c.InsertParallelism < 0 || c.MaxPendingBatches < 0 || c.FlushInterval < 0 || c.DialTimeout < 0 || c.ReadTimeout < 0 {
		return errors.New("ledger/clickhouse config: sizes and durations must not be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Username == "" {
		c.Username = "default"
	}
	if c.BatchSize == 0 {
		c.BatchSize = 100_000
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = time.Second
	}
	if c.InsertParallelism == 0 {
		c.InsertParallelism = 2
	}
	if c.MaxPendingBatches == 0 {
		c.MaxPendingBatches = 4
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 60 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c
}

// Store is a ledger.Store on a ClickHouse server. Safe for concurrent use.
type Store struct {
	cfg    Config
	conn   driver.Conn
	closed atomic.Bool
	// usage and rated merge concurrent small writes into one INSERT each (group.go).
	usage *group[ledger.Usage]
	rated *group[ledger.RatedDelta]
}

var _ ledger.Store = (*Store)(nil)

// New connects, creates the database if needed and applies pending migrations. A server that
// cannot be reached gives an error naming the address and wrapping ledger.ErrUnavailable.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	conn, err := ch.Open(&ch.Options{
		Addr: []string{cfg.Addr},
		// Connect to "default": the ledger database may not exist yet; every statement
		// qualifies its tables.
		Auth:         ch.Auth{Database: "default", Username: cfg.Username, Password: cfg.Password},
		DialTimeout:  cfg.DialTimeout,
		ReadTimeout:  cfg.ReadTimeout,
		MaxOpenConns: 8,
		MaxIdleConns: 4,
	})
	if err != nil {
		return nil, fmt.Errorf("ledger/clickhouse: open %s: %w: %w", cfg.Addr, ledger.ErrUnavailable, err)
	}
	s := &Store{cfg: cfg, conn: conn}
	s.usage = &group[ledger.Usage]{max: cfg.BatchSize, flush: s.insertUsage}
	s.rated = &group[ledger.RatedDelta]{max: cfg.BatchSize, flush: s.insertRated}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.DialTimeout+cfg.ReadTimeout)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("ledger/clickhouse: connect to %s: %w: %w", cfg.Addr, ledger.ErrUnavailable, err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("ledger/clickhouse: migrate %s on %s: %w", cfg.Database, cfg.Addr, err)
	}
	return s, nil
}

// Close closes the connections. Writes in flight fail; nothing they did is reported durable.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.conn.Close()
}

// UsageBatcher returns a batcher writing usage through this store with the configured batch
// size, flush interval and pending-batch bound. The caller owns it and closes it before the
// store.
func (s *Store) UsageBatcher() (*ledger.Batcher[ledger.Usage], error) {
	return ledger.NewBatcher(ledger.BatcherConfig{
		Size:       s.cfg.BatchSize,
		Interval:   s.cfg.FlushInterval,
		MaxPending: s.cfg.MaxPendingBatches,
	}, s.WriteUsage)
}

// classify marks transport failures as ledger.ErrUnavailable; server exceptions (bad SQL, type
// mismatch) are not, since a retry will not fix them.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ex *ch.Exception
	if errors.As(err, &ex) {
		return err
	}
	return fmt.Errorf("%w: %w", ledger.ErrUnavailable, err)
}
