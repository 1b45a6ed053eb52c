package connector_test

import (
	"testing"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/connector"
	"github.com/cascade-billing/cascade/rating"
)

// initechFragment is an approved draft of initech (a vendor without products in the test
// catalog): its first product, meter and plan.
const initechFragment = `
products: [{id: vision, vendor: initech}]
meters: [{id: images, unit: image, aggregation: sum}]
plans:
  - {id: initech_vision, product: vision, currency: EUR, charges: [{id: img, type: usage, meter: images, model: per_unit, unit_price: 0.25}]}
`

func TestConnectorSetCatalog(t *testing.T) {
	dir := directory()
	dir.Add("cust-i", mediation.Enrichment{Account: "acct-i", PlanID: "initech_vision", PlanVersion: 1})
	f := newFixture(t, func(c *connector.Config) { c.Directory = dir })
	body := array(event("i1", "initech", "images", "cust-i", "3"))

	resp := decodeResponse(t, f.post(keyInitech, "application/json", body))
	if resp.Rejected != 1 {
		t.Fatalf("before the swap: %+v, want the record rejected", resp)
	}
	published, err := rating.Merge(f.h.Catalog(), "draft initech-1", []byte(initechFragment), rating.MergeOptions{Vendor: "initech"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.h.SetCatalog(published); err != nil {
		t.Fatal(err)
	}
	resp = decodeResponse(t, f.post(keyInitech, "application/json", body))
	if resp.Accepted != 1 {
		t.Fatalf("after the swap: %+v, want the record accepted", resp)
	}
	if n := len(f.pub.recs); n != 1 || f.pub.recs[0].Scope != "acct-i" {
		t.Fatalf("published %+v, want one record keyed acct-i", f.pub.recs)
	}
	// The new meter is initech's: another vendor still may not send it.
	resp = decodeResponse(t, f.post(keyAcme, "application/json", array(event("a1", "acme", "images", "cust-i", "1"))))
	if resp.Rejected != 1 || resp.Results[0].Reason != connector.ReasonForeignMeter {
		t.Fatalf("acme sending initech's meter: %+v, want foreign_meter", resp)
	}

	tests := []struct {
		name string
		cat  *rating.Catalog
	}{
		{"nil catalog", nil},
		{"a key's vendor missing", mustLoad(t, "vendors: [{id: acme}, {id: globex}]\n")},
	}
	for _, tc := range tests {
		if err := f.h.SetCatalog(tc.cat); err == nil {
			t.Errorf("%s: SetCatalog succeeded, want an error", tc.name)
		}
	}
	if f.h.Catalog() != published {
		t.Fatal("a refused SetCatalog replaced the catalog")
	}
}

func mustLoad(t *testing.T, doc string) *rating.Catalog {
	t.Helper()
	c, err := rating.Load("inline", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
