package kafka_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
)

// countingHandler is the no-op handler of the benchmark: it only counts, and signals when the
// expected number of records arrived.
type countingHandler struct {
	n, want int64
	done    chan struct{}
}

func (h *countingHandler) Handle(_ context.Context, batch []mediation.Message) error {
	if atomic.AddInt64(&h.n, int64(len(batch))) == h.want {
		close(h.done)
	}
	return nil
}

func (h *countingHandler) Assigned(context.Context, string, []int) error { return nil }
func (h *countingHandler) Revoked(context.Context, string, []int) error  { return nil }

// BenchmarkSourceConsume measures the Source alone: fetch from the in-process broker over TCP,
// batch, hand to a no-op handler, commit. Each iteration is a fresh group reading the whole
// topic from offset 0, group join included.
func BenchmarkSourceConsume(b *testing.B) {
	for _, bc := range []struct{ records, partitions, batch int }{
		{100_000, 4, 100},
		{1_000_000, 1, 1000},
		{1_000_000, 4, 1000},
	} {
		b.Run(fmt.Sprintf("records=%d/partitions=%d/batch=%d", bc.records, bc.partitions, bc.batch), func(b *testing.B) {
			c := kafkatest.Start(b)
			topic := "bench"
			fillBenchTopic(b, c, topic, bc.partitions, bc.records/bc.partitions)
			b.ReportAllocs()
			b.ResetTimer()
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				cfg := sourceConfig(c, topic, fmt.Sprintf("bench-%d", i))
				cfg.BatchSize = bc.batch
				h := &countingHandler{want: int64(bc.records), done: make(chan struct{})}
				start := time.Now()
				stop := running(b, newSource(b, cfg), h)
				select {
				case <-h.done:
				case <-time.After(5 * time.Minute):
					b.Fatalf("consumed %d of %d records in 5 minutes", atomic.LoadInt64(&h.n), bc.records)
				}
				elapsed += time.Since(start)
				b.StopTimer()
				if err := stop(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(bc.records)*float64(b.N)/elapsed.Seconds(), "records/s")
		})
	}
}

// fillBenchTopic writes perPartition ~100-byte CloudEvents-like records to each partition.
func fillBenchTopic(b *testing.B, c *kafkatest.Cluster, topic string, partitions, perPartition int) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := c.CreateTopic(ctx, topic, partitions); err != nil {
		b.Fatal(err)
	}
	for p := range partitions {
		vals := make([][]byte, perPartition)
		for i := range vals {
			vals[i] = fmt.Appendf(nil, `{"id":"e-%d-%08d","source":"v1","type":"api_calls","subject":"acct-%d","data":{"quantity":1}}`, p, i, i%1000)
		}
		if err := c.ProducePartition(ctx, topic, p, vals...); err != nil {
			b.Fatal(err)
		}
	}
}
