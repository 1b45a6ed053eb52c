package clickhouse

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a flush that records every INSERT's parts, optionally slow or failing.
type recorder struct {
	mu      sync.Mutex
	inserts [][]int // rows of each INSERT, flattened
	delay   time.Duration
	fail    func(rows []int) error
	active  atomic.Int32
	overlap atomic.Bool
}

func (r *recorder) flush(_ context.Context, parts [][]int) error {
	if r.active.Add(1) > 1 {
		r.overlap.Store(true)
	}
	defer r.active.Add(-1)
	time.Sleep(r.delay)
	var rows []int
	for _, p := range parts {
		rows = append(rows, p...)
	}
	if r.fail != nil {
		if err := r.fail(rows); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.inserts = append(r.inserts, rows)
	r.mu.Unlock()
	return nil
}

// TestGroupCommitWritesEveryRowOnceInFewerInserts: 64 writers at once; every row arrives in
// exactly one INSERT, INSERTs never overlap, no INSERT passes max unless one writer alone does,
// and writers that arrived together share INSERTs.
func TestGroupCommitWritesEveryRowOnceInFewerInserts(t *testing.T) {
	rec := &recorder{delay: 2 * time.Millisecond}
	g := &group[int]{max: 50, flush: rec.flush}
	const writers, per = 64, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := make([]int, per)
			for i := range rows {
				rows[i] = w*per + i
			}
			if err := g.write(context.Background(), rows); err != nil {
				t.Errorf("writer %d: %v", w, err)
			}
		}()
	}
	wg.Wait()
	seen := map[int]int{}
	for _, ins := range rec.inserts {
		if len(ins) > 50 {
			t.Errorf("an INSERT of %d rows, max 50", len(ins))
		}
		for _, v := range ins {
			seen[v]++
		}
	}
	for v := range writers * per {
		if seen[v] != 1 {
			t.Fatalf("row %d written %d times", v, seen[v])
		}
	}
	if rec.overlap.Load() {
		t.Error("two INSERTs ran at once")
	}
	if len(rec.inserts) >= writers {
		t.Errorf("%d INSERTs for %d writers: nothing was grouped", len(rec.inserts), writers)
	}
	if g.leading || len(g.queue) != 0 {
		t.Errorf("after the last writer: leading=%v, %d queued", g.leading, len(g.queue))
	}
}

// TestGroupCommitFailureReachesEveryWriterInTheInsert: a failed INSERT fails exactly the
// writers whose rows it carried; later writers are not affected.
func TestGroupCommitFailureReachesEveryWriterInTheInsert(t *testing.T) {
	boom := errors.New("server gone")
	rec := &recorder{delay: 5 * time.Millisecond, fail: func(rows []int) error {
		for _, v := range rows {
			if v == 13 {
				return boom
			}
		}
		return nil
	}}
	g := &group[int]{max: 1000, flush: rec.flush}
	errs := make([]error, 30)
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = g.write(context.Background(), []int{w})
		}()
	}
	wg.Wait()
	stored := map[int]bool{}
	for _, ins := range rec.inserts {
		for _, v := range ins {
			stored[v] = true
		}
	}
	for w, err := range errs {
		switch {
		case err == nil && !stored[w]:
			t.Errorf("writer %d: nil error but its row was never stored", w)
		case err != nil && !errors.Is(err, boom):
			t.Errorf("writer %d: %v, want the INSERT's error", w, err)
		case err != nil && stored[w]:
			t.Errorf("writer %d: error although its row was stored", w)
		}
	}
	if errs[13] == nil {
		t.Error("the writer of the failing row got no error")
	}
}

// TestGroupCommitQueuedWriterMayGiveUp: a writer still queued when its context ends returns
// the context's error and its rows are never sent; the group keeps working.
func TestGroupCommitQueuedWriterMayGiveUp(t *testing.T) {
	release := make(chan struct{})
	var sent sync.Map
	g := &group[int]{max: 100, flush: func(_ context.Context, parts [][]int) error {
		for _, p := range parts {
			for _, v := range p {
				sent.Store(v, true)
				if v == 1 {
					<-release // the first INSERT hangs until the queued writer gave up
				}
			}
		}
		return nil
	}}
	first := make(chan error)
	go func() { first <- g.write(context.Background(), []int{1}) }()
	for g.queueLen() != 0 || !g.isLeading() {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error)
	go func() { second <- g.write(ctx, []int{2}) }()
	for g.queueLen() != 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("queued writer: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, ok := sent.Load(2); ok {
		t.Error("the rows of a writer that gave up were sent")
	}
	if err := g.write(context.Background(), []int{3}); err != nil {
		t.Fatalf("a later writer: %v", err)
	}
	if _, ok := sent.Load(3); !ok {
		t.Error("a later writer's rows were not sent")
	}
}

func (g *group[T]) queueLen() int { g.mu.Lock(); defer g.mu.Unlock(); return len(g.queue) }

func (g *group[T]) isLeading() bool { g.mu.Lock(); defer g.mu.Unlock(); return g.leading }
