package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A follower's billing state lags the writer's: it reloads from the ledger every follow
// interval. Usage for a subscription the writer created a moment ago would then be rejected as
// unknown_subject by a follower — at the edge (POST /v1/usage) or in its share of the
// partitions. So a lookup that misses on a follower asks for a reload at once and looks again
// (catchUp). To keep a stream of genuinely unknown subjects from turning that into constant
// reloading, a miss reloads only if the last reload started at least catchUpGap ago and at
// least catchUpDuty times its own duration ago: reloading takes at most a fifth of the time.
const (
	catchUpGap     = time.Second
	catchUpDuty    = 5
	catchUpTimeout = 10 * time.Second
)

// followerReloads serializes a follower's reloads and remembers when the last one ran.
type followerReloads struct {
	mu      sync.Mutex
	started time.Time     // wall clock: when the last reload started (the service's clock may be a test's)
	took    time.Duration // how long it took
	done    atomic.Uint64 // reloads that succeeded: a lookup reads it before it looks
}

// followLoop reloads billing every follow interval while this instance is not the writer.
func (w *writerLease) followLoop(ctx context.Context) {
	if w.follow <= 0 {
		return
	}
	t := time.NewTicker(w.follow)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if w.isWriter() {
			continue
		}
		w.reloads.mu.Lock()
		err := w.reload(ctx)
		w.reloads.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			w.log.Warn("follower: reloading billing from the ledger failed; retried at the next interval", "err", err)
		}
	}
}

// reload refreshes billing from the ledger; the caller holds w.reloads.mu.
func (w *writerLease) reload(ctx context.Context) error {
	start := time.Now()
	err := w.svc.Refresh(ctx)
	w.reloads.started, w.reloads.took = start, time.Since(start)
	if err == nil {
		w.reloads.done.Add(1)
	}
	return err
}

// reloadsDone is the number of successful reloads so far; a lookup reads it before it looks,
// and passes it to catchUp if it misses. Zero on the writer and without an election.
func (w *writerLease) reloadsDone() uint64 {
	if w == nil {
		return 0
	}
	return w.reloads.done.Load()
}

// catchUp is called after a lookup missed, with reloadsDone as it was before the lookup. On a
// follower it reloads billing unless a reload finished since (then the state is already
// newer) or the last one is too recent (catchUpGap, catchUpDuty), and reports whether looking
// again can find something new. The writer's state is the ledger's: it never reloads for a miss.
func (w *writerLease) catchUp(before uint64) bool {
	if w == nil || w.isWriter() {
		return false
	}
	w.reloads.mu.Lock()
	defer w.reloads.mu.Unlock()
	if w.reloads.done.Load() != before {
		return true
	}
	if since := time.Since(w.reloads.started); since < max(catchUpGap, catchUpDuty*w.reloads.took) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), catchUpTimeout)
	defer cancel()
	if err := w.reload(ctx); err != nil {
		w.log.Warn("follower: reloading billing for an unknown subject failed; its record is rejected", "err", err)
		return false
	}
	w.log.Debug("follower: reloaded billing for an unknown subject", "took", w.reloads.took)
	return true
}
