package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/rating"
)

// catalogFuzzWorld is catalog_world_test.go's world (vendors V and W in the catalog and the
// channel) as a *world the fuzz harness reads, plus V's draft 1 submitted for review (so the
// reject route reaches its body) and three rejects with their original bytes (so a replay has
// something to replay).
func catalogFuzzWorld(tb testing.TB) *world {
	tb.Helper()
	cat, err := rating.Load("more", []byte(moreCatalog))
	if err != nil {
		tb.Fatal(err)
	}
	taxes, err := billing.ParseTaxRules("taxes", []byte(moreTaxes))
	if err != nil {
		tb.Fatal(err)
	}
	w := &world{t: tb, clock: &clock{t: moreNow}, store: ledgertest.NewMemStore()}
	w.svc, err = billing.New(billing.Config{Store: w.store, Catalog: cat, Taxes: taxes, CatalogVersion: "more-1", Now: w.clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if err := w.svc.Load(ctx); err != nil {
		tb.Fatal(err)
	}
	var cmds []billing.Command
	for _, a := range []billing.Account{
		{ID: "V", Kind: billing.KindVendor, Name: "V", Currency: "EUR", TaxJurisdiction: "DE"},
		{ID: "W", Kind: billing.KindVendor, Name: "W", Currency: "EUR", TaxJurisdiction: "DE"},
		{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "D", Currency: "EUR", TaxJurisdiction: "DE"},
		{ID: "R1", Kind: billing.KindReseller, Parent: "D", Name: "R1", Currency: "EUR", TaxJurisdiction: "FR"},
		{ID: "R2", Kind: billing.KindReseller, Parent: "D", Name: "R2", Currency: "EUR", TaxJurisdiction: "FR"},
	} {
		cmds = append(cmds, func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.CreateAccount(a, at, "test") })
	}
	if err := w.svc.Do(ctx, cmds...); err != nil {
		tb.Fatal(err)
	}
	d, err := w.svc.DraftCatalog(ctx, "V", []byte(visionDraft), "test")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.svc.SubmitCatalogDraft(ctx, d.ID, "V", "test"); err != nil {
		tb.Fatal(err)
	}
	var rejects []ledger.Reject
	for i, reason := range []string{"unknown_meter", "bad_json", "unknown_meter"} {
		rejects = append(rejects, ledger.Reject{Topic: "usage.raw", Partition: 0, Offset: int64(i), At: moreNow.Add(-time.Hour),
			Reason: reason, Source: "V", EventID: fmt.Sprintf("e%d", i), Original: []byte(fmt.Sprintf(`{"id":"e%d"}`, i))})
	}
	if err := w.store.WriteRejects(ctx, rejects); err != nil {
		tb.Fatal(err)
	}
	return w
}

// catalogRoutes: POST /v1/catalog/drafts (the body is the draft document, JSON or YAML),
// /v1/catalog/drafts/{id}/reject and /v1/rejects/replay.
func catalogRoutes() []fuzzRoute {
	return []fuzzRoute{
		{pattern: "POST /v1/catalog/drafts", key: keyVendor, path: at("/v1/catalog/drafts"),
			seeds: bodies(`{"products":[{"id":"vision","vendor":"V","name":"Vision"}],"meters":[{"id":"images","unit":"image","aggregation":"sum"}],`+
				`"plans":[{"id":"vision-std","product":"vision","currency":"EUR","charges":[{"id":"base","type":"recurring","model":"flat","amount":"50"},`+
				`{"id":"images","type":"usage","meter":"images","model":"graduated","tiers":[{"up_to":100,"unit_price":"0.25"},{"unit_price":"0.125"}]}]}]}`,
				visionDraft)},
		{pattern: "POST /v1/catalog/drafts/{id}/reject", key: keyAdmin, path: at("/v1/catalog/drafts/V-1/reject"),
			seeds: bodies(`{"reason":"tier 2 below cost"}`)},
		{pattern: "POST /v1/rejects/replay", key: keyAdmin, path: at("/v1/rejects/replay"),
			seeds: bodies(`{"from":"2026-11-10T00:00:00Z","to":"2026-11-11T00:00:00Z","reason":"unknown_meter","source":"V"}`,
				`{"from":"2026-11-01","to":"2026-11-11"}`)},
	}
}

// FuzzCatalogBodies fuzzes the catalog moderation and rejects routes' bodies.
func FuzzCatalogBodies(f *testing.F) {
	h := newFuzzHarness(f, catalogFuzzWorld, catalogRoutes())
	f.Fuzz(func(t *testing.T, route uint8, body string) { h.check(t, route, "", body) })
}
