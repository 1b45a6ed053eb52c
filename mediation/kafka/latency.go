package kafka

import (
	"sync"
	"time"
)

// latencyBounds are the batch-latency histogram's bucket upper bounds: a healthy batch takes
// milliseconds (BatchWait plus a ledger insert plus a commit); seconds mean a slow ledger or a
// retried batch, a minute a stuck partition.
var latencyBounds = []time.Duration{
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second,
	2500 * time.Millisecond, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute,
}

// LatencySnapshot is a copy of the batch-latency histogram: for each batch, the time from
// FetchMessage returning its first record to the commit of its offsets succeeding, i.e. how long
// usage takes from Kafka to durable and acknowledged.
type LatencySnapshot struct {
	// Bounds are the buckets' upper bounds, ascending; Counts[i] is the number of batches whose
	// latency was at most Bounds[i] (cumulative, as Prometheus histograms are).
	Bounds []time.Duration
	Counts []uint64
	Count  uint64        // batches observed
	Sum    time.Duration // their total latency
}

// latencyHistogram accumulates batch latencies. Safe for concurrent use.
type latencyHistogram struct {
	mu     sync.Mutex
	counts [14]uint64 // per bucket (not cumulative); the last is above every bound
	count  uint64
	sum    time.Duration
}

func (h *latencyHistogram) observe(d time.Duration) {
	i := 0
	for i < len(latencyBounds) && d > latencyBounds[i] {
		i++
	}
	h.mu.Lock()
	h.counts[i]++
	h.count++
	h.sum += d
	h.mu.Unlock()
}

func (h *latencyHistogram) snapshot() LatencySnapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := LatencySnapshot{Bounds: append([]time.Duration(nil), latencyBounds...), Counts: make([]uint64, len(latencyBounds)),
		Count: h.count, Sum: h.sum}
	var cum uint64
	for i := range latencyBounds {
		cum += h.counts[i]
		s.Counts[i] = cum
	}
	return s
}

// BatchLatency returns a copy of the batch-latency histogram since NewSource. Batches that were
// handled but never committed (a commit failure at shutdown; they are redelivered) are not in it.
// Safe to call while Run is running.
func (s *Source) BatchLatency() LatencySnapshot { return s.latency.snapshot() }
