package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// demoConfig is what `cascade demo` runs with; every field has a flag.
type demoConfig struct {
	catalog    string
	dataDir    string
	customers  int
	events     int
	duplicates int // percent of events sent twice
	period     ledger.Period
	seed       uint64
	batch      int
}

func parseDemoFlags(e *env, args []string) (demoConfig, bool, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c := demoConfig{}
	fs.StringVar(&c.catalog, "catalog", "examples/catalog.yaml", "catalog YAML file")
	fs.StringVar(&c.dataDir, "data", "", "embedded ledger directory (default: a temporary one, removed at the end)")
	fs.IntVar(&c.customers, "customers", 24, "number of customers")
	fs.IntVar(&c.events, "events", 200_000, "distinct usage events in the month")
	fs.IntVar(&c.duplicates, "duplicates", 2, "percent of events the vendor sends twice")
	month := fs.String("period", "2026-10", "the month to bill, YYYY-MM")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed of the generated usage")
	fs.IntVar(&c.batch, "batch", 20_000, "ledger write batch size")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(e.stdout, "usage: cascade demo [flags]")
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			return c, true, nil
		}
		return c, false, usagef("%v", err)
	}
	from, err := time.Parse("2006-01", *month)
	switch {
	case fs.NArg() > 0:
		return c, false, usagef("unexpected argument %q", fs.Arg(0))
	case err != nil:
		return c, false, usagef("--period %q: want YYYY-MM", *month)
	case c.customers < 1 || c.events < c.customers:
		return c, false, usagef("--customers must be ≥ 1 and --events ≥ --customers")
	case c.duplicates < 0 || c.duplicates > 100:
		return c, false, usagef("--duplicates %d: want a percentage from 0 to 100", c.duplicates)
	case c.batch < 1:
		return c, false, usagef("--batch must be ≥ 1")
	}
	c.period = ledger.Period{From: from, To: from.AddDate(0, 1, 0)}
	return c, false, nil
}

// runDemo is the main job on embedded defaults, as far as Cascade is built today: a month of a
// vendor's usage is deduplicated, rated incrementally and written to the embedded ledger; the
// month is then re-rated from the ledger's quantities and every reconciliation check is run.
// It exits 1 if any check fails.
func runDemo(ctx context.Context, e *env, args []string) error {
	cfg, help, err := parseDemoFlags(e, args)
	if help || err != nil {
		return err
	}
	cat, err := rating.LoadFile(cfg.catalog)
	if err != nil {
		return &usageError{firstLine(err)}
	}
	customers, skipped, err := demoCustomers(cat, cfg.customers, cfg.period.From)
	if err != nil {
		return &usageError{err}
	}
	dir := cfg.dataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "cascade-demo-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	started := time.Now()
	store, err := e.openLedger(ctx, e, dir)
	if err != nil {
		return fmt.Errorf("open the embedded ledger in %s: %w", dir, err)
	}
	defer store.Close()

	rng := rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x9e3779b97f4a7c15))
	events := demoEvents(rng, cat, customers, cfg.period, cfg.events, cfg.duplicates, cfg.period.To)
	fmt.Fprintf(e.stderr, "demo: %d customers, %d records for %s (%d sent twice), ledger in %s\n",
		len(customers), len(events), cfg.period.From.Format("2006-01"), len(events)-cfg.events, dir)

	p := newDemoPipeline(customers)
	if err := p.run(ctx, e, store, events, cfg.batch); err != nil {
		return err
	}
	checks, summary, err := reconcile(ctx, store, cat, customers, cfg.period, p)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	printDemoSummary(e.stdout, cfg, summary, checks, skipped, time.Since(started))
	for _, c := range checks {
		if !c.ok {
			return fmt.Errorf("reconciliation check failed: %s", c.name)
		}
	}
	return nil
}

// demoPipeline is the demo's stand-in for mediation (issue 4): exact dedup by (source, event
// id), incremental rating against each customer's plan, batched ledger writes. It keeps the
// counts the reconciliation checks need.
type demoPipeline struct {
	customers []demoCustomer
	seen      map[string]struct{}
	running   map[string]decimal.Decimal // customer/meter → accepted quantity so far (what the ledger must say)

	consumed, accepted, duplicate, replayed int
}

func newDemoPipeline(customers []demoCustomer) *demoPipeline {
	return &demoPipeline{
		customers: customers,
		seen:      map[string]struct{}{},
		running:   map[string]decimal.Decimal{},
	}
}

func (p *demoPipeline) run(ctx context.Context, e *env, store ledger.Store, events []demoEvent, batch int) error {
	var usage []ledger.Usage
	var rated []ledger.RatedDelta
	flush := func() error {
		if err := store.WriteUsage(ctx, usage); err != nil {
			return fmt.Errorf("write usage: %w", err)
		}
		if err := store.WriteRated(ctx, rated); err != nil {
			return fmt.Errorf("write rated deltas: %w", err)
		}
		return nil
	}
	for i, ev := range events {
		p.consumed++
		key := ev.usage.Key()
		if _, dup := p.seen[key]; dup {
			p.duplicate++
		} else {
			p.seen[key] = struct{}{}
			p.accepted++
			usage = append(usage, ev.usage)
			rated = append(rated, p.rate(ev)...)
		}
		if len(usage) < batch && i < len(events)-1 {
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "demo: %d/%d records mediated (%d%%)\n", p.consumed, len(events), 100*p.consumed/len(events))
		if i == len(events)-1 {
			// A crash between the ledger write and the offset commit replays the last batch:
			// write it again; the ledger must collapse it (DESIGN.md invariant 4).
			p.replayed = len(usage)
			if err := flush(); err != nil {
				return fmt.Errorf("replay: %w", err)
			}
		}
		usage, rated = usage[:0], rated[:0]
	}
	return nil
}

// rate adds an accepted event to its meter's running total and returns a rated delta for every
// usage charge of the plan on that meter.
func (p *demoPipeline) rate(ev demoEvent) []ledger.RatedDelta {
	c := p.customers[ev.customer]
	u := ev.usage
	meterKey := c.ID + "/" + u.Meter
	before := p.running[meterKey]
	p.running[meterKey] = before.Add(u.Quantity)
	var out []ledger.RatedDelta
	for _, ch := range c.Charges {
		if ch.Meter != u.Meter {
			continue
		}
		amount := ch.UsageDelta(ch.Model, before, u.Quantity)
		out = append(out, ledger.RatedDelta{
			ID:     ledger.DeterministicID("rated", u.Source, u.EventID, ch.ID),
			Source: u.Source, EventID: u.EventID, Account: u.Account, Subscription: u.Subscription,
			PlanVersion: u.PlanVersion, Charge: ch.ID, Meter: u.Meter, EventTime: u.EventTime,
			Quantity: u.Quantity, Amount: amount, Currency: c.Plan.Currency.Code, Version: 1,
		})
	}
	return out
}
