// Package notify delivers billing's outbox: each queued notification (billing.OutboxEntry) is
// sent by HMAC-signed webhook and by SMTP e-mail, and each channel's outcome — delivered, or
// dead-lettered after the retries ran out — is recorded as an outbox event in the ledger.
//
// Guarantee: at-least-once delivery per (notification id, channel), and exactly one recorded
// outcome. A notification is sent, then its outcome written; a crash (or a failed ledger write)
// between the two sends it again on the next pass, which is why every delivery carries the
// notification id (webhook header X-Cascade-Event-Id, e-mail Message-ID and X-Cascade-Event-Id) for
// the receiver to drop the duplicate. Once the outcome is written, no pass sends it again, in
// this process or a restarted one. One dispatcher per outbox: two processes dispatching the
// same ledger would both send (the owner of the billing scope runs it, as for the cycle).
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
)

// Error kinds, checked with errors.Is.
var (
	// ErrInvalid marks a bad configuration.
	ErrInvalid = errors.New("invalid")
	// ErrPermanent marks a delivery the receiver refused in a way no retry changes (a 4xx
	// answer, a rejected recipient): it is dead-lettered at once.
	ErrPermanent = errors.New("permanent delivery failure")
)

// Sender delivers a notification over one channel. Send makes one attempt; the Dispatcher
// retries it. Implementations are safe for concurrent use.
type Sender interface {
	// Channel names the channel in outbox events ("webhook", "email"); unique per Dispatcher.
	Channel() string
	// Wants reports whether the entry goes over this channel (e-mail needs an address).
	Wants(e *billing.OutboxEntry) bool
	// Send makes one delivery attempt; an error wrapping ErrPermanent is not retried.
	Send(ctx context.Context, e *billing.OutboxEntry) error
}

// Config configures a Dispatcher.
type Config struct {
	// Log is the ledger's event log holding the outbox.
	Log     ledger.EventLog
	Senders []Sender
	// Attempts is how many times one delivery is tried before it is dead-lettered (default 5).
	Attempts int
	// Backoff is the wait after the first failed attempt, doubled after each further one up to
	// MaxBackoff (defaults 1 s and 1 min).
	Backoff, MaxBackoff time.Duration
	// Sleep waits between attempts (default: a timer that ends early when ctx is done); tests
	// inject one that records the waits.
	Sleep  func(ctx context.Context, d time.Duration) error
	Now    func() time.Time
	Logger *slog.Logger
	// Actor names the dispatcher in outbox events (default "notify").
	Actor string
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Log == nil {
		return fmt.Errorf("notify config: log is required: %w", ErrInvalid)
	}
	if len(c.Senders) == 0 {
		return fmt.Errorf("notify config: senders: at least one is required: %w", ErrInvalid)
	}
	seen := map[string]bool{}
	for i, s := range c.Senders {
		if s == nil || s.Channel() == "" || seen[s.Channel()] {
			return fmt.Errorf("notify config: senders[%d]: nil, unnamed or a repeated channel: %w", i, ErrInvalid)
		}
		seen[s.Channel()] = true
	}
	if c.Attempts < 0 || c.Backoff < 0 || c.MaxBackoff < 0 {
		return fmt.Errorf("notify config: attempts, backoff and max_backoff must not be negative: %w", ErrInvalid)
	}
	return nil
}

// Dispatcher delivers pending outbox entries. Safe for concurrent use: passes are serialised.
type Dispatcher struct {
	cfg Config
	mu  sync.Mutex
}

// New returns a Dispatcher.
func New(cfg Config) (*Dispatcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = 5
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Actor == "" {
		cfg.Actor = "notify"
	}
	return &Dispatcher{cfg: cfg}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Report says what one pass did.
type Report struct {
	Delivered, DeadLettered int
	// Attempts counts every Send call, retries included.
	Attempts int
	// Sent lists "channel:notification id" of the deliveries, in order.
	Sent []string
}

// DispatchOnce delivers every pending (entry, channel) once, oldest first, and records each
// outcome. It stops at the first error that is not a delivery's (the ledger, a cancelled ctx):
// what was delivered before is recorded, the rest waits for the next pass.
func (d *Dispatcher) DispatchOnce(ctx context.Context) (Report, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var rep Report
	entries, err := billing.LoadOutbox(ctx, d.cfg.Log)
	if err != nil {
		return rep, err
	}
	for _, e := range entries {
		for _, s := range d.cfg.Senders {
			if !s.Wants(e) || !e.Pending(s.Channel()) {
				continue
			}
			o, err := d.deliver(ctx, s, e, &rep)
			if err != nil {
				return rep, err
			}
			ev, err := e.OutcomeEvent(o, d.cfg.Actor)
			if err != nil {
				return rep, err
			}
			if err := d.cfg.Log.WriteEvents(ctx, []ledger.Event{ev}); err != nil {
				// Sent but not recorded: the next pass sends it again (the id lets the receiver
				// drop it). Stop here rather than send more that cannot be recorded.
				return rep, fmt.Errorf("record %s of notification %s on %s: %w", o.Status, e.ID, o.Channel, err)
			}
			if err := e.Apply(ev); err != nil {
				return rep, err
			}
			if o.Status == billing.EventDelivered {
				rep.Delivered++
				rep.Sent = append(rep.Sent, o.Channel+":"+e.ID)
			} else {
				rep.DeadLettered++
				d.cfg.Logger.Warn("notification dead-lettered", "id", e.ID, "kind", e.Kind, "channel", o.Channel,
					"attempts", o.Attempts, "err", o.Error)
			}
		}
	}
	return rep, nil
}

// deliver tries one delivery with exponential backoff; the error is the context's only.
func (d *Dispatcher) deliver(ctx context.Context, s Sender, e *billing.OutboxEntry, rep *Report) (billing.OutboxOutcome, error) {
	o := billing.OutboxOutcome{Channel: s.Channel()}
	wait := d.cfg.Backoff
	for {
		o.Attempts++
		rep.Attempts++
		err := s.Send(ctx, e)
		if err == nil {
			o.Status, o.At = billing.EventDelivered, d.cfg.Now()
			return o, nil
		}
		if ctx.Err() != nil {
			return o, fmt.Errorf("deliver notification %s on %s: %w", e.ID, s.Channel(), ctx.Err())
		}
		if errors.Is(err, ErrPermanent) || o.Attempts >= d.cfg.Attempts {
			o.Status, o.At, o.Error = billing.EventDeadLetter, d.cfg.Now(), err.Error()
			return o, nil
		}
		d.cfg.Logger.Info("notification delivery failed, retrying", "id", e.ID, "channel", s.Channel(),
			"attempt", o.Attempts, "wait", wait, "err", err)
		if err := d.cfg.Sleep(ctx, wait); err != nil {
			return o, fmt.Errorf("deliver notification %s on %s: %w", e.ID, s.Channel(), err)
		}
		wait = min(2*wait, d.cfg.MaxBackoff)
	}
}
