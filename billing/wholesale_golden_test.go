package billing_test

import (
	"testing"

	"github.com/cascade-billing/cascade/billing"

	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// The golden wholesale invoices (testdata/golden/wholesale_*) are rewritten with
// `go test ./billing -run TestWholesaleGolden -update`; review the diff.
func TestWholesaleGolden(t *testing.T) {
	w := poolWorld(t, ledgertest.NewMemStore(), nil)
	runWholesale(t, w)
	for _, tc := range []struct{ name, buyer string }{
		{"wholesale_distributor_to_reseller", "R"},
		{"wholesale_vendor_to_distributor", "D"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := wholesaleInvoice(t, w.svc, tc.buyer)
			if err := billing.CheckTotals(inv); err != nil {
				t.Fatal(err)
			}
			checkInvoiceGolden(t, tc.name, inv)
		})
	}
}
