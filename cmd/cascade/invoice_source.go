package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/cmd/cascade/internal/config"
	"github.com/cascade-billing/cascade/ledger"
)

// ledgerSource is where a finance command finds the ledger: an embedded ledger directory
// (--data, as `cascade demo --data DIR` writes) or the ledger a service configuration names
// (--config, the file `cascade serve` runs with: embedded or ClickHouse server). Exactly one.
type ledgerSource struct {
	dataDir    string
	configPath string
	catalog    string
	taxes      string
	// set records which flags were given, so --catalog and --taxes override a config's only
	// when given.
	set map[string]bool
	// writes marks a command that moves money (issue, void, close): with --config it refuses
	// to run beside a `cascade serve` answering on the configuration's address (checkNoServe).
	writes bool
}

// register adds the source flags; billing adds --catalog and --taxes (what the billing state
// is rebuilt with).
func (s *ledgerSource) register(fs *flag.FlagSet, billing bool) {
	fs.StringVar(&s.dataDir, "data", "", "embedded ledger directory, as written by 'cascade demo --data DIR'")
	fs.StringVar(&s.configPath, "config", "", "service configuration file (as 'cascade serve --config'): its ledger, catalog and tax rules")
	if billing {
		fs.StringVar(&s.catalog, "catalog", "examples/catalog.yaml", "catalog YAML file (with --config: overrides the config's)")
		fs.StringVar(&s.taxes, "taxes", "examples/taxes.yaml", "tax rules YAML file (with --config: overrides the config's)")
	}
}

// check validates the source after parsing.
func (s *ledgerSource) check(fs *flag.FlagSet) error {
	s.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { s.set[f.Name] = true })
	switch {
	case s.dataDir == "" && s.configPath == "":
		return usagef("--data DIR or --config FILE is required: the ledger to work on")
	case s.dataDir != "" && s.configPath != "":
		return usagef("--data and --config both given: choose one ledger")
	case s.dataDir != "":
		if st, err := os.Stat(s.dataDir); err != nil || !st.IsDir() {
			return usagef("--data %s: not a directory", s.dataDir)
		}
	}
	return nil
}

// config loads the configuration file, applying --catalog and --taxes when given. Every
// problem of the file is one line: the first, and how many more.
func (s *ledgerSource) config() (*config.Config, error) {
	cfg, err := config.Load(s.configPath, os.Getenv)
	if err != nil {
		return nil, &usageError{firstConfigLine(err)}
	}
	if s.set["catalog"] {
		cfg.Catalog = s.catalog
	}
	if s.set["taxes"] {
		cfg.Taxes = s.taxes
	}
	return cfg, nil
}

// openBilling opens the ledger and rebuilds the billing state from its events. The caller
// closes the store. Invoices a command issues name the catalog by its content hash, as the
// service's do, so either can be reproduced with the catalog it was priced with.
func (s *ledgerSource) openBilling(ctx context.Context, e *env) (*billing.Service, ledger.Store, error) {
	if s.configPath != "" {
		cfg, err := s.config()
		if err != nil {
			return nil, nil, err
		}
		if s.writes {
			if err := checkNoServe(ctx, cfg); err != nil {
				return nil, nil, err
			}
		}
		return openConfigured(ctx, e, cfg)
	}
	cat, version, err := loadCatalog(s.catalog)
	if err != nil {
		return nil, nil, err
	}
	rules, err := billing.LoadTaxRules(s.taxes)
	if err != nil {
		return nil, nil, &usageError{fmt.Errorf("taxes: %w", firstLine(err))}
	}
	store, err := e.openLedger(ctx, e, s.dataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("open the embedded ledger in %s: %w", s.dataDir, err)
	}
	svc, err := billing.New(billing.Config{Store: store, Catalog: cat, CatalogVersion: version, Taxes: rules, Logger: e.log})
	if err == nil {
		if err = svc.Load(ctx); err != nil {
			err = fmt.Errorf("load the billing state from %s: %w", s.dataDir, err)
		}
	}
	if err != nil {
		_ = store.Close()
		return nil, nil, err
	}
	return svc, store, nil
}

// openStore opens only the ledger, and says where it is for messages. The caller closes it.
func (s *ledgerSource) openStore(ctx context.Context, e *env) (ledger.Store, string, error) {
	if s.configPath == "" {
		st, err := e.openLedger(ctx, e, s.dataDir)
		if err != nil {
			return nil, s.dataDir, fmt.Errorf("open the embedded ledger in %s: %w", s.dataDir, err)
		}
		return st, "the embedded ledger in " + s.dataDir, nil
	}
	cfg, err := s.config()
	if err != nil {
		return nil, "", err
	}
	return openConfiguredLedger(ctx, e, cfg)
}

// firstConfigLine keeps a configuration's problem list to one line: the first problem and how
// many more there are.
func firstConfigLine(err error) error {
	var ce *config.Error
	if !errors.As(err, &ce) || len(ce.Problems) < 2 {
		if errors.As(err, &ce) {
			return fmt.Errorf("config %s: %s: %w", ce.Path, ce.Problems[0], config.ErrInvalid)
		}
		return err
	}
	return fmt.Errorf("config %s: %s (and %d more problems): %w", ce.Path, ce.Problems[0], len(ce.Problems)-1, config.ErrInvalid)
}

// parseFlags parses a subcommand's flags, printing its help on -h. positional says how many
// arguments may follow the flags (sql's statement); flags after them are parsed too, so
// `cascade sql 'SELECT 1' --format csv` works.
func parseFlags(e *env, fs *flag.FlagSet, usage string, args []string, positional int) (rest []string, help bool, err error) {
	fs.SetOutput(io.Discard)
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintln(e.stdout, usage)
				fs.SetOutput(e.stdout)
				fs.PrintDefaults()
				return nil, true, nil
			}
			return nil, false, usagef("%v", err)
		}
		if fs.NArg() == 0 {
			return rest, false, nil
		}
		if len(rest) == positional {
			return nil, false, usagef("unexpected argument %q", fs.Arg(0))
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseWhen reads a date (00:00 UTC of that day) or an RFC 3339 instant.
func parseWhen(flagName, v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, usagef("--%s %q: want YYYY-MM-DD or RFC 3339 (2026-11-01T06:00:00Z)", flagName, v)
	}
	return t.UTC(), nil
}

// oneOf checks an enumerated flag.
func oneOf(flagName, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return usagef("--%s %q: want %s", flagName, v, strings.Join(allowed, ", "))
}

// billingUsageError turns billing's input error kinds into exit code 2; other errors stay
// failures (exit 1).
func billingUsageError(err error) error {
	switch {
	case errors.Is(err, billing.ErrInvalid), errors.Is(err, billing.ErrNotFound), errors.Is(err, billing.ErrConflict),
		errors.Is(err, billing.ErrCurrencyMismatch):
		return &usageError{err}
	}
	return err
}
