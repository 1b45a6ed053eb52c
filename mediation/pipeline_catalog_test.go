package mediation_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// visionFragment is what an approved catalog draft adds: a meter and a plan pricing it.
const visionFragment = `
products: [{id: vision, vendor: acme}]
meters: [{id: images, unit: image, aggregation: sum}]
plans:
  - {id: vision, product: vision, currency: EUR, charges: [{id: img, type: usage, meter: images, model: per_unit, unit_price: 0.25}]}
`

func imageRecord(id string, qty int) []byte {
	return fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"source":"acme","type":"images","subject":"cust-v","time":%q,"data":{"quantity":%d}}`,
		id, testNow.Add(-time.Minute).Format(time.RFC3339), qty)
}

func TestPipelineSetCatalogAtBatchBoundary(t *testing.T) {
	ledger := mediationtest.NewLedger()
	p, dir := newPipeline(t, ledger, ledger)
	dir.Add("cust-v", mediation.Enrichment{Account: "acct-v", Subscription: "sub-v", PlanID: "vision", PlanVersion: 1})
	ctx := context.Background()

	if err := p.Handle(ctx, messages(0, 0, imageRecord("i1", 4))); err != nil {
		t.Fatal(err)
	}
	if rj := ledger.Rejected(); len(rj) != 1 || rj[0].Reason != mediation.ReasonUnknownMeter {
		t.Fatalf("before the swap: rejects %+v, want one unknown_meter", rj)
	}

	published, err := rating.Merge(p.Catalog(), "draft acme-1", []byte(visionFragment), rating.MergeOptions{Vendor: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetCatalog(published); err != nil {
		t.Fatal(err)
	}
	if p.Catalog() != published {
		t.Fatal("Catalog() does not return the catalog just set")
	}
	// The replayed record (same bytes) and a new one are accepted and rated with the new plan.
	if err := p.Handle(ctx, messages(0, 1, imageRecord("i1", 4), imageRecord("i2", 6))); err != nil {
		t.Fatal(err)
	}
	if n := len(ledger.Usage()); n != 2 {
		t.Fatalf("after the swap: %d usage rows, want 2 (rejects: %+v)", n, ledger.Rejected())
	}
	sum := decimal.Zero
	for _, d := range ledger.Deltas() {
		if d.Charge != "img" {
			t.Fatalf("delta of charge %q, want img", d.Charge)
		}
		sum = sum.Add(d.Amount.Decimal())
	}
	if want := decimal.RequireFromString("0.25").Mul(decimal.NewFromInt(4 + 6)); !sum.Equal(want) {
		t.Fatalf("rated %s, want %s", sum, want)
	}
	if err := p.SetCatalog(nil); err == nil {
		t.Fatal("SetCatalog(nil): want an error")
	}
}

// TestPipelineSetCatalogConcurrently swaps catalogs while partitions are handled (run with
// -race): every batch sees one catalog, and nothing races.
func TestPipelineSetCatalogConcurrently(t *testing.T) {
	ledger := mediationtest.NewLedger()
	p, dir := newPipeline(t, ledger, ledger)
	dir.Add("cust-v", mediation.Enrichment{Account: "acct-v", Subscription: "sub-v", PlanID: "vision", PlanVersion: 1})
	base := p.Catalog()
	published, err := rating.Merge(base, "draft", []byte(visionFragment), rating.MergeOptions{Vendor: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			cat := base
			if i%2 == 0 {
				cat = published
			}
			if err := p.SetCatalog(cat); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	const n = 200
	for i := range n {
		if err := p.Handle(context.Background(), messages(i%2, int64(i), imageRecord(fmt.Sprintf("c%d", i), 1))); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if got := len(ledger.Usage()) + len(ledger.Rejected()); got != n {
		t.Fatalf("accepted + rejected = %d, want %d", got, n)
	}
}
