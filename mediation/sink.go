package mediation

import (
	"context"
	"time"
)

// UsageRow is one accepted usage record, normalized and enriched: what the ledger stores
// exactly once per (source, event id) (DESIGN.md invariant 1).
type UsageRow struct {
	ID ID // UsageID(source, event id)
	Record
	Enrichment
	Partition int
	Offset    int64
}

// Batch is everything one Handle call produced for one partition's batch of messages. Its
// slices and the strings in them are reused for the partition's next batch: a Sink must copy
// what it keeps after Write returns.
type Batch struct {
	Topic     string
	Partition int
	Usage     []UsageRow
	Deltas    []RatedDelta
	Rejected  []Rejected
	// Duplicates is how many records were dropped as already accepted (same source and id).
	Duplicates int
	// LateClosed is how many of Usage are late for a closed period (Enrichment.Closed).
	LateClosed int
	// Consumed is len(the messages) = len(Usage) + Duplicates + len(Rejected).
	Consumed int
	// At is the clock reading the batch was validated against.
	At time.Time
}

// Sink makes a batch's results durable in one call: usage rows and rated deltas to the ledger,
// rejects to the dead letters (cmd/cascade adapts ledger.Store and a DeadLetters; mediationtest
// has a fake). Write returns nil only when all of it is durable; the pipeline then remembers
// the batch's ids and totals, and the source commits the offsets. Writes of different
// partitions run concurrently, so implementations must be safe for concurrent use. A batch may
// be written again after an error or a crash (same ids): writes must be idempotent by id.
type Sink interface {
	Write(ctx context.Context, b *Batch) error
}
