package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Scanner lists stored usage and rated deltas by event time, so a consumer that owns part of
// the usage stream (mediation, one instance per set of Kafka partitions) can rebuild its dedup
// ids and running totals after a restart or a rebalance. It is separate from Reader because
// only that one consumer needs it and because its answers grow with the window scanned; every
// backend implements it and passes the conformance suite. Answers collapse duplicates (one row
// per usage identity, the latest version per rated id) and are sorted as each method says.
type Scanner interface {
	// ScanUsage lists usage with EventTime at or after q.Since (sorted by event time, source,
	// event id).
	ScanUsage(ctx context.Context, q ScanQuery) ([]UsageRef, error)
	// ScanRated lists rated deltas with EventTime at or after q.Since (sorted by event time, id).
	ScanRated(ctx context.Context, q ScanQuery) ([]RatedRef, error)
}

// ScanQuery selects rows whose event time is at or after Since.
type ScanQuery struct {
	Since time.Time
}

// Validate checks that Since is storable.
func (q ScanQuery) Validate() error {
	if msg := checkTime(q.Since); msg != "" {
		return fmt.Errorf("scan query: since: %s: %w", msg, ErrInvalid)
	}
	return nil
}

// UsageRef is what a scan returns of a usage row: its identity, what decides who owns it
// (account, pricing group) and what enrichment is looked up by (subject, meter, event time).
type UsageRef struct {
	Source       string
	EventID      string
	Subject      string
	Meter        string
	Account      string
	PricingGroup string
	EventTime    time.Time
}

// RatedRef is what a scan returns of a rated delta: its id, the usage it came from, its
// charge and the quantity it added to the charge's running total.
type RatedRef struct {
	ID        string
	Source    string
	EventID   string
	Charge    string
	EventTime time.Time
	Quantity  decimal.Decimal
}
