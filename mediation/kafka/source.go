package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	kafkago "github.com/segmentio/kafka-go"
)

// Source consumes one topic as a member of a consumer group and implements mediation.Source.
// Each Run call is one member of the group; run several (in one process or many) to share the
// partitions.
type Source struct {
	cfg     SourceConfig
	log     *slog.Logger
	lag     lagTracker
	latency latencyHistogram
}

var _ mediation.Source = (*Source)(nil)

// NewSource validates cfg, fills its defaults and returns a Source ready to Run.
func NewSource(cfg SourceConfig) (*Source, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("kafka source config: %w", err)
	}
	return &Source{
		cfg: cfg,
		log: cfg.Logger.With("component", "kafka-source", "topic", cfg.Topic, "group", cfg.GroupID),
	}, nil
}

// Run joins the group and delivers batches to h until ctx is cancelled (it then drains: the
// in-flight batch of every partition is finished and committed, Revoked is called and the member
// leaves the group, and Run returns nil) or until h.Assigned or h.Revoked fails (Run then
// drains the same way and returns that error: state that cannot be loaded or dropped is not
// something to retry blindly). Handle errors are never fatal: the batch is retried.
func (s *Source) Run(ctx context.Context, h mediation.Handler) error {
	group, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID:                s.cfg.GroupID,
		Brokers:           s.cfg.Brokers,
		Topics:            []string{s.cfg.Topic},
		HeartbeatInterval: s.cfg.HeartbeatInterval,
		SessionTimeout:    s.cfg.SessionTimeout,
		RebalanceTimeout:  s.cfg.RebalanceTimeout,
		JoinGroupBackoff:  s.cfg.JoinBackoff,
		// With no committed offset a partition is read from its start: usage not yet
		// processed must never be skipped.
		StartOffset: kafkago.FirstOffset,
		Logger:      kafkaLogger(s.log, slog.LevelDebug),
		ErrorLogger: kafkaLogger(s.log, slog.LevelWarn),
	})
	if err != nil {
		return fmt.Errorf("kafka source %s: join group %s: %w", s.cfg.Topic, s.cfg.GroupID, err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var fatal fatalError
	// Closing the group ends the current generation (its goroutines drain and commit) and then
	// leaves the group. Close blocks until that happened, so it runs beside Run's loop.
	stopClose := context.AfterFunc(runCtx, func() { _ = group.Close() })
	defer stopClose()

	for {
		gen, err := group.Next(runCtx)
		if err != nil {
			if runCtx.Err() != nil || errors.Is(err, kafkago.ErrGroupClosed) {
				break
			}
			// Join and sync failures are retried by the group itself (with its own backoff).
			s.log.Warn("consumer group generation failed; rejoining", "err", err)
			continue
		}
		parts := partitionsOf(gen.Assignments[s.cfg.Topic])
		s.log.Info("joined generation", "generation", gen.ID, "member", gen.MemberID, "partitions", parts)
		gen.Start(func(genCtx context.Context) {
			if err := s.runGeneration(runCtx, genCtx, gen, h); err != nil {
				fatal.set(err)
				cancel()
			}
			if runCtx.Err() != nil {
				// Shutdown: return only once the group has ended the generation, so kafka-go
				// leaves the group instead of first joining a new generation.
				<-genCtx.Done()
			}
		})
	}
	cancel()
	// Close is idempotent; this call waits for the last generation to drain and the leave.
	_ = group.Close()
	return fatal.get()
}

// runGeneration owns the partitions of one generation: Assigned, one consumer per partition,
// and after the last of them returned, Revoked. It returns only a fatal error.
func (s *Source) runGeneration(runCtx, genCtx context.Context, gen *kafkago.Generation, h mediation.Handler) error {
	if genCtx.Err() != nil {
		return nil // the generation ended before it started: nothing was assigned yet
	}
	assignments := gen.Assignments[s.cfg.Topic]

	// stopCtx ends fetching: on shutdown or when the generation ends (a rebalance).
	stopCtx, stop := context.WithCancel(runCtx)
	defer stop()
	stopGen := context.AfterFunc(genCtx, stop)
	defer stopGen()
	// workCtx is what Handle, the commits and the callbacks see: it outlives stopCtx by at
	// most ShutdownTimeout, so an in-flight batch can finish and be committed.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(runCtx))
	defer cancelWork()
	stopDeadline := context.AfterFunc(stopCtx, func() {
		t := time.AfterFunc(s.cfg.ShutdownTimeout, cancelWork)
		context.AfterFunc(workCtx, func() { t.Stop() })
	})
	defer stopDeadline()

	if len(assignments) == 0 {
		// More members than partitions: idle until the generation or the run ends.
		<-stopCtx.Done()
		return nil
	}
	return s.consumeAssigned(stopCtx, workCtx, gen, h, assignments)
}

// consumeAssigned runs Assigned, the partition consumers until stopCtx ends, then Revoked.
func (s *Source) consumeAssigned(stopCtx, workCtx context.Context, gen *kafkago.Generation, h mediation.Handler, assignments []kafkago.PartitionAssignment) error {
	parts := partitionsOf(assignments)
	if err := h.Assigned(workCtx, s.cfg.Topic, parts); err != nil {
		return fmt.Errorf("kafka source %s: assign partitions %v in generation %d: %w", s.cfg.Topic, parts, gen.ID, err)
	}
	commits := newCommitter(s.cfg.Topic, gen, s.log.With("generation", gen.ID), s.cfg.Clock, &s.latency)
	commitCtx, stopCommits := context.WithCancel(workCtx)
	committerDone := make(chan struct{})
	go func() {
		defer close(committerDone)
		commits.run(commitCtx)
	}()
	var wg sync.WaitGroup
	for _, a := range assignments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			newPartitionConsumer(s, gen, commits, h, a).run(stopCtx, workCtx)
		}()
	}
	wg.Wait()
	stopCommits()
	<-committerDone
	// Every handled batch is committed (or the failure logged) before Revoked, so the next
	// owner starts after it.
	commits.flush()
	s.lag.drop(parts)
	if err := h.Revoked(workCtx, s.cfg.Topic, parts); err != nil {
		return fmt.Errorf("kafka source %s: revoke partitions %v in generation %d: %w", s.cfg.Topic, parts, gen.ID, err)
	}
	s.log.Info("revoked partitions", "generation", gen.ID, "partitions", parts)
	return nil
}

// partitionsOf lists the partition ids of assignments, in assignment order.
func partitionsOf(assignments []kafkago.PartitionAssignment) []int {
	parts := make([]int, len(assignments))
	for i, a := range assignments {
		parts[i] = a.ID
	}
	return parts
}

// fatalError keeps the first fatal error of any generation goroutine.
type fatalError struct {
	mu  sync.Mutex
	err error
}

func (f *fatalError) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *fatalError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// kafkaLogger bridges kafka-go's Printf logger to slog at a fixed level.
func kafkaLogger(l *slog.Logger, level slog.Level) kafkago.Logger {
	return kafkago.LoggerFunc(func(msg string, args ...any) {
		if l.Enabled(context.Background(), level) {
			l.Log(context.Background(), level, fmt.Sprintf(msg, args...))
		}
	})
}
