package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrLost says the ledger does not hold exactly the records the load generated.
var ErrLost = errors.New("soak: records lost or doubled")

// Plan is one soak: how long to measure, how long to soak and how to judge.
type Plan struct {
	Measure  time.Duration // the flat-out window the maximum rate is measured over
	Duration time.Duration // the soak at half that rate
	Every    time.Duration // the sampling interval (a minute)
	Drain    time.Duration // how long the consumer may take to catch up after a phase
	Rate     float64       // when > 0, the soak rate, and no measurement
	Limits   Limits
	// LagSeconds, when > 0, sets Limits.LagMax to this many seconds of the soak rate once the
	// rate is known: records in flight, not a backlog.
	LagSeconds float64
}

// Target is what the soak runs against.
type Target struct {
	Service *Service
	Broker  *Broker
	Load    *Load
	// Model is the by-design growth of the dedup sets (nil: none is allowed for).
	Model *DedupModel
	// Ledger counts the soak's usage in the ledger at the end.
	Ledger func(ctx context.Context) (LedgerCount, error)
}

// Report is the outcome of Run.
type Report struct {
	Connector, Mediation float64 // measured maxima, records per second (0 when not measured)
	Rate                 float64 // the soak rate asked for
	Achieved             float64 // the rate the connector accepted during the soak, records/s
	Samples              []Sample
	Verdict              Verdict
	Ledger               LedgerCount
	Final                Metrics
	Load                 Counts
}

// Run measures the maximum rate (unless plan.Rate is set), soaks at half of it sampling every
// plan.Every, drains, checks the counts and judges flatness. Every line it prints starts with
// "soak:". It returns an error wrapping ErrNotFlat, ErrTooShort, ErrLost or what stopped it;
// the report is filled as far as the run got.
func Run(ctx context.Context, plan Plan, tg Target, out io.Writer) (Report, error) {
	var rep Report
	rep.Rate = plan.Rate
	if rep.Rate <= 0 {
		if err := measure(ctx, plan, tg, out, &rep); err != nil {
			return rep, err
		}
	}
	fmt.Fprintf(out, "soak: soaking %s at %.0f records/s, a sample every %s\n", plan.Duration, rep.Rate, plan.Every)
	if err := soak(ctx, plan, tg, out, &rep); err != nil {
		return rep, err
	}
	countErr := finalCounts(ctx, plan, tg, out, &rep) // judged and reported either way
	if plan.LagSeconds > 0 {
		plan.Limits.LagMax = int64(rep.Rate * plan.LagSeconds)
	}
	rep.Verdict = Judge(rep.Samples, plan.Limits)
	fmt.Fprintf(out, "soak: achieved %.0f records/s of the %.0f/s asked for\n", rep.Achieved, rep.Rate)
	if rep.Achieved < 0.9*rep.Rate {
		fmt.Fprintf(out, "soak: WARNING: the load fell short of its rate by more than 10%% (a busy machine?): the figures hold for %.0f/s\n", rep.Achieved)
	}
	fmt.Fprintf(out, "soak: judged %d samples after a warm-up of %d: rss %.1f MB/10min, %.1f beyond %.0f × the dedup sets' %.1f MB/10min (limit %.1f), heap %.1f MB/10min, goroutines %.2f/10min, %+.1f over the span (limit %.1f) spread %d (limit %d), max lag %d (limit %d)\n",
		len(rep.Verdict.Judged), plan.Limits.Warmup, rep.Verdict.RSSSlope/mb, rep.Verdict.ExcessSlope/mb, plan.Limits.RetainedFactor,
		rep.Verdict.RetainedSlope/mb, plan.Limits.RSSPer10Min/mb, rep.Verdict.HeapSlope/mb,
		rep.Verdict.GoroutineSlope, rep.Verdict.GoroutineGrowth, plan.Limits.GoroutineGrowth, rep.Verdict.GoroutineSpread, plan.Limits.GoroutineSpread,
		rep.Verdict.MaxLag, plan.Limits.LagMax)
	fmt.Fprintln(out, rep.Verdict.Summary(len(rep.Samples), rep.Rate, rep.Samples))
	return rep, errors.Join(countErr, rep.Verdict.Err)
}

// measure loads flat out for plan.Measure and takes the smaller of what the connector accepted
// and what mediation wrote to the ledger per second: a rate the connector takes but mediation
// cannot follow only grows the lag. Then it waits for the lag to drain.
func measure(ctx context.Context, plan Plan, tg Target, out io.Writer, rep *Report) error {
	m0, err := metrics(ctx, tg.Service)
	if err != nil {
		return err
	}
	c0 := tg.Load.Counts()
	start := time.Now()
	lctx, cancel := context.WithTimeout(ctx, plan.Measure)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- tg.Load.Run(lctx, 0) }()
	<-lctx.Done()
	m1, merr := metrics(ctx, tg.Service)
	c1 := tg.Load.Counts()
	secs := time.Since(start).Seconds()
	if err := <-errc; err != nil {
		return err
	}
	if merr != nil {
		return merr
	}
	lag, err := tg.Broker.Lag(ctx)
	if err != nil {
		return err
	}
	rep.Connector = float64(c1.Accepted-c0.Accepted) / secs
	rep.Mediation = float64(m1.Accepted-m0.Accepted) / secs
	maxRate := min(rep.Connector, rep.Mediation)
	rep.Rate = maxRate / 2
	fmt.Fprintf(out, "soak: measured over %.0fs with %d clients of %d-record batches: connector %.0f records/s, mediation %.0f records/s, lag at the end %d: max %.0f/s, soak rate %.0f/s\n",
		secs, tg.Load.Clients, tg.Load.Batch, rep.Connector, rep.Mediation, lag, maxRate, rep.Rate)
	if rep.Rate < 1 {
		return fmt.Errorf("%w: measured a maximum of %.1f records/s: nothing to soak at", ErrLoad, maxRate)
	}
	took, err := drain(ctx, plan, tg)
	fmt.Fprintf(out, "soak: the consumer caught up %.0fs after the measurement\n", took.Seconds())
	return err
}

// soak runs the paced load for plan.Duration and samples every plan.Every.
func soak(ctx context.Context, plan Plan, tg Target, out io.Writer, rep *Report) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start, before := time.Now(), tg.Load.Counts().Accepted
	defer func() {
		rep.Achieved = float64(tg.Load.Counts().Accepted-before) / time.Since(start).Seconds()
	}()
	errc := make(chan error, 1)
	go func() { errc <- tg.Load.Run(lctx, rep.Rate) }()
	tick := time.NewTicker(plan.Every)
	defer tick.Stop()
	for minute := 1; time.Duration(minute)*plan.Every <= plan.Duration; minute++ {
		select {
		case <-tick.C:
		case err := <-errc:
			return fmt.Errorf("the load stopped at minute %d: %w", minute, err)
		case <-ctx.Done():
			return ctx.Err()
		}
		s, err := sample(ctx, tg, minute)
		if err != nil {
			return err
		}
		rep.Samples = append(rep.Samples, s)
		fmt.Fprintln(out, s.Line())
	}
	cancel()
	return <-errc
}

// sample reads the child's RSS, its /metrics, the load's counters and the broker's lag.
func sample(ctx context.Context, tg Target, minute int) (Sample, error) {
	if exited, err := tg.Service.Exited(); exited {
		return Sample{}, fmt.Errorf("%w: the service exited before minute %d (%v):\n%s", ErrService, minute, err, tg.Service.Log())
	}
	rss, err := ReadRSS(tg.Service.Pid())
	if err != nil {
		return Sample{}, err
	}
	m, err := metrics(ctx, tg.Service)
	if err != nil {
		return Sample{}, err
	}
	lag, err := tg.Broker.Lag(ctx)
	if err != nil {
		return Sample{}, err
	}
	c := tg.Load.Counts()
	s := Sample{Minute: minute, RSS: rss, Goroutines: m.Goroutines, HeapAlloc: m.HeapAlloc, Sent: c.Sent,
		Accepted: c.Accepted, Mediated: m.Accepted, Lag: lag}
	if tg.Model != nil {
		s.Retained = tg.Model.Bytes(m.Accepted)
	}
	return s, nil
}

// finalCounts drains and checks that every generated record was mediated and is in the ledger
// exactly once.
func finalCounts(ctx context.Context, plan Plan, tg Target, out io.Writer, rep *Report) error {
	took, err := drain(ctx, plan, tg)
	if err != nil {
		return err
	}
	if rep.Final, err = metrics(ctx, tg.Service); err != nil {
		return err
	}
	if rep.Ledger, err = tg.Ledger(ctx); err != nil {
		return err
	}
	rep.Load = tg.Load.Counts()
	g, f, l := rep.Load.Generated, rep.Final, rep.Ledger
	fmt.Fprintf(out, "soak: drained in %.0fs; generated=%d connector_accepted=%d connector_duplicate=%d retries=%d mediated=%d duplicate=%d rejected=%d sink_failures=%d ledger_rows=%d unique=%d quantity=%d stored=%d\n",
		took.Seconds(), g, rep.Load.Accepted, rep.Load.Duplicate, rep.Load.Retries, f.Accepted, f.Duplicate, f.Rejected, f.SinkFailed,
		l.Rows, l.Unique, l.Quantity, l.Stored)
	if f.Accepted != g || f.Rejected != 0 || l.Rows != g || l.Unique != g || l.Quantity != g {
		return fmt.Errorf("%w: generated %d records; mediation accepted %d and rejected %d; the ledger holds %d rows of %d ids, quantity %d",
			ErrLost, g, f.Accepted, f.Rejected, l.Rows, l.Unique, l.Quantity)
	}
	return nil
}

// drain waits until the broker's lag is 0 and mediation has consumed everything the load's
// accepted batches produced, for up to plan.Drain.
func drain(ctx context.Context, plan Plan, tg Target) (time.Duration, error) {
	start := time.Now()
	deadline := start.Add(plan.Drain)
	for {
		lag, err := tg.Broker.Lag(ctx)
		if err != nil {
			return time.Since(start), err
		}
		m, err := metrics(ctx, tg.Service)
		if err != nil {
			return time.Since(start), err
		}
		c := tg.Load.Counts()
		if lag == 0 && m.Accepted+m.Duplicate+m.Rejected >= c.Accepted+c.Duplicate {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return time.Since(start), fmt.Errorf("%w: the consumer did not catch up within %s: lag %d, consumed %d of %d",
				ErrLost, plan.Drain, lag, m.Accepted+m.Duplicate+m.Rejected, c.Accepted+c.Duplicate)
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return time.Since(start), ctx.Err()
		}
	}
}

// metrics reads the service's /metrics.
func metrics(ctx context.Context, s *Service) (Metrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+s.Addr+"/metrics", nil)
	if err != nil {
		return Metrics{}, fmt.Errorf("%w: %w", ErrSample, err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return Metrics{}, fmt.Errorf("%w: GET /metrics: %w", ErrSample, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return Metrics{}, fmt.Errorf("%w: GET /metrics: HTTP %d", ErrSample, res.StatusCode)
	}
	return ParseMetrics(res.Body)
}
