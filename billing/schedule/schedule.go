// Package schedule triggers the invoice cycle on a cron schedule (robfig/cron/v3).
//
// The scheduler owns only the trigger, the overlap guard and the clock: the cycle itself (the
// Run function, billing.Service's cycle) is idempotent, so a re-run, a retry after a failure or
// a run on another day issues nothing twice. Within one process two cycles never run at once:
//
//   - a cron trigger that fires while a cycle is running is SKIPPED (logged): the running cycle
//     or the next trigger covers the same due periods, since every run catches up on everything
//     due as of its own asOf;
//   - an explicit RunOnce (the CLI's `cascade invoice run`) WAITS for the running cycle to end,
//     then runs with a fresh asOf: the operator asked for a run and gets one.
//
// Across processes, ownership (DESIGN.md, "Scaling past one machine") keeps one scheduler per
// set of accounts; the cycle's idempotence covers the rest.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/robfig/cron/v3"
)

// RunFunc runs one invoice cycle for everything due as of asOf.
type RunFunc func(ctx context.Context, asOf time.Time) error

// Config configures a Scheduler.
type Config struct {
	// Spec is a standard 5-field cron spec ("0 6 * * *": daily at 06:00) or a descriptor
	// ("@daily", "@every 1h"); a "CRON_TZ=Europe/Berlin " prefix overrides Location.
	Spec string
	// Location interprets Spec (default UTC).
	Location *time.Location
	// Grace is how long after a period ends late usage is waited for: a run at now closes the
	// periods that ended by now − Grace.
	Grace time.Duration
	// Run is the cycle.
	Run RunFunc
	// Now is the clock asOf is computed from (default time.Now). Cron's own timer uses the
	// real clock; Now decides what is due.
	Now    func() time.Time
	Logger *slog.Logger
}

// Validate checks the configuration, naming the field at fault.
func (c *Config) Validate() error {
	switch {
	case c.Spec == "":
		return fmt.Errorf("schedule config: spec is required: %w", billing.ErrInvalid)
	case c.Run == nil:
		return fmt.Errorf("schedule config: run is required: %w", billing.ErrInvalid)
	case c.Grace < 0:
		return fmt.Errorf("schedule config: grace %s is negative: %w", c.Grace, billing.ErrInvalid)
	}
	if _, err := cron.ParseStandard(c.Spec); err != nil {
		return fmt.Errorf("schedule config: spec %q: %v: %w", c.Spec, err, billing.ErrInvalid)
	}
	return nil
}

// Scheduler fires the invoice cycle on its schedule. Safe for concurrent use.
type Scheduler struct {
	cfg      Config
	schedule cron.Schedule
	log      *slog.Logger
	// sem holds one token while a cycle runs: the overlap guard.
	sem chan struct{}

	mu   sync.Mutex
	cron *cron.Cron // nil unless started
}

// New returns a Scheduler; call Start to arm its trigger, or RunOnce to run a cycle now.
func New(cfg Config) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	sched, err := cron.ParseStandard(cfg.Spec)
	if err != nil {
		return nil, fmt.Errorf("schedule config: spec %q: %v: %w", cfg.Spec, err, billing.ErrInvalid)
	}
	return &Scheduler{cfg: cfg, schedule: sched, log: cfg.Logger, sem: make(chan struct{}, 1)}, nil
}

// Next returns when the schedule fires next after t, in the configured location.
func (s *Scheduler) Next(t time.Time) time.Time { return s.schedule.Next(t.In(s.cfg.Location)) }

// Start arms the cron trigger. ctx is handed to every cycle it starts: cancelling it cancels a
// running cycle and disarms later triggers; Stop is the graceful way out.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cron != nil {
		return fmt.Errorf("scheduler %q: already started: %w", s.cfg.Spec, billing.ErrConflict)
	}
	c := cron.New(cron.WithLocation(s.cfg.Location), cron.WithLogger(cron.DiscardLogger))
	c.Schedule(s.schedule, cron.FuncJob(func() { _, _ = s.Trigger(ctx) }))
	c.Start()
	s.cron = c
	s.log.Info("invoice scheduler started", "spec", s.cfg.Spec, "location", s.cfg.Location.String(),
		"grace", s.cfg.Grace.String(), "next", s.Next(s.cfg.Now()).Format(time.RFC3339))
	return nil
}

// Stop disarms the trigger and waits for a running cycle (from a trigger or RunOnce) to end.
// It does not cancel the cycle: an invoice batch half-written is safe, but finishing is better.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	c := s.cron
	s.cron = nil
	s.mu.Unlock()
	if c != nil {
		<-c.Stop().Done() // waits for the jobs cron started
	}
	s.sem <- struct{}{} // and for a RunOnce in flight
	<-s.sem
	s.log.Info("invoice scheduler stopped")
}

// Trigger is what the cron trigger does: run a cycle now unless one is running, in which
// case it is skipped (ran = false, logged). A failed cycle is logged and returned; the next
// trigger retries it (nothing else is needed: the cycle is idempotent).
func (s *Scheduler) Trigger(ctx context.Context) (ran bool, err error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	select {
	case s.sem <- struct{}{}:
	default:
		s.log.Warn("invoice cycle skipped: the previous one is still running", "spec", s.cfg.Spec)
		return false, nil
	}
	defer func() { <-s.sem }()
	return true, s.run(ctx, "cron")
}

// RunOnce runs a cycle now, after waiting for a running one to end (or ctx to be done). Used
// by `cascade invoice run`.
func (s *Scheduler) RunOnce(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("invoice cycle: waiting for the running cycle: %w", ctx.Err())
	}
	defer func() { <-s.sem }()
	return s.run(ctx, "manual")
}

// run runs one cycle with the token held. A panic in the cycle is turned into an error so
// that one bad run does not take the process (and every later trigger) down.
func (s *Scheduler) run(ctx context.Context, trigger string) (err error) {
	now := s.cfg.Now()
	asOf := now.Add(-s.cfg.Grace)
	log := s.log.With("trigger", trigger, "as_of", asOf.Format(time.RFC3339))
	log.Info("invoice cycle started")
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("invoice cycle as of %s: panic: %v", asOf.Format(time.RFC3339), p)
		}
		took := s.cfg.Now().Sub(now)
		if err != nil {
			log.Error("invoice cycle failed; the next trigger retries it", "err", err, "took", took.String(),
				"next", s.Next(s.cfg.Now()).Format(time.RFC3339))
			return
		}
		log.Info("invoice cycle done", "took", took.String())
	}()
	if err := s.cfg.Run(ctx, asOf); err != nil {
		return fmt.Errorf("invoice cycle as of %s: %w", asOf.Format(time.RFC3339), err)
	}
	return nil
}
