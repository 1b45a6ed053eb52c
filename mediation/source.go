// Package mediation turns raw usage records into accepted, rated usage: decode, validate,
// normalize, deduplicate, enrich, rate. It declares the interfaces it needs from the outside
// (a Source of raw messages, sinks for results, a directory for enrichment) and imports no
// infrastructure: mediation/kafka adapts Kafka to Source, cmd/cascade wires the rest.
package mediation

import (
	"context"
	"time"
)

// Message is one raw record as a source delivers it, with where it came from: enough to
// dead-letter it with its original bytes and to commit its offset.
type Message struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Time      time.Time // the broker's timestamp
}

// Handler processes what a Source delivers. A Source calls it from one goroutine per
// partition at most, in offset order within a partition.
type Handler interface {
	// Handle processes a batch of one partition's messages, in offset order. When it returns
	// nil, everything the batch produced is durable (ledger rows, dead letters) and the source
	// may commit the batch's offsets; when it returns an error, the source commits nothing for
	// the batch and redelivers it (at-least-once, DESIGN.md invariant 4). Handle must not keep
	// references to the messages' byte slices after it returns.
	Handle(ctx context.Context, batch []Message) error
	// Assigned is called when this instance starts to own partitions, before any of their
	// messages are handled: the place to load running totals and dedup state.
	Assigned(ctx context.Context, topic string, partitions []int) error
	// Revoked is called when partitions are taken away, after their last batch was handled
	// and committed: the place to drop their state.
	Revoked(ctx context.Context, topic string, partitions []int) error
}

// Source delivers raw messages to a Handler until ctx is cancelled or a fatal error occurs,
// committing a batch's offsets only after Handle returned nil for it. Run returns nil after a
// graceful shutdown (in-flight batches handled and committed).
type Source interface {
	Run(ctx context.Context, h Handler) error
}

// Rejected is a record mediation refused, with why, and its original bytes: nothing is lost.
type Rejected struct {
	Message        // where it came from, and its original bytes (Value)
	Reason  string // a reason code, stable for dashboards and replays (see the reason constants)
	Detail  string // what is wrong and where: the field path and the record id when known
	// Source and EventID are the record's CloudEvents source and id when it decoded that far
	// ("" otherwise), so a vendor's rejects can be found by event id. Like Value they point into
	// the batch's buffers: copy them to keep them.
	Source, EventID string
	At              time.Time
}

// DeadLetters receives rejected records (the usage.rejected topic, the ledger's reject table).
// Publish returns nil only when every record is durable there.
type DeadLetters interface {
	Publish(ctx context.Context, rejected []Rejected) error
}
