package ledgertest_test

import (
	"testing"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

func TestMemStoreConformance(t *testing.T) {
	ledgertest.RunConformance(t, func(t *testing.T) ledger.Store { return ledgertest.NewMemStore() })
}
