package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/config"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/connector"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
	"github.com/cascade-billing/cascade/mediation/ledgerstore"
	"github.com/cascade-billing/cascade/rating"
)

// serveMediation is the usage side of the service: the broker (when embedded), the connector's
// producer and dead-letter writer, the pipeline over the ledger and the consumer-group source
// running it. The pipeline, the source and the connector are rebuilt when billing publishes a
// new catalog (serve_catalog.go); the rest lives as long as the process.
type serveMediation struct {
	cfg         config.Kafka
	log         *slog.Logger
	now         func() time.Time
	store       ledger.Store
	keys        map[string]string // connector API keys: hash → vendor
	brokers     []string
	partitions  int
	broker      *kafkatest.Cluster // nil with an external cluster
	producer    *kafka.Producer
	deadLetters *kafka.DeadLetterWriter
	dir         *billingDirectory
	usage       atomic.Pointer[connector.Handler] // POST /v1/usage, for the current catalog

	mu   sync.Mutex      // guards what a catalog reload replaces
	cat  *rating.Catalog // the catalog pipe, src and usage were built with
	pipe *mediation.Pipeline
	src  *kafka.Source
	base mediation.Snapshot // the counters of pipelines a reload replaced

	reload  chan *rating.Catalog // the latest published catalog not yet applied (cap 1)
	cancel  context.CancelFunc
	srcDone chan error // the runner's end: nil after stopSource, else why the source stopped
	running atomic.Bool
	stopped bool
}

// startMediation wires mediation as the demo does (demo_flow.go), on the configured Kafka, and
// starts the source. On error everything it started is closed.
func startMediation(ctx context.Context, s *server, keys map[string]string) (m *serveMediation, err error) {
	cfg := s.cfg.Kafka
	m = &serveMediation{cfg: cfg, log: s.log, now: s.now, store: s.store, keys: keys, dir: newBillingDirectory(s.svc),
		reload: make(chan *rating.Catalog, 1), srcDone: make(chan error, 1)}
	defer func() {
		if err != nil {
			m.close(s.log)
		}
	}()
	m.brokers = cfg.Brokers
	if cfg.Embedded != nil {
		if m.broker, err = kafkatest.New(); err != nil {
			return m, fmt.Errorf("start the embedded Kafka broker: %w", err)
		}
		m.brokers = m.broker.Brokers()
		for _, t := range []struct {
			name string
			n    int
		}{{cfg.RawTopic, cfg.Embedded.Partitions}, {cfg.RejectedTopic, 1}} {
			if err = m.broker.CreateTopic(ctx, t.name, t.n); err != nil {
				return m, fmt.Errorf("create topic %s: %w", t.name, err)
			}
		}
		m.partitions = cfg.Embedded.Partitions
		s.log.Info("embedded Kafka broker started", "brokers", m.brokers, "partitions", m.partitions)
	} else if m.partitions, err = topicPartitions(ctx, m.brokers, cfg.RawTopic); err != nil {
		return m, err
	}

	writer := kafka.WriterConfig{Brokers: m.brokers, Logger: s.log, Clock: s.now}
	raw := writer
	raw.Topic = cfg.RawTopic
	if m.producer, err = kafka.NewProducer(kafka.ProducerConfig{WriterConfig: raw}); err != nil {
		return m, fmt.Errorf("kafka producer: %w", err)
	}
	rejected := writer
	rejected.Topic = cfg.RejectedTopic
	if m.deadLetters, err = kafka.NewDeadLetterWriter(kafka.DeadLetterConfig{WriterConfig: rejected}); err != nil {
		return m, fmt.Errorf("kafka dead-letter writer: %w", err)
	}
	if err = m.build(s.svc.Catalog()); err != nil {
		return m, err
	}
	s.svc.OnCatalog(m.published)

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.running.Store(true) // before the runner starts, so /readyz never sees a gap at start
	go func() { m.srcDone <- m.run(runCtx) }()
	s.log.Info("mediation source started", "topic", cfg.RawTopic, "group", cfg.Group)
	return m, nil
}

// build makes the pipeline, its source and the connector for a catalog and installs them.
func (m *serveMediation) build(cat *rating.Catalog) error {
	ls, err := ledgerstore.New(ledgerstore.Config{Ledger: m.store, Catalog: cat, Directory: m.dir,
		Partition: m.partitionOf, Logger: m.log, Now: m.now})
	if err != nil {
		return fmt.Errorf("ledger adapter: %w", err)
	}
	pipe, err := mediation.New(mediation.Config{Catalog: cat, Directory: m.dir, Sink: ls, Seen: ls, Totals: ls,
		Logger: m.log, Now: m.now})
	if err != nil {
		return fmt.Errorf("mediation pipeline: %w", err)
	}
	src, err := kafka.NewSource(kafka.SourceConfig{Brokers: m.brokers, Topic: m.cfg.RawTopic, GroupID: m.cfg.Group,
		BatchSize: m.cfg.BatchSize, SessionTimeout: m.cfg.SessionTimeout.D(), HeartbeatInterval: m.cfg.HeartbeatInterval.D(),
		Logger: m.log, Clock: m.now})
	if err != nil {
		return fmt.Errorf("mediation source: %w", err)
	}
	edge, err := newEdgeRejects(m.deadLetters, ls)
	if err != nil {
		return err
	}
	usage, err := connector.New(connector.Config{Catalog: cat, Directory: m.dir, Publisher: m.producer,
		DeadLetters: edge, APIKeys: m.keys, Logger: m.log, Clock: m.now})
	if err != nil {
		return fmt.Errorf("usage connector: %w", err)
	}
	m.mu.Lock()
	if m.pipe != nil {
		m.base = addSnapshots(m.base, m.pipe.Counters().Snapshot())
	}
	m.cat, m.pipe, m.src = cat, pipe, src
	m.mu.Unlock()
	// The connector goes last: records of a new meter reach Kafka only once the pipeline
	// that consumes them knows the meter.
	m.usage.Store(usage)
	return nil
}

// ServeHTTP is POST /v1/usage: the connector of the current catalog.
func (m *serveMediation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.usage.Load().ServeHTTP(w, r)
}

// current returns the running pipeline and source.
func (m *serveMediation) current() (*mediation.Pipeline, *kafka.Source) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pipe, m.src
}

// snapshot is mediation's counters since the start: every pipeline's, summed.
func (m *serveMediation) snapshot() mediation.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return addSnapshots(m.base, m.pipe.Counters().Snapshot())
}

// addSnapshots sums two counter snapshots.
func addSnapshots(a, b mediation.Snapshot) mediation.Snapshot {
	out := mediation.Snapshot{Consumed: a.Consumed + b.Consumed, Accepted: a.Accepted + b.Accepted,
		Duplicate: a.Duplicate + b.Duplicate, LateClosedPeriod: a.LateClosedPeriod + b.LateClosedPeriod,
		Batches: a.Batches + b.Batches, Failed: a.Failed + b.Failed, Rejected: map[string]int64{}}
	for _, r := range []map[string]int64{a.Rejected, b.Rejected} {
		for k, v := range r {
			out.Rejected[k] += v
		}
	}
	return out
}

// partitionOf is the producer's partitioner (kafka-go's FNV-1a Hash, the Producer's default)
// over the raw topic: ledgerstore needs it to find which stored usage a partition owns.
func (m *serveMediation) partitionOf(_ string, scope string) int {
	parts := make([]int, m.partitions)
	for i := range parts {
		parts[i] = i
	}
	return (&kafkago.Hash{}).Balance(kafkago.Message{Key: []byte(scope)}, parts...)
}

// topicPartitions asks the cluster how many partitions the raw topic has: the partitioner
// must agree with the producers, and the topic must exist (the service does not create it).
func topicPartitions(ctx context.Context, brokers []string, topic string) (int, error) {
	var errs []error
	for _, b := range brokers {
		conn, err := kafkago.DialContext(ctx, "tcp", b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		parts, err := conn.ReadPartitions(topic)
		_ = conn.Close()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(parts) == 0 {
			return 0, fmt.Errorf("kafka: topic %s has no partitions (create it first, docs/operations.md)", topic)
		}
		return len(parts), nil
	}
	return 0, fmt.Errorf("kafka: read the partitions of %s from %v: %w", topic, brokers, errors.Join(errs...))
}

// stopSource stops the consumer: it finishes and commits the in-flight batches, then leaves
// the group. Safe to call twice.
func (m *serveMediation) stopSource(log *slog.Logger) {
	if m == nil || m.cancel == nil || m.stopped {
		return
	}
	m.stopped = true
	log.Info("shutdown: stopping the mediation source (finishing and committing in-flight batches)")
	m.cancel()
	if err := <-m.srcDone; err != nil {
		log.Warn("shutdown: mediation source stopped with an error", "err", err)
		return
	}
	snap := m.snapshot()
	log.Info("shutdown: mediation source stopped", "consumed", snap.Consumed, "accepted", snap.Accepted,
		"duplicate", snap.Duplicate)
}

// close releases the Kafka clients and the embedded broker (after stopSource).
func (m *serveMediation) close(log *slog.Logger) {
	m.stopSource(log)
	if m.producer != nil {
		if err := m.producer.Close(); err != nil {
			log.Warn("shutdown: close the producer", "err", err)
		}
	}
	if m.deadLetters != nil {
		if err := m.deadLetters.Close(); err != nil {
			log.Warn("shutdown: close the dead-letter writer", "err", err)
		}
	}
	if m.broker != nil {
		m.broker.Close()
		log.Info("shutdown: embedded Kafka broker stopped")
	}
}

// How long a cycle waits for mediation to catch up: one asked for through the API answers 503
// after apiCatchUp; a scheduled one is skipped after scheduleCatchUp (the next trigger runs it).
const (
	apiCatchUp      = 30 * time.Second
	scheduleCatchUp = 2 * time.Minute
)

// waitCaughtUp waits, at most limit, until the consumer group has committed every record the
// raw topic held when called (kafka.WaitCaughtUp): a cycle then reads every quantity accepted
// before it started.
func (m *serveMediation) waitCaughtUp(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return kafka.WaitCaughtUp(ctx, kafka.CatchUpConfig{Brokers: m.brokers, Topic: m.cfg.RawTopic, GroupID: m.cfg.Group})
}
