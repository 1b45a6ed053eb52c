package main

import (
	"context"
	"errors"

	"github.com/cascade-billing/cascade/ledger"
)

// openEmbeddedLedger opens the default ledger: embedded ClickHouse in dir.
func openEmbeddedLedger(ctx context.Context, e *env, dir string) (ledger.Store, error) {
	return nil, errors.New("embedded ledger not wired yet")
}
