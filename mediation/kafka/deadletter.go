package kafka

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	kafkago "github.com/segmentio/kafka-go"
)

// Header names on a dead-lettered record. The value is the original bytes and the key the
// original key, so a replay tool can re-publish a record to its origin unchanged.
const (
	HeaderReason          = "reason"           // the stable reason code
	HeaderDetail          = "detail"           // what is wrong and where
	HeaderOriginTopic     = "origin-topic"     // the topic the record was consumed from
	HeaderOriginPartition = "origin-partition" // decimal partition number
	HeaderOriginOffset    = "origin-offset"    // decimal offset in the origin partition
	HeaderRejectedAt      = "rejected-at"      // RFC 3339 with nanoseconds, UTC
	HeaderSource          = "source"           // the record's CloudEvents source, when it decoded that far
	HeaderEventID         = "event-id"         // the record's CloudEvents id, when it decoded that far
)

// DeadLetterConfig configures a DeadLetterWriter; Topic defaults to DefaultRejectedTopic.
type DeadLetterConfig struct {
	WriterConfig
}

// Validate reports every invalid field, named by its path.
func (cfg DeadLetterConfig) Validate() error { return cfg.validate("dead_letters") }

// DeadLetterWriter publishes rejected records to the dead-letter topic and implements
// mediation.DeadLetters. It is safe for concurrent use.
type DeadLetterWriter struct {
	cfg DeadLetterConfig
	w   *kafkago.Writer
}

var _ mediation.DeadLetters = (*DeadLetterWriter)(nil)

// NewDeadLetterWriter validates cfg and returns a writer; it connects on the first Publish.
func NewDeadLetterWriter(cfg DeadLetterConfig) (*DeadLetterWriter, error) {
	cfg.WriterConfig = cfg.withDefaults(DefaultRejectedTopic)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafka dead-letter config: %w", err)
	}
	log := cfg.Logger.With("component", "kafka-dead-letters", "topic", cfg.Topic)
	return &DeadLetterWriter{cfg: cfg, w: newWriter(cfg.WriterConfig, log)}, nil
}

// Publish writes every rejected record and returns nil only after the broker acknowledged all
// of them (acks=all): only then may the source commit the batch they came from. On an error
// some may have been written; the caller retries the whole batch, so the dead-letter topic is
// at-least-once too (consumers of it de-duplicate by origin topic/partition/offset).
func (d *DeadLetterWriter) Publish(ctx context.Context, rejected []mediation.Rejected) error {
	if len(rejected) == 0 {
		return nil
	}
	msgs := make([]kafkago.Message, len(rejected))
	for i, r := range rejected {
		msgs[i] = d.message(r)
	}
	if err := d.w.WriteMessages(ctx, msgs...); err != nil {
		first := rejected[0].Message
		return fmt.Errorf("publish %d dead letters to %s (first from %s/%d@%d): %w",
			len(rejected), d.cfg.Topic, first.Topic, first.Partition, first.Offset, writeErr(err, len(msgs)))
	}
	return nil
}

// message builds the dead-letter record for r: original key and bytes, the why in headers.
func (d *DeadLetterWriter) message(r mediation.Rejected) kafkago.Message {
	at := r.At
	if at.IsZero() {
		at = d.cfg.Clock()
	}
	m := kafkago.Message{
		Key:   r.Key,
		Value: r.Value,
		Headers: []kafkago.Header{
			{Key: HeaderReason, Value: []byte(r.Reason)},
			{Key: HeaderDetail, Value: []byte(r.Detail)},
			{Key: HeaderOriginTopic, Value: []byte(r.Topic)},
			{Key: HeaderOriginPartition, Value: strconv.AppendInt(nil, int64(r.Partition), 10)},
			{Key: HeaderOriginOffset, Value: strconv.AppendInt(nil, r.Offset, 10)},
			{Key: HeaderRejectedAt, Value: at.UTC().AppendFormat(nil, time.RFC3339Nano)},
		},
	}
	if r.Source != "" {
		m.Headers = append(m.Headers, kafkago.Header{Key: HeaderSource, Value: []byte(r.Source)})
	}
	if r.EventID != "" {
		m.Headers = append(m.Headers, kafkago.Header{Key: HeaderEventID, Value: []byte(r.EventID)})
	}
	return m
}

// Close flushes and releases the writer's connections.
func (d *DeadLetterWriter) Close() error {
	if err := d.w.Close(); err != nil {
		return fmt.Errorf("close dead-letter writer %s: %w", d.cfg.Topic, err)
	}
	return nil
}
