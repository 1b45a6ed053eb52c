package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/cmd/cascade/internal/config"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/rating"
)

// openConfigured opens what a configuration names: the catalog and tax rules, the ledger
// (embedded chdb in ledger.embedded.dir through e.openLedger, or the ClickHouse server of
// ledger.clickhouse), and the billing Service rebuilt from the ledger's events. `cascade serve`
// and the CLI's --config share it. The caller closes the store. Bad catalog or tax files are
// usage errors (exit 2).
func openConfigured(ctx context.Context, e *env, cfg *config.Config) (*billing.Service, ledger.Store, error) {
	return openConfiguredAt(ctx, e, cfg, time.Now)
}

// openConfiguredAt is openConfigured with billing's clock given (serve's tests run a month in
// seconds).
func openConfiguredAt(ctx context.Context, e *env, cfg *config.Config, now func() time.Time) (*billing.Service, ledger.Store, error) {
	cat, version, err := loadCatalog(cfg.Catalog)
	if err != nil {
		return nil, nil, err
	}
	rules, err := billing.LoadTaxRules(cfg.Taxes)
	if err != nil {
		return nil, nil, &usageError{fmt.Errorf("taxes: %w", firstLine(err))}
	}
	store, where, err := openConfiguredLedger(ctx, e, cfg)
	if err != nil {
		return nil, nil, err
	}
	svc, err := billing.New(billing.Config{Store: store, Catalog: cat, CatalogVersion: version, Taxes: rules,
		LateWindow: cfg.Billing.LateWindow.D(), BatchSize: cfg.Billing.BatchSize, MaxBackdate: cfg.Billing.MaxBackdate.D(), Now: now, Logger: e.log})
	if err == nil {
		if err = svc.Load(ctx); err != nil {
			err = fmt.Errorf("load the billing state from %s: %w", where, err)
		}
	}
	if err != nil {
		_ = store.Close()
		return nil, nil, err
	}
	return svc, withFaults(store, e.log), nil // inert unless a test sets CASCADE_FAULT_* (serve_faults.go)
}

// loadCatalog loads the catalog file and names its version by content (printed on invoices,
// so an invoice can be reproduced with the catalog it was priced with).
func loadCatalog(path string) (*rating.Catalog, string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, "", &usageError{fmt.Errorf("catalog: %w", err)}
	}
	cat, err := rating.Load(path, raw)
	if err != nil {
		return nil, "", &usageError{firstLine(err)}
	}
	sum := sha256.Sum256(raw)
	return cat, "sha256:" + hex.EncodeToString(sum[:6]), nil
}

// openConfiguredLedger opens the configured backend and says where it is, for messages.
func openConfiguredLedger(ctx context.Context, e *env, cfg *config.Config) (ledger.Store, string, error) {
	if ch := cfg.Ledger.ClickHouse; ch != nil {
		where := "ClickHouse at " + ch.Addr + "/" + ch.Database
		s, err := clickhouse.New(clickhouse.Config{Addr: ch.Addr, Database: ch.Database, Username: ch.Username,
			Password: ch.Password, Logger: e.log})
		if err != nil {
			return nil, where, fmt.Errorf("open the ledger (%s): %w", where, err)
		}
		return s, where, nil
	}
	dir := cfg.Ledger.Embedded.Dir
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, dir, fmt.Errorf("create the ledger directory: %w", err)
	}
	s, err := e.openLedger(ctx, e, dir)
	if err != nil {
		return nil, dir, fmt.Errorf("open the embedded ledger in %s: %w", dir, err)
	}
	return s, "the embedded ledger in " + dir, nil
}
