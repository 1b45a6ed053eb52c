package ledgerstore_test

import (
	"testing"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/mediation"
)

// TestDefaultBoundsAreTheLedgers: mediation rejects what the ledger cannot store by its own
// copy of the ledger's decimal columns (it may not import ledger); they must agree.
func TestDefaultBoundsAreTheLedgers(t *testing.T) {
	want := mediation.Bounds{Precision: ledger.Precision, QuantityScale: ledger.QuantityScale, AmountScale: ledger.AmountScale}
	if mediation.DefaultBounds != want {
		t.Errorf("mediation.DefaultBounds = %+v, ledger stores %+v", mediation.DefaultBounds, want)
	}
}
