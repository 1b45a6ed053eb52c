package kafka

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	kafkago "github.com/segmentio/kafka-go"
)

// partitionConsumer reads one assigned partition for one generation: fetch a batch, hand it to
// the handler until it succeeds, commit, repeat. It is used by one goroutine only.
type partitionConsumer struct {
	cfg       SourceConfig
	log       *slog.Logger
	commits   *committer
	lag       *lagTracker
	h         mediation.Handler
	partition int
	start     int64 // where the group said to start: a committed offset or FirstOffset

	batch         []mediation.Message // reused between batches; Handle keeps no references
	highWaterMark int64               // of the last message fetched
	fetchedAt     time.Time           // when FetchMessage returned the batch's first record
}

func newPartitionConsumer(s *Source, gen *kafkago.Generation, commits *committer, h mediation.Handler, a kafkago.PartitionAssignment) *partitionConsumer {
	return &partitionConsumer{
		cfg:       s.cfg,
		log:       s.log.With("partition", a.ID, "generation", gen.ID),
		commits:   commits,
		lag:       &s.lag,
		h:         h,
		partition: a.ID,
		start:     a.Offset,
		batch:     make([]mediation.Message, 0, s.cfg.BatchSize),
	}
}

// run consumes until stopCtx ends, finishing the batch in hand. Handle uses workCtx, which
// survives stopCtx for the shutdown grace period. Only handled batches are marked for commit.
func (pc *partitionConsumer) run(stopCtx, workCtx context.Context) {
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:     pc.cfg.Brokers,
		Topic:       pc.cfg.Topic,
		Partition:   pc.partition,
		MinBytes:    1,
		MaxBytes:    pc.cfg.MaxBytes,
		MaxWait:     500 * time.Millisecond, // an idle partition's long poll; bounds Close on shutdown
		Logger:      kafkaLogger(pc.log, slog.LevelDebug),
		ErrorLogger: kafkaLogger(pc.log, slog.LevelWarn),
	})
	defer func() {
		if err := r.Close(); err != nil {
			pc.log.Warn("close partition reader", "err", err)
		}
	}()
	if err := r.SetOffset(pc.start); err != nil {
		pc.log.Error("set start offset; partition not consumed this generation", "offset", pc.start, "err", err)
		return
	}
	pc.log.Debug("consuming partition", "from", pc.start)

	fetchBackoff := pc.cfg.RetryInitial
	for stopCtx.Err() == nil {
		batch, err := pc.fetch(stopCtx, r)
		if len(batch) > 0 {
			fetchBackoff = pc.cfg.RetryInitial
			// The batch in hand counts as lag until it is handled: a partition stuck on a
			// failing batch shows its backlog, not the lag from before the batch.
			pc.lag.set(pc.partition, pc.highWaterMark-batch[0].Offset)
			if !pc.handle(stopCtx, workCtx, batch) {
				break // given up on shutdown or rebalance: not committed, so it is redelivered
			}
			next := batch[len(batch)-1].Offset + 1
			pc.commits.mark(pc.partition, next, pc.fetchedAt)
			pc.lag.set(pc.partition, pc.highWaterMark-next)
		}
		if err != nil && stopCtx.Err() == nil {
			// The reader reconnects by itself; a surfaced error is logged and the fetch retried.
			pc.log.Warn("fetch failed; retrying", "err", err, "retry_in", fetchBackoff)
			if !sleep(stopCtx, fetchBackoff) {
				break
			}
			fetchBackoff = min(2*fetchBackoff, pc.cfg.RetryMax)
		}
	}
}

// fetch returns up to BatchSize messages in offset order: it blocks for the first one until
// stopCtx ends, then waits at most BatchWait for the batch to fill. A partial batch comes back
// with a nil error when the wait ended, or with the fetch error that cut it short.
func (pc *partitionConsumer) fetch(stopCtx context.Context, r *kafkago.Reader) ([]mediation.Message, error) {
	pc.batch = pc.batch[:0]
	m, err := r.FetchMessage(stopCtx)
	if err != nil {
		return nil, fetchErr(err)
	}
	pc.fetchedAt = pc.cfg.Clock()
	pc.add(m)
	waitCtx, cancel := context.WithTimeout(stopCtx, pc.cfg.BatchWait)
	defer cancel()
	for len(pc.batch) < pc.cfg.BatchSize {
		m, err := r.FetchMessage(waitCtx)
		if err != nil {
			if waitCtx.Err() != nil {
				return pc.batch, nil
			}
			return pc.batch, fetchErr(err)
		}
		pc.add(m)
	}
	return pc.batch, nil
}

func (pc *partitionConsumer) add(m kafkago.Message) {
	pc.highWaterMark = m.HighWaterMark
	pc.batch = append(pc.batch, mediation.Message{
		Topic:     m.Topic,
		Partition: m.Partition,
		Offset:    m.Offset,
		Key:       m.Key,
		Value:     m.Value,
		Time:      m.Time,
	})
}

// fetchErr drops cancellation (the normal way a fetch ends) and names the partition otherwise.
func fetchErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	if errors.Is(err, io.EOF) {
		return errors.New("partition reader closed")
	}
	return err
}

// handle calls Handle until it returns nil (true) or stopCtx ends first (false). A failed
// batch is retried as it is — same messages, same order — after a capped exponential backoff:
// skipping it would lose usage, and committing past it would too.
func (pc *partitionConsumer) handle(stopCtx, workCtx context.Context, batch []mediation.Message) bool {
	first, last := batch[0].Offset, batch[len(batch)-1].Offset
	wait := pc.cfg.RetryInitial
	var failingSince time.Time
	for attempt := 1; ; attempt++ {
		err := pc.h.Handle(workCtx, batch)
		if err == nil {
			if attempt > 1 {
				pc.log.Info("batch handled after retries", "first_offset", first, "last_offset", last,
					"attempts", attempt, "failed_for", pc.cfg.Clock().Sub(failingSince))
			}
			return true
		}
		if failingSince.IsZero() {
			failingSince = pc.cfg.Clock()
		}
		if stopCtx.Err() != nil {
			pc.log.Warn("batch failed during shutdown or rebalance; not committed, it will be redelivered",
				"first_offset", first, "last_offset", last, "attempts", attempt, "err", err)
			return false
		}
		pc.log.Warn("handle batch failed; retrying", "first_offset", first, "last_offset", last,
			"attempt", attempt, "retry_in", wait, "failing_for", pc.cfg.Clock().Sub(failingSince), "err", err)
		if !sleep(stopCtx, wait) {
			pc.log.Warn("stopped while retrying a batch; not committed, it will be redelivered",
				"first_offset", first, "last_offset", last, "attempts", attempt)
			return false
		}
		wait = min(2*wait, pc.cfg.RetryMax)
	}
}

// sleep waits d or until ctx ends; it reports whether the full wait elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
