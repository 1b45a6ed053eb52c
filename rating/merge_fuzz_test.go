package rating_test

import (
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

// FuzzMergeDraft: Merge never panics and never changes its base; it returns either a catalog
// holding every base plan plus what the fragment added, or only *LoadError values positioned in
// the fragment — for a vendor-restricted merge (catalog moderation) and an unrestricted one.
func FuzzMergeDraft(f *testing.F) {
	base, err := rating.Load("base.yaml", []byte(mergeBase))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`products: [{id: vision, vendor: acme}]
meters: [{id: images, aggregation: sum}]
plans: [{id: vision, product: vision, currency: EUR, charges: [{id: i, type: usage, meter: images, model: per_unit, unit_price: 0.2}]}]`), true)
	f.Add([]byte(`plans: [{id: api-std, version: 2, product: api, currency: EUR, effective_from: 2026-11-01, charges: [{id: b, type: recurring, model: flat, amount: 1}]}]`), false)
	f.Add([]byte(`{"products":[{"id":"mail","vendor":"globex"}]}`), true)
	plans, meters := len(base.Plans), len(base.Meters)
	f.Fuzz(func(t *testing.T, data []byte, restricted bool) {
		opt := rating.MergeOptions{}
		if restricted {
			opt.Vendor = "acme"
		}
		c, err := rating.Merge(base, "fuzz.yaml", data, opt)
		if len(base.Plans) != plans || len(base.Meters) != meters {
			t.Fatalf("Merge changed its base: %d plans, %d meters", len(base.Plans), len(base.Meters))
		}
		if err != nil {
			if c != nil {
				t.Fatalf("catalog returned with error %v", err)
			}
			catCheckOnlyLoadErrors(t, err)
			return
		}
		for _, p := range base.Plans {
			if _, ok := c.PlanVersion(p.ID, p.Version); !ok {
				t.Fatalf("merged catalog lost %s v%d", p.ID, p.Version)
			}
		}
		if restricted {
			for _, p := range c.Products {
				if _, inBase := base.Product(p.ID); !inBase && p.Vendor != "acme" {
					t.Fatalf("vendor acme added product %s of %s", p.ID, p.Vendor)
				}
			}
		}
	})
}
