package kafka_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
)

// testLogger is quiet unless KAFKA_TEST_LOG is set: kafka-go is chatty at debug level.
func testLogger() *slog.Logger {
	if os.Getenv("KAFKA_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// sourceConfig is a SourceConfig tuned for fast tests: short heartbeats so rebalances are quick.
func sourceConfig(c *kafkatest.Cluster, topic, group string) kafka.SourceConfig {
	return kafka.SourceConfig{
		Brokers:           c.Brokers(),
		Topic:             topic,
		GroupID:           group,
		BatchSize:         50,
		BatchWait:         5 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond,
		SessionTimeout:    6 * time.Second,
		RebalanceTimeout:  10 * time.Second,
		JoinBackoff:       200 * time.Millisecond,
		RetryInitial:      5 * time.Millisecond,
		RetryMax:          40 * time.Millisecond,
		ShutdownTimeout:   5 * time.Second,
		Logger:            testLogger(),
	}
}

// topicWith creates a topic and fills each partition with perPartition values "p<partition>-<i>".
func topicWith(t testing.TB, c *kafkatest.Cluster, topic string, partitions, perPartition int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.CreateTopic(ctx, topic, partitions); err != nil {
		t.Fatal(err)
	}
	for p := range partitions {
		if err := c.ProducePartition(ctx, topic, p, values(p, 0, perPartition)...); err != nil {
			t.Fatal(err)
		}
	}
}

func values(partition, from, to int) [][]byte {
	out := make([][]byte, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, fmt.Appendf(nil, "p%d-%d", partition, i))
	}
	return out
}

// recorder is a mediation.Handler that remembers every call. fail decides whether a Handle call
// fails; it runs under the lock with the 1-based number of the call.
type recorder struct {
	mu      sync.Mutex
	calls   int
	batches [][]mediation.Message // deep copies, in call order, successful or not
	handled map[int][]mediation.Message
	events  []string // "assigned [0 1]", "revoked [0 1]", "handle 0@5"
	fail    func(call int, batch []mediation.Message) error
	changed chan struct{}
}

func newRecorder() *recorder {
	return &recorder{handled: map[int][]mediation.Message{}, changed: make(chan struct{}, 1)}
}

func (r *recorder) Handle(_ context.Context, batch []mediation.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	cp := make([]mediation.Message, len(batch))
	for i, m := range batch {
		m.Key, m.Value = slices.Clone(m.Key), slices.Clone(m.Value)
		cp[i] = m
	}
	r.batches = append(r.batches, cp)
	r.events = append(r.events, fmt.Sprintf("handle %d@%d", batch[0].Partition, batch[0].Offset))
	if r.fail != nil {
		if err := r.fail(r.calls, cp); err != nil {
			return err
		}
	}
	p := batch[0].Partition
	r.handled[p] = append(r.handled[p], cp...)
	r.notify()
	return nil
}

func (r *recorder) Assigned(_ context.Context, _ string, partitions []int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf("assigned %v", sorted(partitions)))
	r.notify()
	return nil
}

func (r *recorder) Revoked(_ context.Context, _ string, partitions []int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf("revoked %v", sorted(partitions)))
	r.notify()
	return nil
}

func (r *recorder) notify() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// handledCount is how many messages were handled successfully, over all partitions.
func (r *recorder) handledCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ms := range r.handled {
		n += len(ms)
	}
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// running starts src.Run in a goroutine; stop cancels it and returns Run's result.
func running(t testing.TB, src *kafka.Source, h mediation.Handler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, h) }()
	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(30 * time.Second):
				result = fmt.Errorf("Run did not return 30s after cancel")
			}
		})
		return result
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func newSource(t testing.TB, cfg kafka.SourceConfig) *kafka.Source {
	t.Helper()
	src, err := kafka.NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func committed(t testing.TB, c *kafkatest.Cluster, group, topic string, partitions int) map[int]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := c.Committed(ctx, group, topic, partitions)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func sorted(ps []int) []int {
	s := slices.Clone(ps)
	slices.Sort(s)
	return s
}
