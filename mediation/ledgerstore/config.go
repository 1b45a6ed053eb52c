// Package ledgerstore adapts the ledger to mediation: it is the pipeline's Sink and
// DeadLetters (usage rows, rated deltas and rejects written to a ledger.Store), and its
// DedupLoader and TotalsLoader (a partition's dedup ids and running totals rebuilt from what the
// ledger holds, through ledger.Scanner). It imports both mediation and ledger; neither imports
// the other.
package ledgerstore

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/rating"
)

// DefaultMaxPeriod is how far before a loader's since the rated deltas are scanned when the
// catalog has no plan: a total whose period ends after since may have started up to one billing
// period earlier.
const DefaultMaxPeriod = 366 * 24 * time.Hour

// LongestPeriod is the longest billing period of the catalog's plans, rounded up to whole
// calendar units (a month counts 31 days, a year 366), or DefaultMaxPeriod when it has none:
// the default of Config.MaxPeriod, so a catalog of monthly plans scans about two months of
// deltas on assignment instead of a year.
func LongestPeriod(cat *rating.Catalog) time.Duration {
	var longest time.Duration
	for _, p := range cat.Plans {
		unit := 366 * 24 * time.Hour
		switch p.BillingPeriod.Unit {
		case rating.PeriodDay:
			unit = 24 * time.Hour
		case rating.PeriodMonth:
			unit = 31 * 24 * time.Hour
		}
		longest = max(longest, time.Duration(max(p.BillingPeriod.Every, 1))*unit)
	}
	if longest == 0 {
		return DefaultMaxPeriod
	}
	return longest
}

// Config configures a Store.
type Config struct {
	// Ledger receives the writes; it must also implement ledger.Scanner (every backend does),
	// which the loaders read from.
	Ledger ledger.Store
	// Catalog and Directory let LoadTotals find each stored delta's running-total key again
	// (plan, pool scope, billing period), from the enrichment of its usage as of its event time:
	// the same lookup the pipeline made when it rated it.
	Catalog   *rating.Catalog
	Directory mediation.Directory
	// Partition returns the partition of topic that usage of an ownership scope is produced to
	// (the producer's partitioner: Kafka partitions are keyed by scope, DESIGN.md). The scope of
	// a stored usage row is its pricing group, or its account when it has none.
	Partition func(topic, scope string) int
	// MaxPeriod is the longest billing period (zero: LongestPeriod(Catalog)).
	MaxPeriod time.Duration
	Logger    *slog.Logger     // nil: slog.Default()
	Now       func() time.Time // nil: time.Now; stamps rejects published through Publish without a time
}

// Validate checks the configuration and fills in defaults.
func (c *Config) Validate() error {
	switch {
	case c.Ledger == nil:
		return errors.New("ledgerstore config: ledger is required")
	case c.Catalog == nil:
		return errors.New("ledgerstore config: catalog is required (to rebuild running totals)")
	case c.Directory == nil:
		return errors.New("ledgerstore config: directory is required (to rebuild running totals)")
	case c.Partition == nil:
		return errors.New("ledgerstore config: partition is required (which partition owns a stored row)")
	case c.MaxPeriod < 0:
		return fmt.Errorf("ledgerstore config: max period %s is negative", c.MaxPeriod)
	}
	if _, ok := c.Ledger.(ledger.Scanner); !ok {
		return fmt.Errorf("ledgerstore config: ledger %T does not implement ledger.Scanner", c.Ledger)
	}
	if c.MaxPeriod == 0 {
		c.MaxPeriod = LongestPeriod(c.Catalog)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Store is the ledger seen from mediation. Safe for concurrent use (the pipeline writes and
// loads partitions in parallel) as long as the ledger.Store is.
type Store struct {
	cfg   Config
	scan  ledger.Scanner
	cache scanCache
	bufs  sync.Pool // *rowBuffers, see Write
}

var (
	_ mediation.Sink         = (*Store)(nil)
	_ mediation.DeadLetters  = (*Store)(nil)
	_ mediation.DedupLoader  = (*Store)(nil)
	_ mediation.TotalsLoader = (*Store)(nil)
)

// New returns a Store over cfg.Ledger. The caller keeps owning the ledger and closes it.
func New(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Store{cfg: cfg, scan: cfg.Ledger.(ledger.Scanner), bufs: sync.Pool{New: func() any { return new(rowBuffers) }}}, nil
}
