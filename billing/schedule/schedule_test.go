package schedule_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/schedule"
)

// logBuffer is a goroutine-safe log sink for asserting what the scheduler logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewTextHandler(lb, nil)), lb
}

var now = time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return now }

func noop(context.Context, time.Time) error { return nil }

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  schedule.Config
		want string // what the error names; "" = valid
	}{
		{"daily", schedule.Config{Spec: "0 6 * * *", Run: noop}, ""},
		{"descriptor", schedule.Config{Spec: "@daily", Run: noop, Grace: time.Hour}, ""},
		{"time zone prefix", schedule.Config{Spec: "CRON_TZ=UTC 30 5 * * 1-5", Run: noop}, ""},
		{"no spec", schedule.Config{Run: noop}, "spec is required"},
		{"bad minute", schedule.Config{Spec: "61 6 * * *", Run: noop}, `"61 6 * * *"`},
		{"seconds field", schedule.Config{Spec: "0 0 6 * * *", Run: noop}, `"0 0 6 * * *"`},
		{"garbage", schedule.Config{Spec: "daily at six", Run: noop}, `"daily at six"`},
		{"no run", schedule.Config{Spec: "@daily"}, "run is required"},
		{"negative grace", schedule.Config{Spec: "@daily", Run: noop, Grace: -time.Second}, "grace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := schedule.New(tt.cfg)
			if tt.want == "" {
				if err != nil || s == nil {
					t.Fatalf("New = %v", err)
				}
				return
			}
			if !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want ErrInvalid naming %s", err, tt.want)
			}
		})
	}
}

func TestNextUsesTheLocation(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	tests := []struct {
		spec  string
		loc   *time.Location
		after time.Time
		want  time.Time
	}{
		{"0 6 * * *", nil, now, now.Add(24 * time.Hour)},                                                            // UTC by default, strictly after
		{"0 6 * * *", cet, now, time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)},                                        // 06:00 CET = 05:00 UTC
		{"0 6 1 * *", nil, now.Add(-time.Minute), now},                                                              // monthly on the 1st
		{"CRON_TZ=UTC 0 6 * * *", cet, now.Add(-time.Hour), now},                                                    // the spec's zone wins
		{"@daily", cet, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)}, // midnight CET
	}
	for _, tt := range tests {
		s, err := schedule.New(schedule.Config{Spec: tt.spec, Location: tt.loc, Run: noop})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Next(tt.after); !got.Equal(tt.want) {
			t.Errorf("%q in %v after %s: next %s, want %s", tt.spec, tt.loc, tt.after, got.UTC(), tt.want)
		}
	}
}

func TestRunOnceUsesNowMinusGrace(t *testing.T) {
	var got time.Time
	s, err := schedule.New(schedule.Config{Spec: "@daily", Grace: 2 * time.Hour, Now: fixedClock,
		Run: func(_ context.Context, asOf time.Time) error { got = asOf; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := now.Add(-2 * time.Hour); !got.Equal(want) {
		t.Errorf("asOf = %s, want %s", got, want)
	}
}

func TestFailedRunIsLoggedAndRetried(t *testing.T) {
	log, logs := newLogger()
	calls := 0
	boom := errors.New("ledger unavailable")
	s, err := schedule.New(schedule.Config{Spec: "@daily", Now: fixedClock, Logger: log,
		Run: func(context.Context, time.Time) error {
			calls++
			switch calls {
			case 1:
				return boom
			case 2:
				panic("nil map")
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if ran, err := s.Trigger(context.Background()); !ran || !errors.Is(err, boom) {
		t.Fatalf("first trigger: ran %v err %v", ran, err)
	}
	if ran, err := s.Trigger(context.Background()); !ran || err == nil || !strings.Contains(err.Error(), "panic: nil map") {
		t.Fatalf("second trigger: ran %v err %v, want the panic as an error", ran, err)
	}
	if ran, err := s.Trigger(context.Background()); !ran || err != nil {
		t.Fatalf("third trigger: ran %v err %v", ran, err)
	}
	out := logs.String()
	if strings.Count(out, "invoice cycle failed") != 2 || !strings.Contains(out, "ledger unavailable") || strings.Count(out, "invoice cycle done") != 1 {
		t.Errorf("log:\n%s", out)
	}
}

// blocker is a Run that blocks until released and records the largest concurrency it saw.
type blocker struct {
	running, max, runs atomic.Int32
	started            chan struct{}
	release            chan struct{}
}

func newBlocker() *blocker {
	return &blocker{started: make(chan struct{}, 16), release: make(chan struct{})}
}

func (b *blocker) run(ctx context.Context, _ time.Time) error {
	n := b.running.Add(1)
	defer b.running.Add(-1)
	for {
		m := b.max.Load()
		if n <= m || b.max.CompareAndSwap(m, n) {
			break
		}
	}
	b.runs.Add(1)
	b.started <- struct{}{}
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestTriggerIsSkippedWhileACycleRuns(t *testing.T) {
	b := newBlocker()
	log, logs := newLogger()
	s, err := schedule.New(schedule.Config{Spec: "@daily", Run: b.run, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := make(chan error, 1)
	go func() { _, err := s.Trigger(ctx); first <- err }()
	<-b.started
	for i := 0; i < 3; i++ {
		if ran, err := s.Trigger(ctx); ran || err != nil {
			t.Fatalf("overlapping trigger %d: ran %v err %v, want skipped", i, ran, err)
		}
	}
	close(b.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if b.runs.Load() != 1 || b.max.Load() != 1 {
		t.Errorf("runs %d, max concurrency %d; want 1 and 1", b.runs.Load(), b.max.Load())
	}
	if strings.Count(logs.String(), "invoice cycle skipped") != 3 {
		t.Errorf("skips not logged:\n%s", logs.String())
	}
	if ran, err := s.Trigger(ctx); !ran || err != nil {
		t.Errorf("trigger after the cycle ended: ran %v err %v", ran, err)
	}
}

func TestRunOnceWaitsForTheRunningCycle(t *testing.T) {
	b := newBlocker()
	s, err := schedule.New(schedule.Config{Spec: "@daily", Run: b.run})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const n = 4
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() { errs <- s.RunOnce(ctx) }()
	}
	for i := 0; i < n; i++ {
		<-b.started
		select {
		case <-b.started:
			t.Fatal("a second cycle started while one was running")
		case <-time.After(20 * time.Millisecond):
		}
		b.release <- struct{}{}
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if b.runs.Load() != n || b.max.Load() != 1 {
		t.Errorf("runs %d, max concurrency %d; want %d and 1", b.runs.Load(), b.max.Load(), n)
	}

	// A caller that gives up while waiting gets its context's error and runs nothing.
	go func() { _ = s.RunOnce(ctx) }()
	<-b.started
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := s.RunOnce(wctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("RunOnce while waiting past its deadline: %v", err)
	}
	b.release <- struct{}{}
	if b.runs.Load() != n+1 {
		t.Errorf("runs %d, want %d", b.runs.Load(), n+1)
	}
}

// The cron trigger really fires, and Stop waits for the cycle it started.
func TestStartFiresAndStopWaits(t *testing.T) {
	b := newBlocker()
	s, err := schedule.New(schedule.Config{Spec: "@every 1s", Run: b.run})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); !errors.Is(err, billing.ErrConflict) {
		t.Fatalf("second Start: %v, want ErrConflict", err)
	}
	select {
	case <-b.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the trigger did not fire within 5s")
	}
	stopped := make(chan struct{})
	go func() { s.Stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Stop returned while a cycle was running")
	case <-time.After(1500 * time.Millisecond): // long enough for another trigger to be skipped
	}
	close(b.release)
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not return after the cycle ended")
	}
	if b.running.Load() != 0 || b.max.Load() != 1 {
		t.Errorf("after Stop: running %d, max concurrency %d", b.running.Load(), b.max.Load())
	}
	runs := b.runs.Load()
	time.Sleep(1200 * time.Millisecond)
	if b.runs.Load() != runs {
		t.Error("a cycle ran after Stop")
	}
}

// Cancelling Start's context disarms the triggers: a trigger with a cancelled context runs nothing.
func TestTriggerWithCancelledContext(t *testing.T) {
	calls := 0
	s, err := schedule.New(schedule.Config{Spec: "@daily", Run: func(context.Context, time.Time) error { calls++; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if ran, err := s.Trigger(ctx); ran || !errors.Is(err, context.Canceled) || calls != 0 {
		t.Fatalf("ran %v err %v calls %d", ran, err, calls)
	}
}
