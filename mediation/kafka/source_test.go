package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
)

func TestSourceDeliversInOffsetOrderAndCommitsOnShutdown(t *testing.T) {
	tests := []struct {
		name                   string
		partitions, perPartion int
		batchSize              int
	}{
		{"one partition, batches of 1", 1, 40, 1},
		{"three partitions, batches of 7", 3, 200, 7},
		{"four partitions, batches of 500", 4, 1500, 500},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := kafkatest.Start(t)
			topic, group := fmt.Sprintf("order-%d", i), fmt.Sprintf("g-order-%d", i)
			topicWith(t, c, topic, tt.partitions, tt.perPartion)
			cfg := sourceConfig(c, topic, group)
			cfg.BatchSize = tt.batchSize
			rec := newRecorder()
			src := newSource(t, cfg)
			stop := running(t, src, rec)

			total := tt.partitions * tt.perPartion
			waitFor(t, "every message handled", 30*time.Second, func() bool { return rec.handledCount() >= total })
			// Lag is updated right after Handle returns, so it may trail the count briefly.
			waitFor(t, "Lag 0 on every partition", 10*time.Second, func() bool {
				lag := src.Lag()
				for p := range tt.partitions {
					if l, ok := lag[p]; !ok || l != 0 {
						return false
					}
				}
				return len(lag) == tt.partitions
			})
			if err := stop(); err != nil {
				t.Fatalf("Run after graceful shutdown = %v, want nil", err)
			}

			for p := range tt.partitions {
				got := rec.handled[p]
				if len(got) != tt.perPartion {
					t.Fatalf("partition %d: handled %d messages, want %d", p, len(got), tt.perPartion)
				}
				want := values(p, 0, tt.perPartion)
				for j, m := range got {
					if m.Offset != int64(j) || string(m.Value) != string(want[j]) || m.Partition != p || m.Topic != topic {
						t.Fatalf("partition %d message %d = %s/%d@%d %q, want %s/%d@%d %q",
							p, j, m.Topic, m.Partition, m.Offset, m.Value, topic, p, j, want[j])
					}
				}
			}
			for _, b := range rec.batches {
				if len(b) > tt.batchSize {
					t.Errorf("batch of %d messages, above BatchSize %d", len(b), tt.batchSize)
				}
			}
			for p, off := range committed(t, c, group, topic, tt.partitions) {
				if off != int64(tt.perPartion) {
					t.Errorf("partition %d committed offset %d, want %d", p, off, tt.perPartion)
				}
			}
		})
	}
}

func TestSourceCommitsOnlyAfterHandleSucceeded(t *testing.T) {
	tests := []struct {
		name  string
		fails int // Handle fails this many first calls
	}{
		{"no failure", 0},
		{"one failure", 1},
		{"four failures", 4},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := kafkatest.Start(t)
			topic, group := fmt.Sprintf("retry-%d", i), fmt.Sprintf("g-retry-%d", i)
			const n = 30
			topicWith(t, c, topic, 1, n)
			cfg := sourceConfig(c, topic, group)
			cfg.BatchSize = n // one batch: everything arrives before the source starts
			cfg.BatchWait = 200 * time.Millisecond

			var seenDuringFailures []int64
			rec := newRecorder()
			rec.fail = func(call int, _ []mediation.Message) error {
				if call > tt.fails {
					return nil
				}
				// Nothing may be committed while the batch keeps failing.
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				got, err := c.Committed(ctx, group, topic, 1)
				if err != nil {
					return fmt.Errorf("read committed offsets: %w", err) // fails the count check below
				}
				seenDuringFailures = append(seenDuringFailures, got[0])
				return errors.New("ledger unavailable")
			}
			stop := running(t, newSource(t, cfg), rec)
			waitFor(t, "the batch handled", 30*time.Second, func() bool { return rec.handledCount() >= n })
			waitFor(t, "the batch committed", 10*time.Second, func() bool { return committed(t, c, group, topic, 1)[0] == n })
			if err := stop(); err != nil {
				t.Fatal(err)
			}

			if len(seenDuringFailures) != tt.fails {
				t.Fatalf("saw %d failing calls, want %d", len(seenDuringFailures), tt.fails)
			}
			for k, off := range seenDuringFailures {
				if off != -1 {
					t.Errorf("failing call %d: committed offset %d, want none (-1)", k+1, off)
				}
			}
			// Every attempt carried the same batch: the failed one is redelivered, not skipped.
			if len(rec.batches) < tt.fails+1 {
				t.Fatalf("%d Handle calls, want at least %d", len(rec.batches), tt.fails+1)
			}
			first := offsets(rec.batches[0])
			for k := 1; k <= tt.fails; k++ {
				if got := offsets(rec.batches[k]); !slices.Equal(got, first) {
					t.Errorf("attempt %d carried offsets %v, want the failed batch %v", k+1, got, first)
				}
			}
			if got := len(rec.handled[0]); got != n {
				t.Errorf("handled %d messages, want %d exactly once", got, n)
			}
		})
	}
}

func TestSourceRestartRedeliversOnlyUncommitted(t *testing.T) {
	c := kafkatest.Start(t)
	const topic, group, n, cut = "restart", "g-restart", 40, 23
	topicWith(t, c, topic, 1, n)
	cfg := sourceConfig(c, topic, group)
	cfg.BatchSize = 5

	// First run: every batch reaching offset `cut` fails, so the source stalls before it and
	// shuts down with that batch uncommitted.
	first := newRecorder()
	first.fail = func(_ int, b []mediation.Message) error {
		if b[len(b)-1].Offset >= cut {
			return errors.New("crash before the ledger write")
		}
		return nil
	}
	src := newSource(t, cfg)
	stop := running(t, src, first)
	waitFor(t, "the first run stuck on a failing batch", 30*time.Second, func() bool {
		first.mu.Lock()
		defer first.mu.Unlock()
		return len(first.batches) > 0 && first.batches[len(first.batches)-1][len(first.batches[len(first.batches)-1])-1].Offset >= cut
	})
	first.mu.Lock()
	stuckAt := int64(len(first.handled[0])) // the next offset to handle
	first.mu.Unlock()
	if got := src.Lag(); got[0] != n-stuckAt || len(got) != 1 {
		t.Errorf("Lag while stuck at offset %d = %v, want map[0:%d]", stuckAt, got, n-stuckAt)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := src.Lag(); len(got) != 0 {
		t.Errorf("Lag after shutdown = %v, want empty: the partition was revoked", got)
	}
	commit := committed(t, c, group, topic, 1)[0]
	handled := offsets(first.handled[0])
	if commit <= 0 || commit > cut {
		t.Fatalf("committed %d after the first run, want in (0, %d]", commit, cut)
	}
	if want := seq(0, commit); !slices.Equal(handled, want) {
		t.Fatalf("first run handled %v, want exactly the committed offsets %v", handled, want)
	}

	// Second run: starts exactly at the commit; nothing committed comes back, nothing is lost.
	second := newRecorder()
	stop = running(t, newSource(t, cfg), second)
	waitFor(t, "the rest handled", 30*time.Second, func() bool { return second.handledCount() >= int(n-commit) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got, want := offsets(second.handled[0]), seq(commit, n); !slices.Equal(got, want) {
		t.Fatalf("second run handled %v, want %v", got, want)
	}
	if got := committed(t, c, group, topic, 1)[0]; got != n {
		t.Errorf("committed %d after the second run, want %d", got, n)
	}
}

func TestSourceShutdownFinishesInFlightBatch(t *testing.T) {
	c := kafkatest.Start(t)
	const topic, group, n = "drain", "g-drain", 10
	topicWith(t, c, topic, 1, n)
	cfg := sourceConfig(c, topic, group)
	cfg.BatchSize = n
	cfg.BatchWait = 200 * time.Millisecond

	inHandle, release := make(chan struct{}), make(chan struct{})
	rec := newRecorder()
	h := blockingHandler{recorder: rec, inHandle: inHandle, release: release}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- newSource(t, cfg).Run(ctx, h) }()

	select {
	case <-inHandle:
	case <-time.After(30 * time.Second):
		t.Fatal("no batch delivered")
	}
	cancel() // shutdown while the batch is in flight
	time.Sleep(50 * time.Millisecond)
	if got := committed(t, c, group, topic, 1)[0]; got != -1 {
		t.Fatalf("committed %d while the batch was still in Handle, want -1", got)
	}
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil after a graceful shutdown", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after shutdown")
	}
	if got := committed(t, c, group, topic, 1)[0]; got != n {
		t.Errorf("committed %d after shutdown, want the in-flight batch's end %d", got, n)
	}
	events := strings.Join(rec.events, "; ")
	if want := "assigned [0]; handle 0@0; revoked [0]"; events != want {
		t.Errorf("events %q, want %q", events, want)
	}
}

// blockingHandler blocks its first Handle until release is closed, ignoring ctx: it stands for
// a ledger write that is already under way when shutdown begins.
type blockingHandler struct {
	*recorder
	inHandle chan struct{}
	release  chan struct{}
}

func (b blockingHandler) Handle(ctx context.Context, batch []mediation.Message) error {
	select {
	case <-b.inHandle:
	default:
		close(b.inHandle)
		<-b.release
	}
	return b.recorder.Handle(ctx, batch)
}

func offsets(ms []mediation.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Offset
	}
	return out
}

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// failingAssign is a handler whose state cannot be loaded: the Source must stop, not consume.
type failingAssign struct{ *recorder }

func (f failingAssign) Assigned(context.Context, string, []int) error {
	return errors.New("ledger unreachable: running totals not loaded")
}

func TestSourceStopsWhenAssignedFails(t *testing.T) {
	c := kafkatest.Start(t)
	const topic, group = "assign-fails", "g-assign-fails"
	topicWith(t, c, topic, 2, 10)
	rec := newRecorder()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := newSource(t, sourceConfig(c, topic, group)).Run(ctx, failingAssign{rec})
	if err == nil || !strings.Contains(err.Error(), "running totals not loaded") || !strings.Contains(err.Error(), "assign partitions") {
		t.Fatalf("Run = %v, want the Assigned error with context", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Run returned only at the test deadline")
	}
	if n := rec.handledCount(); n != 0 {
		t.Errorf("%d messages handled without their partition's state", n)
	}
	for p, off := range committed(t, c, group, topic, 2) {
		if off != -1 {
			t.Errorf("partition %d committed %d, want nothing", p, off)
		}
	}
}
