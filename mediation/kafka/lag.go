package kafka

import (
	"maps"
	"sync"
)

// lagTracker holds, per partition this member owns, how many records are in the partition
// beyond the last handled one: the consumer lag that pipeline counters export.
type lagTracker struct {
	mu  sync.Mutex
	lag map[int]int64
}

func (l *lagTracker) set(partition int, lag int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lag == nil {
		l.lag = map[int]int64{}
	}
	l.lag[partition] = max(lag, 0)
}

func (l *lagTracker) drop(partitions []int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range partitions {
		delete(l.lag, p)
	}
}

func (l *lagTracker) snapshot() map[int]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.lag)
}

// Lag reports, for each partition this Source currently owns and has fetched at least one
// batch of, the number of records not yet handled: the partition's high-water mark as of the
// last fetch, minus the next offset to handle (a fetched batch counts until Handle succeeded for
// it, so a partition stuck retrying a batch shows its backlog). Partitions leave the map when
// they are revoked. Safe to call while Run is running, e.g. from a metrics handler.
func (s *Source) Lag() map[int]int64 {
	out := s.lag.snapshot()
	if out == nil {
		out = map[int]int64{}
	}
	return out
}
