package rating_test

import (
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

// catFee is a recurring charge next to catUsage.
const catFee = `      - id: fee
        type: recurring
        model: flat
        amount: 10
`

func TestPooledEntry(t *testing.T) {
	list := func(target, charge string) string {
		return "price_lists:\n  - id: l\n    " + target + "\n    entries:\n      - plan: basic\n        charge: " + charge +
			"\n        pooled: true\n        model: per_unit\n        unit_price: 0.005\n"
	}
	tests := []struct {
		name, doc, wantErr string
	}{
		{"reseller list pools a usage charge", catDoc(catUsage+catFee, list("channel: reseller", "calls")), ""},
		{"group list cannot pool", catDoc(catUsage+catFee, list("group: acme", "calls")), "price_lists[0].entries[0].pooled"},
		{"recurring charge cannot pool", catDoc(catUsage+catFee, list("channel: distributor", "fee")), "only usage charges"},
		{"customer-pooled charge cannot pool again", catDoc(strings.Replace(catUsage, "meter: calls", "meter: calls\n        pool: enterprise", 1),
			list("channel: reseller", "calls")), "already pooled for customers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, err := rating.Load("test.yaml", []byte(tt.doc))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			pl, ok := cat.PriceList("l")
			if !ok {
				t.Fatal("price list l not loaded")
			}
			if !pl.PooledEntry("basic", 1, "calls") || !pl.PooledEntry("basic", 0, "calls") {
				t.Error("PooledEntry(basic, calls) = false, want true (version-0 entry covers every version)")
			}
			if pl.PooledEntry("basic", 1, "fee") {
				t.Error("PooledEntry(basic, fee) = true for a charge without entry")
			}
		})
	}
}
