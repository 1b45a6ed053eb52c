package kafka

import (
	"context"
	"fmt"

	kafkago "github.com/segmentio/kafka-go"
)

// ProducerConfig configures a Producer; Topic defaults to DefaultRawTopic.
type ProducerConfig struct {
	WriterConfig
}

// Validate reports every invalid field, named by its path.
func (cfg ProducerConfig) Validate() error { return cfg.validate("producer") }

// Record is one raw usage record to produce. Scope is the ownership scope (the pricing group
// when pooled pricing applies, else the account): it is the record key, so every record of a
// scope lands on one partition and is mediated, in order, by the one instance that owns it.
type Record struct {
	Scope string
	Value []byte
}

// Producer writes raw usage records keyed by ownership scope; the HTTP connector uses it.
// It is safe for concurrent use.
type Producer struct {
	cfg ProducerConfig
	w   *kafkago.Writer
}

// NewProducer validates cfg and returns a producer; it connects on the first Produce.
func NewProducer(cfg ProducerConfig) (*Producer, error) {
	cfg.WriterConfig = cfg.withDefaults(DefaultRawTopic)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafka producer config: %w", err)
	}
	log := cfg.Logger.With("component", "kafka-producer", "topic", cfg.Topic)
	return &Producer{cfg: cfg, w: newWriter(cfg.WriterConfig, log)}, nil
}

// Produce writes records and returns nil only after the broker acknowledged every one of them
// (acks=all), so a caller that answers "accepted" after it never loses a record. On an error
// some records may have been written: a retry may duplicate them, which the pipeline's dedup
// by (source, id) absorbs.
func (p *Producer) Produce(ctx context.Context, records []Record) error {
	if len(records) == 0 {
		return nil
	}
	msgs := make([]kafkago.Message, len(records))
	for i, r := range records {
		if r.Scope == "" {
			return fmt.Errorf("produce to %s: records[%d].scope: empty; every record needs its ownership scope", p.cfg.Topic, i)
		}
		msgs[i] = kafkago.Message{Key: []byte(r.Scope), Value: r.Value}
	}
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("produce %d records to %s: %w", len(records), p.cfg.Topic, writeErr(err, len(msgs)))
	}
	return nil
}

// Close flushes and releases the producer's connections.
func (p *Producer) Close() error {
	if err := p.w.Close(); err != nil {
		return fmt.Errorf("close producer %s: %w", p.cfg.Topic, err)
	}
	return nil
}
