package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// BatcherConfig tunes a Batcher.
type BatcherConfig struct {
	// Size is the number of items that triggers a flush.
	Size int
	// Interval flushes a partial batch at the latest this long after its first item was added,
	// so a quiet stream still becomes durable.
	Interval time.Duration
	// MaxPending is how many full batches may wait for the writer. When they all wait, Add
	// blocks: memory stays bounded and the slowness reaches the producer (backpressure).
	MaxPending int
}

// Validate checks the configuration.
func (c BatcherConfig) Validate() error {
	if c.Size <= 0 {
		return fmt.Errorf("batcher config: size %d must be positive: %w", c.Size, ErrInvalid)
	}
	if c.Interval <= 0 {
		return fmt.Errorf("batcher config: interval %s must be positive: %w", c.Interval, ErrInvalid)
	}
	if c.MaxPending <= 0 {
		return fmt.Errorf("batcher config: max_pending %d must be positive: %w", c.MaxPending, ErrInvalid)
	}
	return nil
}

// Batcher groups items into batches for a write function (typically a Store's WriteUsage) and
// flushes on size or time from one goroutine, in order. It has no retry: after a write fails,
// every later Add and Flush returns that error, because items after a lost batch must not be
// reported durable either. The owner then closes it and replays from its last durable point
// (for the pipeline: the last committed Kafka offset). Safe for concurrent use.
type Batcher[T any] struct {
	cfg   BatcherConfig
	write func(context.Context, []T) error

	mu      sync.Mutex
	buf     []T
	started time.Time // when buf got its first item
	err     error     // first write error, sticky
	closed  bool

	queue chan job[T]
	stop  chan struct{}
	done  chan struct{}
}

// job is one batch handed to the writer goroutine; done, when set, is closed after it is written.
type job[T any] struct {
	items []T
	done  chan struct{}
}

// NewBatcher starts a Batcher writing through write. Close stops it.
func NewBatcher[T any](cfg BatcherConfig, write func(context.Context, []T) error) (*Batcher[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if write == nil {
		return nil, fmt.Errorf("batcher: write function is nil: %w", ErrInvalid)
	}
	b := &Batcher[T]{
		cfg:   cfg,
		write: write,
		queue: make(chan job[T], cfg.MaxPending),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go b.run()
	return b, nil
}

// Add appends items. It returns once they are buffered, not durable (use Flush for that); it
// blocks while MaxPending full batches wait for the writer, until ctx ends.
func (b *Batcher[T]) Add(ctx context.Context, items ...T) error {
	for len(items) > 0 {
		b.mu.Lock()
		if err := b.stateErr(); err != nil {
			b.mu.Unlock()
			return err
		}
		if len(b.buf) == 0 {
			b.started = time.Now()
			if cap(b.buf) < b.cfg.Size {
				b.buf = make([]T, 0, b.cfg.Size)
			}
		}
		n := min(b.cfg.Size-len(b.buf), len(items))
		b.buf = append(b.buf, items[:n]...)
		items = items[n:]
		var full []T
		if len(b.buf) >= b.cfg.Size {
			full, b.buf = b.buf, nil
		}
		b.mu.Unlock()
		if full != nil {
			if err := b.enqueue(ctx, job[T]{items: full}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Flush writes everything added before it and waits until it is durable or failed. A nil
// return means every item added before the call is durable.
func (b *Batcher[T]) Flush(ctx context.Context) error {
	b.mu.Lock()
	if err := b.stateErr(); err != nil {
		b.mu.Unlock()
		return err
	}
	j := job[T]{items: b.buf, done: make(chan struct{})}
	b.buf = nil
	b.mu.Unlock()
	if err := b.enqueue(ctx, j); err != nil {
		return err
	}
	select {
	case <-j.done:
	case <-ctx.Done():
		return fmt.Errorf("batcher flush: %w", ctx.Err())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// Close flushes what is buffered, stops the writer goroutine and returns the first write error.
func (b *Batcher[T]) Close(ctx context.Context) error {
	flushErr := b.Flush(ctx)
	b.mu.Lock()
	already := b.closed
	b.closed = true
	b.mu.Unlock()
	if !already {
		close(b.stop)
	}
	select {
	case <-b.done:
	case <-ctx.Done():
		return fmt.Errorf("batcher close: %w", ctx.Err())
	}
	if errors.Is(flushErr, ErrClosed) {
		return nil
	}
	return flushErr
}

// stateErr reports why the batcher no longer accepts items; b.mu is held.
func (b *Batcher[T]) stateErr() error {
	if b.err != nil {
		return b.err
	}
	if b.closed {
		return ErrClosed
	}
	return nil
}

func (b *Batcher[T]) enqueue(ctx context.Context, j job[T]) error {
	select {
	case b.queue <- j:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("batcher: waiting for the writer: %w", ctx.Err())
	case <-b.done:
		return ErrClosed
	}
}

// run is the writer goroutine: it writes queued batches in order and flushes a partial batch
// once it is older than Interval.
func (b *Batcher[T]) run() {
	defer close(b.done)
	tick := time.NewTicker(b.cfg.Interval / 2)
	defer tick.Stop()
	for {
		select {
		case j := <-b.queue:
			b.handle(j)
		case <-tick.C:
			b.mu.Lock()
			var items []T
			if len(b.buf) > 0 && time.Since(b.started) >= b.cfg.Interval && b.err == nil {
				items, b.buf = b.buf, nil
			}
			b.mu.Unlock()
			if items != nil {
				b.handle(job[T]{items: items})
			}
		case <-b.stop:
			for {
				select {
				case j := <-b.queue:
					b.handle(j)
				default:
					return
				}
			}
		}
	}
}

func (b *Batcher[T]) handle(j job[T]) {
	b.mu.Lock()
	failed := b.err != nil
	b.mu.Unlock()
	if !failed && len(j.items) > 0 {
		// The write is bounded by the Store's own timeouts; the batcher has no context of its own
		// because a write must not be abandoned half-way by an unrelated caller's cancellation.
		if err := b.write(context.Background(), j.items); err != nil {
			b.mu.Lock()
			if b.err == nil {
				b.err = fmt.Errorf("batcher: write of %d items: %w", len(j.items), err)
			}
			b.mu.Unlock()
		}
	}
	if j.done != nil {
		close(j.done)
	}
}
