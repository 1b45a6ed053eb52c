package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// demoConfig is what `cascade demo` runs with; every field has a flag.
type demoConfig struct {
	catalog    string
	taxes      string
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
	fs.StringVar(&c.taxes, "taxes", "examples/taxes.yaml", "tax rules YAML file")
	fs.StringVar(&c.dataDir, "data", "", "embedded ledger directory (default: a temporary one, removed at the end)")
	fs.IntVar(&c.customers, "customers", 24, "number of customers")
	fs.IntVar(&c.events, "events", 200_000, "distinct usage events in the month")
	fs.IntVar(&c.duplicates, "duplicates", 2, "percent of events the vendor sends twice")
	month := fs.String("period", "2026-10", "the month to bill, YYYY-MM")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed of the generated usage")
	fs.IntVar(&c.batch, "batch", 5_000, "records mediated (and written to the ledger) per batch and partition")
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

// runDemo is the main job on embedded defaults: a month of a vendor's usage is POSTed to the
// HTTP connector, produced to the in-process Kafka broker, mediated (dedup, enrichment,
// incremental rating) by the product's pipeline into the embedded ledger; the month is then
// re-rated from the ledger's quantities, invoiced and split down the chain; on a clock the demo
// advances day by day customers pay (or not), dunning reminds and suspends, and the issue month
// is closed (pooled tiers, wholesale invoices). Every step has its reconciliation checks; it
// exits 1 if any fails.
func runDemo(ctx context.Context, e *env, args []string) error {
	cfg, help, err := parseDemoFlags(e, args)
	if help || err != nil {
		return err
	}
	in, err := loadDemoInputs(cfg)
	if err != nil {
		return err
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
	res, err := demoRun(ctx, e, cfg, in, store, dir)
	if err != nil {
		return err
	}
	printDemoSummary(e.stdout, cfg, res.summary, res.billed, res.month, res.checks, in.skipped, time.Since(started))
	for _, c := range res.checks {
		if !c.ok {
			return fmt.Errorf("reconciliation check failed: %s", c.name)
		}
	}
	return nil
}

// demoInputs are the demo's files and the customers drawn from the catalog.
type demoInputs struct {
	cat            *rating.Catalog
	taxes          *billing.TaxRules
	catalogVersion string
	customers      []demoCustomer
	skipped        []string
	vendor         string
}

func loadDemoInputs(cfg demoConfig) (*demoInputs, error) {
	in := &demoInputs{}
	var err error
	if in.cat, err = rating.LoadFile(cfg.catalog); err != nil {
		return nil, &usageError{firstLine(err)}
	}
	if in.taxes, err = billing.LoadTaxRules(cfg.taxes); err != nil {
		return nil, &usageError{firstLine(err)}
	}
	if in.catalogVersion, err = fileVersion(cfg.catalog); err != nil {
		return nil, err
	}
	if in.customers, in.skipped, err = demoCustomers(in.cat, cfg.customers, cfg.period.From); err != nil {
		return nil, &usageError{err}
	}
	if in.vendor, err = demoVendor(in.cat, in.customers); err != nil {
		return nil, &usageError{err}
	}
	return in, nil
}

// demoResult is everything a demo run did and checked.
type demoResult struct {
	summary []demoInvoice
	billed  *demoBilled
	month   *demoMonth
	checks  []demoCheck
}

// demoRun runs the demo's month on a ledger: usage in through the connector and the pipeline,
// the invoice cycle, then the month after on the advancing clock, with every check.
func demoRun(ctx context.Context, e *env, cfg demoConfig, in *demoInputs, store ledger.Store, dir string) (*demoResult, error) {
	// The demo runs as of the first instant after the month: every event is in the past and
	// inside the late window, whatever today's date.
	now := func() time.Time { return cfg.period.To }
	rng := rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x9e3779b97f4a7c15))
	bad := max(3, cfg.events/1000)
	events := demoEvents(rng, in.cat, in.customers, in.vendor+"/"+demoProducer, cfg.period, cfg.events, cfg.duplicates, bad, cfg.period.To)
	fmt.Fprintf(e.stderr, "demo: %d customers, %d records for %s (%d sent twice, %d bad), ledger in %s\n",
		len(in.customers), len(events), cfg.period.From.Format("2006-01"), len(events)-cfg.events-bad, bad, dir)

	w := &demoWiring{cat: in.cat, dir: newDemoDirectory(in.customers), store: store, vendor: in.vendor, now: now, batch: cfg.batch,
		progress: func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) }}
	flow, err := w.run(ctx, e, events)
	if err != nil {
		return nil, err
	}
	res := &demoResult{}
	if res.checks, res.summary, err = reconcile(ctx, store, in.cat, in.customers, cfg.period, events, flow); err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	fmt.Fprintf(e.stderr, "demo: closing %s: invoice cycle\n", cfg.period.From.Format("2006-01"))
	if res.billed, err = runDemoBilling(ctx, store, in.cat, in.catalogVersion, in.taxes, in.customers, cfg.period); err != nil {
		return nil, fmt.Errorf("invoice cycle: %w", err)
	}
	billingChecks, err := checkBilling(ctx, store, in.cat, in.customers, cfg.period, res.billed)
	if err != nil {
		return nil, fmt.Errorf("reconcile billing: %w", err)
	}
	res.checks = append(res.checks, billingChecks...)
	res.checks = append(res.checks, checkUniqueLines(in.cat, in.customers, cfg.period, expectedOf(events), res.billed))
	fmt.Fprintf(e.stderr, "demo: the month after: payments, dunning on an advancing clock, the close of %s\n", res.billed.issueMonth.From.Format("2006-01"))
	if res.month, err = runDemoMonth(ctx, res.billed, in.customers, w.progress); err != nil {
		return nil, err
	}
	monthChecks, err := checkMonth(ctx, store, res.billed, res.month)
	if err != nil {
		return nil, fmt.Errorf("reconcile the month after: %w", err)
	}
	res.checks = append(res.checks, monthChecks...)
	return res, nil
}

// checkMonth runs the checks of the month after the invoices: the statements (rebuilt after the
// pool settlement) against the journal, then monthChecks.
func checkMonth(ctx context.Context, store ledger.Store, b *demoBilled, m *demoMonth) ([]demoCheck, error) {
	if err := demoStatements(ctx, b); err != nil {
		return nil, err
	}
	statements, err := checkStatements(ctx, store, b)
	if err != nil {
		return nil, err
	}
	rest, err := monthChecks(ctx, store, b, m)
	return append([]demoCheck{statements}, rest...), err
}

// monthChecks checks the close, the payments and dunning.
func monthChecks(ctx context.Context, store ledger.Store, b *demoBilled, m *demoMonth) ([]demoCheck, error) {
	var out []demoCheck
	for _, step := range []func() ([]demoCheck, error){
		func() ([]demoCheck, error) { return checkWholesale(b, m) },
		func() ([]demoCheck, error) { return checkPayments(ctx, store, b, m) },
		func() ([]demoCheck, error) { return checkDunning(ctx, store, b, m) },
	} {
		cs, err := step()
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

// demoVendor is the one vendor whose products the demo's customers buy: the connector
// authenticates it and accepts only its meters and sources.
func demoVendor(cat *rating.Catalog, customers []demoCustomer) (string, error) {
	vendor := ""
	for _, c := range customers {
		prod, ok := cat.Product(c.Plan.Product)
		switch {
		case !ok:
			return "", fmt.Errorf("plan %s: product %q is not in the catalog", c.Plan.ID, c.Plan.Product)
		case vendor != "" && prod.Vendor != vendor:
			return "", fmt.Errorf("the demo sends as one vendor, but plans of %s and %s are in force", vendor, prod.Vendor)
		}
		vendor = prod.Vendor
	}
	return vendor, nil
}

// fileVersion names a catalog file's content: its base name and the start of its SHA-256, the
// version printed on every invoice priced with it.
func fileVersion(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return filepath.Base(path) + "@" + hex.EncodeToString(sum[:6]), nil
}
