// Package kafka adapts Kafka to the mediation pipeline: a consumer-group Source that commits a
// batch's offsets only after the Handler made the batch durable, a DeadLetterWriter for rejected
// records (usage.rejected) and a Producer for raw usage keyed by ownership scope (usage.raw).
//
// It is built on github.com/segmentio/kafka-go. The Source deliberately does not use kafka-go's
// Reader with a GroupID: that Reader hides partition assignments, so the pipeline could neither
// load a partition's running totals and dedup state before its first record (Handler.Assigned)
// nor drop them after its last (Handler.Revoked), and its commit loop can commit offsets of
// messages the handler has not finished. Instead the Source drives kafka-go's lower-level
// ConsumerGroup/Generation API: each generation's Assignments name the partitions and their
// committed offsets, one goroutine per partition reads with a partition-bound Reader, and
// Generation.CommitOffsets commits exactly the batches the handler acknowledged. kafka-go waits
// for a generation's goroutines before rejoining the group, so a member finishes and commits its
// in-flight batches and calls Revoked before anyone else can be assigned those partitions.
//
// The rebalance protocol is eager: on every generation change all partitions are revoked and the
// new assignment is handed out again, even when a partition stays with the same member.
package kafka
