package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/notify"
	"github.com/cascade-billing/cascade/billing/schedule"
)

// serveStats counts what the schedulers did, for /metrics.
type serveStats struct {
	cycleRuns, cycleFailures, invoicesIssued atomic.Int64
	dunningRuns, dunningFailures             atomic.Int64
	wholesaleRuns, wholesaleFailures         atomic.Int64
	dispatchRuns, dispatchFailures           atomic.Int64
	notificationsSent, notificationsDead     atomic.Int64
}

// serveScheduler is the service's timed work: the invoice cycle (billing/schedule, cron from
// billing.cycle), dunning (cron from dunning.cron) and the notification dispatcher loop.
type serveScheduler struct {
	s        *server
	cycle    *schedule.Scheduler
	dunning  *cron.Cron
	dunMu    sync.Mutex // a dunning run at a time; a trigger during a run is skipped
	dispatch *notify.Dispatcher

	cancel context.CancelFunc
	loop   sync.WaitGroup
}

// startScheduler arms the cycle and dunning triggers and starts the dispatcher loop.
func startScheduler(ctx context.Context, s *server) (*serveScheduler, error) {
	sc := &serveScheduler{s: s}
	var err error
	sc.cycle, err = schedule.New(schedule.Config{Spec: s.cfg.Billing.Cycle, Grace: s.cfg.Billing.Grace.D(),
		Run: sc.runCycle, Now: s.now, Logger: s.log})
	if err != nil {
		return nil, fmt.Errorf("billing.cycle: %w", err)
	}
	if sc.dispatch, err = s.dispatcher(); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	sc.cancel = cancel
	if err := sc.cycle.Start(runCtx); err != nil {
		cancel()
		return nil, err
	}
	sc.dunning = cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cron.DiscardLogger))
	if _, err := sc.dunning.AddFunc(s.cfg.Dunning.Cron, func() { sc.runDunning(runCtx) }); err != nil {
		sc.cycle.Stop()
		cancel()
		return nil, fmt.Errorf("dunning.cron %q: %w", s.cfg.Dunning.Cron, err)
	}
	sc.dunning.Start()
	s.log.Info("dunning scheduler started", "spec", s.cfg.Dunning.Cron, "steps", len(s.cfg.Dunning.Steps))
	if sc.dispatch != nil {
		sc.loop.Go(func() { sc.dispatchLoop(runCtx) })
		s.log.Info("notification dispatcher started", "interval", s.cfg.Notifications.Interval.String())
	} else {
		s.log.Info("no notification channel configured: notifications stay queued in the outbox")
	}
	return sc, nil
}

// runCycleNow runs an invoice cycle now, after a running one (the CLI's `invoice run`).
func (sc *serveScheduler) runCycleNow(ctx context.Context) error { return sc.cycle.RunOnce(ctx) }

// runCycle is one invoice cycle, then the "invoice issued" notifications. Those are queued
// even after a partly failed cycle (what it issued is issued), and looked for since a day before
// this process started: queueing is idempotent, so a crash between issuing and queueing is
// caught up by the next run, while a first start does not notify an old backlog.
func (sc *serveScheduler) runCycle(ctx context.Context, asOf time.Time) error {
	release, err := sc.s.writer.admit()
	defer release()
	if err != nil {
		sc.s.log.Info("invoice cycle trigger skipped: another instance is the billing writer", "as_of", asOf.Format(time.RFC3339))
		return nil
	}
	st := sc.s.stats
	st.cycleRuns.Add(1)
	if m := sc.s.med; m != nil { // nil only in tests of the scheduler alone
		if err := m.waitCaughtUp(ctx, scheduleCatchUp); err != nil {
			st.cycleFailures.Add(1)
			return fmt.Errorf("invoice cycle as of %s skipped, retried at the next trigger: %w", asOf.Format(time.RFC3339), err)
		}
	}
	rep, err := sc.s.svc.RunCycle(ctx, asOf)
	st.invoicesIssued.Add(int64(rep.Invoices))
	if ctx.Err() == nil {
		if _, qerr := sc.s.svc.QueueDocumentNotifications(ctx, sc.s.start.Add(-24*time.Hour), "scheduler"); qerr != nil {
			err = errors.Join(err, fmt.Errorf("queue the notifications of the cycle: %w", qerr))
		}
	}
	if err != nil {
		st.cycleFailures.Add(1)
		return err
	}
	sc.closeWholesale(ctx, asOf)
	return nil
}

// closeWholesale closes the calendar month before asOf's (billing.Service.RunWholesale: pooled
// wholesale tiers settled, wholesale invoices issued), after a cycle that issued everything it
// had to: a closed month is final, so it is never closed after a cycle that left invoices out.
// Every complete cycle calls it; a month already closed issues nothing.
func (sc *serveScheduler) closeWholesale(ctx context.Context, asOf time.Time) {
	st := sc.s.stats
	asOf = asOf.UTC()
	first := time.Date(asOf.Year(), asOf.Month(), 1, 0, 0, 0, 0, time.UTC)
	month := billing.Period{From: first.AddDate(0, -1, 0), To: first}
	st.wholesaleRuns.Add(1)
	log := sc.s.log.With("month", month.From.Format("2006-01"))
	rep, err := sc.s.svc.RunWholesale(ctx, month)
	if err != nil {
		st.wholesaleFailures.Add(1)
		log.Error("wholesale close failed; the next complete cycle retries it", "err", err)
		return
	}
	if rep.Settled || len(rep.Issued) > 0 {
		log.Info("wholesale close", "pools", len(rep.Pools), "invoices", len(rep.Issued), "skipped", len(rep.Skipped))
	}
}

// runDunning is one dunning run at the scheduler's now; skipped while another runs.
func (sc *serveScheduler) runDunning(ctx context.Context) {
	if !sc.dunMu.TryLock() {
		sc.s.log.Warn("dunning run skipped: the previous one is still running")
		return
	}
	defer sc.dunMu.Unlock()
	release, err := sc.s.writer.admit()
	defer release()
	if err != nil {
		sc.s.log.Info("dunning trigger skipped: another instance is the billing writer")
		return
	}
	st := sc.s.stats
	st.dunningRuns.Add(1)
	now := sc.s.now()
	log := sc.s.log.With("at", now.Format(time.RFC3339))
	log.Info("dunning run started")
	rep, err := sc.s.svc.RunDunning(ctx, now, sc.s.cfg.DunningPolicy())
	if err != nil {
		st.dunningFailures.Add(1)
		log.Error("dunning run failed; the next trigger retries it", "err", err, "failed", len(rep.Failed))
		return
	}
	log.Info("dunning run done", "reminders", rep.Reminders, "suspensions", rep.Suspensions,
		"resumptions", rep.Resumptions, "skipped", rep.Skipped)
}

// dispatchLoop delivers the outbox every notifications.interval until ctx ends.
func (sc *serveScheduler) dispatchLoop(ctx context.Context) {
	t := time.NewTicker(sc.s.cfg.Notifications.Interval.D())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		release, err := sc.s.writer.admit()
		if err != nil {
			continue // the writer delivers the outbox
		}
		st := sc.s.stats
		st.dispatchRuns.Add(1)
		rep, err := sc.dispatch.DispatchOnce(ctx)
		release()
		st.notificationsSent.Add(int64(rep.Delivered))
		st.notificationsDead.Add(int64(rep.DeadLettered))
		if err != nil && !errors.Is(err, context.Canceled) {
			st.dispatchFailures.Add(1)
			sc.s.log.Warn("notification dispatch failed; retried next pass", "err", err)
		}
	}
}

// stop disarms the triggers and waits: a running cycle or dunning run finishes (a half-issued
// batch is safe, but finishing is better); the dispatcher stops after its current attempt.
func (sc *serveScheduler) stop(log *slog.Logger) {
	log.Info("shutdown: stopping the schedulers (waiting for a running cycle)")
	sc.cycle.Stop()
	<-sc.dunning.Stop().Done()
	sc.cancel()
	sc.loop.Wait()
	log.Info("shutdown: schedulers stopped")
}

// dispatcher builds the notification dispatcher over the configured channels; nil when none.
func (s *server) dispatcher() (*notify.Dispatcher, error) {
	var senders []notify.Sender
	if w := s.cfg.Notifications.Webhook; w != nil {
		h, err := notify.NewWebhook(notify.WebhookConfig{URL: w.URL, Secret: []byte(w.Secret), Now: s.now})
		if err != nil {
			return nil, fmt.Errorf("notifications.webhook: %w", err)
		}
		senders = append(senders, h)
	}
	if m := s.cfg.Notifications.SMTP; m != nil {
		h, err := notify.NewSMTP(notify.SMTPConfig{Addr: m.Addr, From: m.From, Now: s.now})
		if err != nil {
			return nil, fmt.Errorf("notifications.smtp: %w", err)
		}
		senders = append(senders, h)
	}
	if len(senders) == 0 {
		return nil, nil
	}
	d, err := notify.New(notify.Config{Log: s.store, Senders: senders, Now: s.now, Logger: s.log})
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	return d, nil
}

// billingLoaded says whether billing's state is usable (nil) or why not.
func (s *server) billingLoaded() error {
	return s.svc.View(func(*billing.State) error { return nil })
}
