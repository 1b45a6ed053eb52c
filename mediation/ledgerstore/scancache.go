package ledgerstore

import (
	"context"
	"sync"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/mediation"
	"github.com/shopspring/decimal"
)

// scanCache shares one assignment's work among its partitions. The pipeline calls LoadSeen and
// LoadTotals for every assigned partition in turn with the same since (it reads its clock once
// per Assigned call), and every scan reads the window of every partition: so the window is
// scanned once per kind and split by partition in one pass, instead of 3 scans and 2 passes
// per partition.
//
// An entry serves only calls with the same topic and since and no write by this Store in
// between. A write by another instance cannot touch an assigned partition's rows (one owner per
// partition), and a later assignment has a later since, so it never sees a stale entry.
type scanCache struct {
	mu     sync.Mutex
	writes uint64 // Write calls so far; an entry filled before a write is stale
	e      *assignment
}

// assignment is what one assignment's loads share.
type assignment struct {
	topic  string
	since  time.Time
	writes uint64
	usage  []ledger.UsageRef // from since − MaxPeriod
	seen   map[int][]seenID  // by partition; nil until the first LoadSeen
	totals map[int]*partTotals
}

type seenID struct {
	id mediation.ID
	at time.Time
}

// partTotals is one partition's rebuilt totals, or the first error met rebuilding them.
type partTotals struct {
	sums map[mediation.TotalKey]decimal.Decimal
	err  error
}

// wrote invalidates the cache: the Store is about to write.
func (c *scanCache) wrote() {
	c.mu.Lock()
	c.writes++
	c.e = nil
	c.mu.Unlock()
}

// with runs fn on the entry for (topic, since), scanning usage first when there is none; fn
// runs under the cache's lock, so it may fill the entry's lazy parts.
func (c *scanCache) with(ctx context.Context, sc ledger.Scanner, topic string, since time.Time, maxPeriod time.Duration, fn func(e *assignment) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.e == nil || c.e.topic != topic || !c.e.since.Equal(since) || c.e.writes != c.writes {
		usage, err := sc.ScanUsage(ctx, ledger.ScanQuery{Since: since.Add(-maxPeriod)})
		if err != nil {
			return err
		}
		c.e = &assignment{topic: topic, since: since, writes: c.writes, usage: usage}
	}
	return fn(c.e)
}
