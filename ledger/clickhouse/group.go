package clickhouse

import (
	"context"
	"sync"
)

// group is a group commit for one table: concurrent writers' rows go to the server in one
// INSERT instead of one each. The server's cost is mostly per INSERT (measured on 18.16: about
// 2.4 s of server CPU per million usage rows in 20,000-row INSERTs, 0.96 s in 100,000-row ones),
// and mediation writes each partition's batch separately, so merging what the partitions
// write at the same moment is what keeps the server's share small.
//
// No writer waits for a timer: the first writer leads and sends its rows at once; writers that
// arrive while an INSERT is in flight queue up and go together in the next one. Every writer
// returns only after the INSERT holding its rows answered, with that INSERT's error, so a nil
// error still means durable. Leadership passes to the oldest queued writer after each INSERT,
// so no writer serves others indefinitely.
type group[T any] struct {
	max   int                                          // rows per INSERT at most, unless one writer has more
	flush func(ctx context.Context, parts [][]T) error // one INSERT of every part's rows

	mu      sync.Mutex
	queue   []*groupWrite[T]
	leading bool
	heir    *groupWrite[T] // the queued writer leadership was handed to, until it takes it
}

// groupWrite is one writer's rows and where it hears back.
type groupWrite[T any] struct {
	rows []T
	done chan groupResult // buffered: the leader never blocks on it
}

// groupResult is either the outcome of the INSERT that held the rows or, with lead set, the
// hand-over of leadership to a writer whose rows are still queued.
type groupResult struct {
	err  error
	lead bool
}

// write sends rows in an INSERT, with other writers' rows when they arrive together, and
// returns when that INSERT answered. ctx bounds only the wait of a writer still queued: once
// its rows are in an INSERT it waits for the answer (bounded by the store's ReadTimeout), since
// the INSERT also carries other writers' rows.
func (g *group[T]) write(ctx context.Context, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	w := &groupWrite[T]{rows: rows, done: make(chan groupResult, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	if !g.leading {
		g.leading = true
		g.mu.Unlock()
		return g.lead(ctx, w)
	}
	g.mu.Unlock()
	for {
		select {
		case r := <-w.done:
			if r.lead {
				return g.lead(ctx, w)
			}
			return r.err
		case <-ctx.Done():
			if g.leave(w) {
				return ctx.Err()
			}
			ctx = context.WithoutCancel(ctx) // already in an INSERT, or being handed the lead
		}
	}
}

// leave takes a writer out of the queue; false when its rows are being sent or leadership was
// handed to it (it must then take it, or every later writer would wait for a leader forever).
func (g *group[T]) leave(w *groupWrite[T]) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if w == g.heir {
		return false
	}
	for i, q := range g.queue {
		if q == w {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			return true
		}
	}
	return false
}

// lead sends INSERTs of the queued rows until own's rows were sent, then hands leadership to
// the oldest queued writer, or gives it up when the queue is empty.
func (g *group[T]) lead(ctx context.Context, own *groupWrite[T]) error {
	ctx = context.WithoutCancel(ctx) // the INSERT carries other writers' rows too
	for {
		g.mu.Lock()
		if g.heir == own {
			g.heir = nil
		}
		n, rows := 0, 0
		for n < len(g.queue) && (n == 0 || rows+len(g.queue[n].rows) <= g.max) {
			rows += len(g.queue[n].rows)
			n++
		}
		taken := make([]*groupWrite[T], n)
		copy(taken, g.queue[:n])
		g.queue = append(g.queue[:0], g.queue[n:]...)
		g.mu.Unlock()

		parts := make([][]T, n)
		mine := false
		for i, w := range taken {
			parts[i] = w.rows
			mine = mine || w == own
		}
		err := g.flush(ctx, parts)
		for _, w := range taken {
			w.done <- groupResult{err: err}
		}
		if !mine {
			continue // own is still queued (it cannot have left: its writer is here)
		}
		g.mu.Lock()
		if len(g.queue) == 0 {
			g.leading = false
		} else {
			g.heir = g.queue[0]
			g.heir.done <- groupResult{lead: true}
		}
		g.mu.Unlock()
		return (<-own.done).err
	}
}
