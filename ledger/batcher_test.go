package ledger_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// recorder is a write function that records batches and can be made to block or fail.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
	block   chan struct{} // when non-nil, each write waits for a receive... close to release all
	fail    error
}

func (r *recorder) write(_ context.Context, items []int) error {
	if r.block != nil {
		<-r.block
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.batches = append(r.batches, slices.Clone(items))
	return nil
}

func (r *recorder) all() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, b := range r.batches {
		out = append(out, b...)
	}
	return out
}

func seq(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

func TestBatcherConfigValidate(t *testing.T) {
	for _, cfg := range []ledger.BatcherConfig{
		{Size: 0, Interval: time.Second, MaxPending: 1},
		{Size: 1, Interval: 0, MaxPending: 1},
		{Size: 1, Interval: time.Second, MaxPending: 0},
	} {
		if _, err := ledger.NewBatcher(cfg, (&recorder{}).write); !errors.Is(err, ledger.ErrInvalid) {
			t.Errorf("config %+v: error %v, want ErrInvalid", cfg, err)
		}
	}
}

func TestBatcherFlushesOnSizeInOrder(t *testing.T) {
	r := &recorder{}
	b, err := ledger.NewBatcher(ledger.BatcherConfig{Size: 100, Interval: time.Hour, MaxPending: 2}, r.write)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if err := b.Add(ctx, seq(i*35, 35)...); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := r.all(); !slices.Equal(got, seq(0, 350)) {
		t.Fatalf("written %d items out of order or lost", len(got))
	}
	for i, batch := range r.batches[:3] {
		if len(batch) != 100 {
			t.Errorf("batch %d has %d items, want 100", i, len(batch))
		}
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(ctx, 1); !errors.Is(err, ledger.ErrClosed) {
		t.Errorf("Add after Close: %v, want ErrClosed", err)
	}
}

func TestBatcherFlushesOnInterval(t *testing.T) {
	r := &recorder{}
	const interval = 50 * time.Millisecond
	b, err := ledger.NewBatcher(ledger.BatcherConfig{Size: 1000, Interval: interval, MaxPending: 1}, r.write)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	if err := b.Add(context.Background(), 1, 2, 3); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * interval)
	for len(r.all()) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := r.all(); !slices.Equal(got, []int{1, 2, 3}) {
		t.Fatalf("after %s the partial batch was not written: %v", 20*interval, got)
	}
}

func TestBatcherBackpressure(t *testing.T) {
	r := &recorder{block: make(chan struct{})}
	b, err := ledger.NewBatcher(ledger.BatcherConfig{Size: 1, Interval: time.Hour, MaxPending: 1}, r.write)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Item 1 is taken by the blocked writer, item 2 fills the queue; item 3 must wait.
	if err := b.Add(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := b.Add(ctx, 2); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := b.Add(short, 3); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Add with a full queue returned %v, want it to block until the deadline", err)
	}
	close(r.block)
	if err := b.Add(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := r.all()
	if !slices.Contains(got, 1) || !slices.Contains(got, 2) || !slices.Contains(got, 4) {
		t.Errorf("written %v, want 1, 2 and 4", got)
	}
}

func TestBatcherErrorIsSticky(t *testing.T) {
	boom := errors.New("boom")
	r := &recorder{fail: boom}
	b, err := ledger.NewBatcher(ledger.BatcherConfig{Size: 2, Interval: time.Hour, MaxPending: 1}, r.write)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_ = b.Add(ctx, 1, 2)
	if err := b.Flush(ctx); !errors.Is(err, boom) {
		t.Fatalf("Flush after a failed write: %v, want boom", err)
	}
	r.mu.Lock()
	r.fail = nil
	r.mu.Unlock()
	if err := b.Add(ctx, 3); !errors.Is(err, boom) {
		t.Errorf("Add after a failed write: %v, want the sticky error", err)
	}
	if err := b.Close(ctx); !errors.Is(err, boom) {
		t.Errorf("Close after a failed write: %v, want the sticky error", err)
	}
	if got := r.all(); len(got) != 0 {
		t.Errorf("items after the failure were written: %v", got)
	}
}

func TestBatcherConcurrentAdders(t *testing.T) {
	r := &recorder{}
	b, err := ledger.NewBatcher(ledger.BatcherConfig{Size: 64, Interval: 10 * time.Millisecond, MaxPending: 2}, r.write)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if err := b.Add(ctx, w*1000+i); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if err := b.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got := r.all()
	slices.Sort(got)
	if !slices.Equal(got, seq(0, 4000)) {
		t.Fatalf("got %d items, want each of 4000 exactly once", len(got))
	}
}
