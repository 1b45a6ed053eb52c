package main

import (
	"context"
	"fmt"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// openBilling loads the catalog and the tax rules, opens the ledger in dataDir and rebuilds the
// billing state from its events: what every command working on an existing ledger starts with.
// The caller closes the store. Bad catalog or tax files are usage errors (exit 2).
func openBilling(ctx context.Context, e *env, dataDir, catalog, taxes string) (*billing.Service, ledger.Store, error) {
	cat, err := rating.LoadFile(catalog)
	if err != nil {
		return nil, nil, &usageError{firstLine(err)}
	}
	rules, err := billing.LoadTaxRules(taxes)
	if err != nil {
		return nil, nil, &usageError{firstLine(err)}
	}
	store, err := e.openLedger(ctx, e, dataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("open the embedded ledger in %s: %w", dataDir, err)
	}
	svc, err := billing.New(billing.Config{Store: store, Catalog: cat, Taxes: rules, Logger: e.log})
	if err == nil {
		if err = svc.Load(ctx); err != nil {
			err = fmt.Errorf("load the billing state from %s: %w", dataDir, err)
		}
	}
	if err != nil {
		_ = store.Close()
		return nil, nil, err
	}
	return svc, store, nil
}
