package kafka

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// Partitioner names how a record key picks its partition. Every producer of one topic must
// use the same one, or one ownership scope would be split across partitions (and owners).
type Partitioner string

const (
	// PartitionerFNV1a is kafka-go's Hash balancer (FNV-1a, Sarama's hash partitioner): the default.
	PartitionerFNV1a Partitioner = "fnv1a"
	// PartitionerMurmur2 matches the Java client's default partitioner (and librdkafka's
	// murmur2_random), for topics that Java or librdkafka producers also write to directly.
	PartitionerMurmur2 Partitioner = "murmur2"
)

// WriterConfig is what the DeadLetterWriter and the Producer share: where to write and how to
// batch. Every write waits for all in-sync replicas (RequireAll); that is not configurable.
type WriterConfig struct {
	Brokers []string
	Topic   string // defaults differ: DefaultRejectedTopic or DefaultRawTopic
	// Partitioner picks the partition from the key (default PartitionerFNV1a).
	Partitioner Partitioner
	// BatchSize and BatchTimeout bound how many records a request carries and how long a
	// partial batch waits (defaults 1000 and 2ms: a synchronous caller pays the timeout).
	BatchSize    int
	BatchTimeout time.Duration
	// WriteTimeout bounds one produce request (default 10s); MaxAttempts is kafka-go's
	// retry count for retriable broker errors (default 10).
	WriteTimeout time.Duration
	MaxAttempts  int

	Logger *slog.Logger     // default slog.Default()
	Clock  func() time.Time // default time.Now
}

func (cfg WriterConfig) withDefaults(topic string) WriterConfig {
	if cfg.Topic == "" {
		cfg.Topic = topic
	}
	if cfg.Partitioner == "" {
		cfg.Partitioner = PartitionerFNV1a
	}
	setInt(&cfg.BatchSize, 1000)
	setDur(&cfg.BatchTimeout, 2*time.Millisecond)
	setDur(&cfg.WriteTimeout, 10*time.Second)
	setInt(&cfg.MaxAttempts, 10)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return cfg
}

// validate reports every invalid field, named by its path under the given section.
func (cfg WriterConfig) validate(section string) error {
	errs := validateBrokers(section, cfg.Brokers)
	switch cfg.Partitioner {
	case "", PartitionerFNV1a, PartitionerMurmur2:
	default:
		errs = append(errs, fmt.Errorf("%s.partitioner: %q is not %q or %q", section, cfg.Partitioner, PartitionerFNV1a, PartitionerMurmur2))
	}
	if cfg.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("%s.batch_size: %d is negative", section, cfg.BatchSize))
	}
	if cfg.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("%s.max_attempts: %d is negative", section, cfg.MaxAttempts))
	}
	if cfg.BatchTimeout < 0 {
		errs = append(errs, fmt.Errorf("%s.batch_timeout: %s is negative", section, cfg.BatchTimeout))
	}
	if cfg.WriteTimeout < 0 {
		errs = append(errs, fmt.Errorf("%s.write_timeout: %s is negative", section, cfg.WriteTimeout))
	}
	return errors.Join(errs...)
}

// newWriter builds a synchronous kafka-go Writer: WriteMessages returns only after the broker
// acknowledged every message with acks=all, or with the error of those it did not.
func newWriter(cfg WriterConfig, log *slog.Logger) *kafkago.Writer {
	var balancer kafkago.Balancer = &kafkago.Hash{}
	if cfg.Partitioner == PartitionerMurmur2 {
		balancer = kafkago.Murmur2Balancer{}
	}
	return &kafkago.Writer{
		Addr:         kafkago.TCP(cfg.Brokers...),
		Topic:        cfg.Topic,
		Balancer:     balancer,
		RequiredAcks: kafkago.RequireAll,
		Async:        false,
		BatchSize:    cfg.BatchSize,
		BatchTimeout: cfg.BatchTimeout,
		WriteTimeout: cfg.WriteTimeout,
		MaxAttempts:  cfg.MaxAttempts,
		Logger:       kafkaLogger(log, slog.LevelDebug),
		ErrorLogger:  kafkaLogger(log, slog.LevelWarn),
	}
}

// writeErr summarises kafka-go's per-message errors: how many of n failed, and the first cause.
func writeErr(err error, n int) error {
	var werrs kafkago.WriteErrors
	if errors.As(err, &werrs) {
		for i, e := range werrs {
			if e != nil {
				return fmt.Errorf("%d of %d records not acknowledged (first: record %d: %w)", werrs.Count(), n, i, e)
			}
		}
	}
	return err
}
