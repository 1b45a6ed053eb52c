package chdb_test

import (
	"testing"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

func TestConformance(t *testing.T) {
	requireLibrary(t)
	ledgertest.RunConformance(t, func(t *testing.T) ledger.Store { return openFresh(t) })
}
