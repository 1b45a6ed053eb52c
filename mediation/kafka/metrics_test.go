package kafka_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
)

// holding is a Handler that blocks its second batch until release is closed, so the test can
// look at the lag while a partition is behind, and at the latency of a batch held for a while.
type holding struct {
	*recorder
	calls   int
	held    chan struct{}
	release chan struct{}
}

func (h *holding) Handle(ctx context.Context, batch []mediation.Message) error {
	h.calls++ // one partition: Handle is never called concurrently
	if h.calls == 2 {
		close(h.held)
		<-h.release
	}
	return h.recorder.Handle(ctx, batch)
}

// TestSourceLagAndLatencyMetrics: while the second batch is held, the lag is the records after
// the first batch's end (the held batch is still to do); once everything is handled it is 0.
// Every committed batch is observed once in the latency histogram, and the held batch lands
// above the buckets that are shorter than its hold.
func TestSourceLagAndLatencyMetrics(t *testing.T) {
	const n, batchSize, hold = 100, 10, 300 * time.Millisecond
	c := kafkatest.Start(t)
	topic, group := "metrics", "g-metrics"
	topicWith(t, c, topic, 1, n)
	cfg := sourceConfig(c, topic, group)
	cfg.BatchSize = batchSize
	h := &holding{recorder: newRecorder(), held: make(chan struct{}), release: make(chan struct{})}
	src := newSource(t, cfg)
	stop := running(t, src, h)

	select {
	case <-h.held:
	case <-time.After(30 * time.Second):
		t.Fatal("the second batch never came")
	}
	first := len(h.recorder.handled[0])
	// The held batch was fetched (lag counted from its first offset) after the first batch was
	// committed or while it was; either way the lag is everything after the first batch.
	waitFor(t, "the first batch's latency observed", 10*time.Second, func() bool { return src.BatchLatency().Count == 1 })
	if lag := src.Lag()[0]; lag != int64(n-first) {
		t.Errorf("lag while the second batch is held = %d, want %d (%d records, first batch %d)", lag, n-first, n, first)
	}
	var held strings.Builder
	if err := src.WritePrometheus(&held); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("cascade_mediation_consumer_lag{topic=%q,partition=\"0\"} %d\n", topic, n-first); !strings.Contains(held.String(), want) {
		t.Errorf("exposition while held lacks %q:\n%s", want, held.String())
	}
	time.Sleep(hold)
	close(h.release)

	waitFor(t, "every record committed", 30*time.Second, func() bool { return committed(t, c, group, topic, 1)[0] == n })
	waitFor(t, "lag 0", 10*time.Second, func() bool { return src.Lag()[0] == 0 })
	batches := uint64(len(h.recorder.batches))
	waitFor(t, "every batch's latency observed", 10*time.Second, func() bool { return src.BatchLatency().Count == batches })
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	lat := src.BatchLatency()
	if lat.Count != batches || lat.Sum < hold {
		t.Errorf("latency: %d batches summing to %s, want %d batches (as handled) summing to at least the hold %s", lat.Count, lat.Sum, batches, hold)
	}
	for i, le := range lat.Bounds {
		if i > 0 && lat.Counts[i] < lat.Counts[i-1] {
			t.Errorf("bucket %s holds %d, fewer than the bucket below it (%d): not cumulative", le, lat.Counts[i], lat.Counts[i-1])
		}
		if le < hold && lat.Counts[i] >= lat.Count {
			t.Errorf("bucket ≤ %s holds all %d batches, but one was held %s", le, lat.Count, hold)
		}
	}

	var b strings.Builder
	if err := src.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"# TYPE cascade_mediation_consumer_lag gauge\n",
		"# TYPE cascade_mediation_batch_latency_seconds histogram\n",
		fmt.Sprintf("cascade_mediation_batch_latency_seconds_count{topic=%q} %d\n", topic, batches),
		fmt.Sprintf("cascade_mediation_batch_latency_seconds_bucket{topic=%q,le=\"+Inf\"} %d\n", topic, batches),
		fmt.Sprintf("cascade_mediation_batch_latency_seconds_bucket{topic=%q,le=\"0.1\"} %d\n", topic, lat.Counts[4]),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("exposition lacks %q:\n%s", want, out)
		}
	}
	// After the shutdown the partition is revoked: no lag series for a partition not owned.
	if strings.Contains(out, "cascade_mediation_consumer_lag{") {
		t.Errorf("lag series after the partitions were revoked:\n%s", out)
	}
}
