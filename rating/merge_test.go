package rating_test

import (
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

const mergeBase = `
vendors: [{id: acme}, {id: globex}]
products:
  - {id: api, vendor: acme}
  - {id: mail, vendor: globex}
meters:
  - {id: calls, unit: call, aggregation: sum}
  - {id: emails, unit: email, aggregation: sum}
  - {id: spare, aggregation: sum}
plans:
  - id: api-std
    product: api
    currency: EUR
    effective_to: 2026-11-01
    charges: [{id: calls, type: usage, meter: calls, model: per_unit, unit_price: 0.01}]
  - id: mail-std
    product: mail
    currency: EUR
    charges: [{id: emails, type: usage, meter: emails, model: per_unit, unit_price: 0.001}]
`

func TestMerge(t *testing.T) {
	base, err := rating.Load("base.yaml", []byte(mergeBase))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		vendor  string
		doc     string
		errs    []string // substrings, one per expected LoadError, in position order
		plan    string   // a plan the merged catalog must hold
		version int
	}{
		{name: "new product, meter and plan", vendor: "acme", plan: "vision", version: 1, doc: `
products: [{id: vision, vendor: acme}]
meters: [{id: images, unit: image, aggregation: sum}]
plans:
  - {id: vision, product: vision, currency: EUR, charges: [{id: img, type: usage, meter: images, model: per_unit, unit_price: 0.2}]}
`},
		{name: "JSON body", vendor: "acme", plan: "vision", version: 1,
			doc: `{"products":[{"id":"vision","vendor":"acme"}],"plans":[{"id":"vision","product":"vision","currency":"EUR","charges":[{"id":"b","type":"recurring","model":"flat","amount":"5"}]}]}`},
		{name: "new version of an own plan, on a base meter", vendor: "acme", plan: "api-std", version: 2, doc: `
plans:
  - {id: api-std, version: 2, product: api, currency: EUR, effective_from: 2026-11-01,
     charges: [{id: calls, type: usage, meter: calls, model: per_unit, unit_price: 0.008}]}
`},
		{name: "an unpriced base meter is free to use", vendor: "acme", plan: "spare", version: 1, doc: `
plans: [{id: spare, product: api, currency: EUR, charges: [{id: s, type: usage, meter: spare, model: per_unit, unit_price: 1}]}]
`},
		{name: "no vendor restriction: operator fragment", plan: "mail-pro", version: 1, doc: `
plans: [{id: mail-pro, product: mail, currency: EUR, charges: [{id: e, type: usage, meter: calls, model: per_unit, unit_price: 1}]}]
`},
		{name: "product of another vendor", vendor: "acme", errs: []string{"frag:2:30: products[0].vendor: vendor acme may not draft a product of vendor \"globex\""}, doc: `
products: [{id: fax, vendor: globex}]
`},
		{name: "plan on another vendor's product", vendor: "acme", errs: []string{"plans[0].product: product \"mail\" belongs to another vendor than acme"}, doc: `
plans: [{id: mail-cheap, product: mail, currency: EUR, charges: [{id: b, type: recurring, model: flat, amount: 1}]}]
`},
		{name: "another vendor's meter", vendor: "acme", errs: []string{"plans[0].charges[0].meter: meter \"emails\" is priced by vendor \"globex\"'s plans"}, doc: `
plans: [{id: spam, product: api, currency: EUR, charges: [{id: e, type: usage, meter: emails, model: per_unit, unit_price: 1}]}]
`},
		{name: "a version of another vendor's plan", vendor: "acme", errs: []string{"plans[0].effective_from: plan \"mail-std\" version 2 overlaps version 1", "plans[0].id: plan \"mail-std\" belongs to vendor \"globex\""}, doc: `
plans: [{id: mail-std, version: 2, product: api, currency: EUR, charges: [{id: b, type: recurring, model: flat, amount: 1}]}]
`},
		{name: "id collisions", vendor: "acme", errs: []string{"products[0].id: duplicate product id \"api\"", "meters[0].id: duplicate meter id \"calls\""}, doc: `
products: [{id: api, vendor: acme}]
meters: [{id: calls, aggregation: sum}]
`},
		{name: "vendors and coupons are the operator's", vendor: "acme", errs: []string{"vendors: a vendor's draft may hold only", "coupons: a vendor's draft may hold only"}, doc: `
vendors: [{id: acme2}]
coupons: [{code: FREE, percent: 100}]
`},
		{name: "price lists are refused", errs: []string{"price_lists: a fragment cannot add price lists"}, doc: `
price_lists: [{id: x, group: g, entries: [{plan: api-std, charge: calls, model: per_unit, unit_price: 0}]}]
`},
		{name: "the loader's own checks", vendor: "acme", errs: []string{"frag:3:80: plans[0].charges[0].meter: unknown meter \"nope\""}, doc: `
plans:
  - {id: x, product: api, currency: EUR, charges: [{id: c, type: usage, meter: nope, model: per_unit, unit_price: 1}]}
`},
		{name: "syntax error", vendor: "acme", errs: []string{"frag:"}, doc: "plans: [\n"},
		{name: "empty", vendor: "acme", errs: []string{"empty catalog"}, doc: "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rating.Merge(base, "frag", []byte(tc.doc), rating.MergeOptions{Vendor: tc.vendor})
			if len(tc.errs) > 0 {
				if err == nil {
					t.Fatal("merged, want an error")
				}
				les := rating.LoadErrors(err)
				if len(les) != len(tc.errs) {
					t.Fatalf("got %d errors, want %d:\n%v", len(les), len(tc.errs), err)
				}
				for i, want := range tc.errs {
					if !strings.Contains(les[i].Error(), want) {
						t.Errorf("error %d = %q, want it to contain %q", i, les[i].Error(), want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := got.PlanVersion(tc.plan, tc.version); !ok {
				t.Fatalf("merged catalog has no plan %s v%d", tc.plan, tc.version)
			}
			if _, ok := base.PlanVersion(tc.plan, tc.version); ok && tc.version == 1 {
				t.Fatalf("base catalog was changed: it now has %s v%d", tc.plan, tc.version)
			}
			if len(got.Plans) <= len(base.Plans) {
				t.Fatalf("merged has %d plans, base %d", len(got.Plans), len(base.Plans))
			}
			for _, p := range base.Plans { // everything of base is still there
				if _, ok := got.PlanVersion(p.ID, p.Version); !ok {
					t.Errorf("merged catalog lost %s v%d", p.ID, p.Version)
				}
			}
		})
	}
}

// TestMergeLeavesBaseAlone merges two fragments on one base (as two drafts approved in turn
// would) and checks that base still answers as before and each merge sees only its own plans.
func TestMergeLeavesBaseAlone(t *testing.T) {
	base, err := rating.Load("base.yaml", []byte(mergeBase))
	if err != nil {
		t.Fatal(err)
	}
	frag := func(id string) []byte {
		return []byte(`plans: [{id: ` + id + `, version: 3, product: api, currency: EUR, charges: [{id: b, type: recurring, model: flat, amount: 1}]}]`)
	}
	a, err := rating.Merge(base, "a", frag("api-std"), rating.MergeOptions{Vendor: "acme"})
	if err == nil {
		t.Fatalf("api-std v3 with no window overlaps v1 (open start): want an error, merged %d plans", len(a.Plans))
	}
	one, err := rating.Merge(base, "one", frag("one"), rating.MergeOptions{Vendor: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	two, err := rating.Merge(one, "two", frag("two"), rating.MergeOptions{Vendor: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		cat  *rating.Catalog
		want map[string]bool
	}{{base, map[string]bool{"one": false, "two": false}}, {one, map[string]bool{"one": true, "two": false}}, {two, map[string]bool{"one": true, "two": true}}} {
		for id, want := range c.want {
			if _, ok := c.cat.PlanVersion(id, 3); ok != want {
				t.Errorf("plan %s present = %v, want %v", id, ok, want)
			}
		}
		if _, ok := c.cat.Meter("calls"); !ok {
			t.Error("meter calls lost")
		}
	}
}
