package mediation

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// Pipeline is the mediation Handler: for each batch it runs decode → validate → normalize →
// dedup → enrich → rate and hands everything to the Sink in one Write. State (dedup ids,
// running totals, reused buffers) is per partition, loaded on Assigned and dropped on Revoked.
//
// Batches of different partitions may be handled concurrently; batches of one partition are
// handled one at a time, as the Source contract promises.
type Pipeline struct {
	cfg      Config
	stages   atomic.Pointer[stages] // swapped by SetCatalog (pipeline_catalog.go); loaded once per batch
	counters Counters

	mu    sync.RWMutex
	parts map[partKey]*partition
}

type partKey struct {
	topic     string
	partition int
}

// partition is one owned partition's state and buffers.
type partition struct {
	mu     sync.Mutex
	dec    Decoder
	seen   *DedupSet
	added  []ID // ids added by the current batch, undone if its write fails
	totals *Totals
	recs   []Record
	ids    []ID            // per message: its usage id, zero when rejected before dedup
	meters []*rating.Meter // per message: its meter, once validated
	errs   []error         // per message: why a stateless stage refused it
	idsOf  usageIDs
	batch  Batch
}

var _ Handler = (*Pipeline)(nil)

// New returns a Pipeline.
func New(cfg Config) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p := &Pipeline{cfg: cfg, parts: map[partKey]*partition{}}
	sg, err := newStages(&p.cfg, cfg.Catalog)
	if err != nil {
		return nil, err
	}
	p.stages.Store(sg)
	return p, nil
}

// Counters returns the pipeline's counters.
func (p *Pipeline) Counters() *Counters { return &p.counters }

// Assigned loads the dedup ids and running totals of each partition from the loaders.
func (p *Pipeline) Assigned(ctx context.Context, topic string, partitions []int) error {
	since := p.cfg.Now().Add(-p.cfg.DedupWindow)
	for _, n := range partitions {
		st := &partition{seen: NewDedupSet(p.cfg.DedupWindow, p.cfg.DedupBucket), totals: NewTotals()}
		st.batch.Topic, st.batch.Partition = topic, n
		if p.cfg.Seen != nil {
			if err := p.cfg.Seen.LoadSeen(ctx, topic, n, since, func(id ID, at time.Time) { st.seen.Add(id, at) }); err != nil {
				return fmt.Errorf("assign %s/%d: load dedup ids: %w", topic, n, err)
			}
		}
		if p.cfg.Totals != nil {
			if err := p.cfg.Totals.LoadTotals(ctx, topic, n, since, func(k TotalKey, v decimal.Decimal) { st.totals.Set(k, v) }); err != nil {
				return fmt.Errorf("assign %s/%d: load running totals: %w", topic, n, err)
			}
		}
		p.mu.Lock()
		p.parts[partKey{topic, n}] = st
		p.mu.Unlock()
		p.cfg.Logger.Info("mediation partition assigned", "topic", topic, "partition", n,
			"dedup_ids", st.seen.Len(), "running_totals", st.totals.Len())
	}
	return nil
}

// Revoked drops the partitions' state; another instance now owns them.
func (p *Pipeline) Revoked(_ context.Context, topic string, partitions []int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range partitions {
		delete(p.parts, partKey{topic, n})
	}
	p.cfg.Logger.Info("mediation partitions revoked", "topic", topic, "partitions", partitions)
	return nil
}

// Handle processes one partition's batch; see Handler. It returns nil only when the Sink
// made the batch durable; otherwise the batch leaves no trace in the state, so the redelivery
// is handled exactly as the first delivery was.
func (p *Pipeline) Handle(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	topic, n := msgs[0].Topic, msgs[0].Partition
	for i := range msgs {
		if msgs[i].Topic != topic || msgs[i].Partition != n {
			return fmt.Errorf("handle %s/%d: message %d is from %s/%d: a batch must hold one partition's messages",
				topic, n, i, msgs[i].Topic, msgs[i].Partition)
		}
	}
	p.mu.RLock()
	st := p.parts[partKey{topic, n}]
	p.mu.RUnlock()
	if st == nil {
		return fmt.Errorf("handle %s/%d: partition not assigned (Assigned must load its state first)", topic, n)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	now := p.cfg.Now()
	st.seen.Expire(now)
	p.process(st, p.stages.Load(), msgs, now)
	// The rejects point at the messages' bytes, which the Handler contract forbids keeping.
	defer func() {
		clear(st.batch.Rejected)
		st.batch.Rejected = st.batch.Rejected[:0]
	}()
	if err := p.cfg.Sink.Write(ctx, &st.batch); err != nil {
		for i := len(st.added) - 1; i >= 0; i-- {
			st.seen.Remove(st.added[i])
		}
		st.totals.rollback(0)
		p.counters.failed.Add(1)
		return fmt.Errorf("handle %s/%d offsets %d..%d: sink write: %w", topic, n, msgs[0].Offset, msgs[len(msgs)-1].Offset, err)
	}
	st.totals.commit()
	p.counters.add(&st.batch)
	return nil
}
