package billing_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// modCatalog has two vendors; V is also the channel's vendor account (catalog vendor ids and
// vendor account ids are the same, as in examples/).
const modCatalog = `
vendors: [{id: V}, {id: W}]
products: [{id: p1, vendor: V}, {id: mail, vendor: W}]
meters:
  - {id: calls, unit: call, aggregation: sum}
  - {id: emails, unit: email, aggregation: sum}
plans:
  - {id: basic, product: p1, currency: EUR, charges: [{id: base, type: recurring, model: flat, amount: 31}]}
  - {id: mail-std, product: mail, currency: EUR, charges: [{id: e, type: usage, meter: emails, model: per_unit, unit_price: 0.001}]}
`

// modDraft adds a product with its own meter and plan.
const modDraft = `
products: [{id: vision, vendor: V, name: Vision API}]
meters: [{id: images, unit: image, aggregation: sum}]
plans:
  - id: vision-std
    product: vision
    currency: EUR
    charges:
      - {id: base, type: recurring, model: flat, amount: 50}
      - {id: images, type: usage, meter: images, model: per_unit, unit_price: 0.25}
`

func TestModerationDraftValidation(t *testing.T) {
	w := newCatalogWorld(t, "mod", modCatalog)
	ctx := context.Background()
	tests := []struct {
		name, vendor, doc string
		kind              error
		msg               string
	}{
		{"another vendor's product", "V", "products: [{id: x, vendor: W}]", billing.ErrInvalid, "draft V-1:1:28: products[0].vendor: vendor V may not draft a product of vendor \"W\""},
		{"another vendor's plan", "V", "plans: [{id: mail-std, version: 2, product: mail, currency: EUR, effective_from: 2030-01-01, charges: [{id: b, type: recurring, model: flat, amount: 1}]}]",
			billing.ErrInvalid, "plans[0].id: plan \"mail-std\" belongs to vendor \"W\""},
		{"another vendor's meter", "V", "plans: [{id: spam, product: p1, currency: EUR, charges: [{id: e, type: usage, meter: emails, model: per_unit, unit_price: 1}]}]",
			billing.ErrInvalid, "plans[0].charges[0].meter: meter \"emails\" is priced by vendor \"W\"'s plans"},
		{"loader errors", "V", "plans: [{id: y, product: p1, currency: EUR, charges: [{id: c, type: usage, meter: nope, model: per_unit, unit_price: 1}]}]",
			billing.ErrInvalid, "unknown meter \"nope\""},
		{"not a vendor of the catalog", "ZZ", modDraft, billing.ErrNotFound, "vendor \"ZZ\" is not in the catalog"},
		{"no vendor", "", modDraft, billing.ErrInvalid, "vendor is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.svc.DraftCatalog(ctx, tc.vendor, []byte(tc.doc), "test")
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.kind, tc.msg)
			}
		})
	}
	if got := w.svc.CatalogDrafts("", ""); len(got) != 0 {
		t.Fatalf("refused drafts were recorded: %d", len(got))
	}
}

func TestModerationApprovedPlanIsSubscribedInvoicedAndSurvivesLoad(t *testing.T) {
	w := newCatalogWorld(t, "mod", modCatalog)
	ctx := context.Background()
	w.channel(1)
	var mu sync.Mutex
	var heard []*rating.Catalog
	w.svc.OnCatalog(func(c *rating.Catalog) { mu.Lock(); heard = append(heard, c); mu.Unlock() })

	d, err := w.svc.DraftCatalog(ctx, "V", []byte(modDraft), "api:v@V")
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != billing.DraftOpen || strings.Join(d.Plans, ",") != "vision-std@1" || strings.Join(d.Meters, ",") != "images" {
		t.Fatalf("draft = %+v", d)
	}
	subscribe := svcSubscribe(billing.NewSubscription{ID: "SV", Account: "K1", PlanID: "vision-std", Start: billingtest.Day(2026, 10, 1)})
	if err := w.svc.Do(ctx, subscribe); !errors.Is(err, billing.ErrNotFound) {
		t.Fatalf("subscribe to an unpublished plan: err = %v, want not found", err)
	}
	steps := []struct {
		name string
		do   func() (*billing.CatalogDraft, error)
		kind error
	}{
		{"approve before submit", func() (*billing.CatalogDraft, error) { return w.svc.ApproveCatalogDraft(ctx, d.ID, "admin") }, billing.ErrConflict},
		{"another vendor submits", func() (*billing.CatalogDraft, error) { return w.svc.SubmitCatalogDraft(ctx, d.ID, "W", "w") }, billing.ErrNotFound},
		{"submit", func() (*billing.CatalogDraft, error) { return w.svc.SubmitCatalogDraft(ctx, d.ID, "V", "v") }, nil},
		{"submit twice", func() (*billing.CatalogDraft, error) { return w.svc.SubmitCatalogDraft(ctx, d.ID, "V", "v") }, billing.ErrConflict},
		{"approve", func() (*billing.CatalogDraft, error) { return w.svc.ApproveCatalogDraft(ctx, d.ID, "admin") }, nil},
		{"reject after approval", func() (*billing.CatalogDraft, error) { return w.svc.RejectCatalogDraft(ctx, d.ID, "late", "admin") }, billing.ErrConflict},
	}
	for _, st := range steps {
		_, err := st.do()
		if (st.kind == nil && err != nil) || (st.kind != nil && !errors.Is(err, st.kind)) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.kind)
		}
	}
	if len(heard) != 1 {
		t.Fatalf("listeners heard %d catalogs, want 1", len(heard))
	}
	if _, ok := heard[0].PlanVersion("vision-std", 1); !ok {
		t.Fatal("the published catalog handed to listeners has no vision-std")
	}
	if _, ok := w.svc.Catalog().Meter("images"); !ok {
		t.Fatal("Service.Catalog has no images meter after approval")
	}

	w.do(subscribe)
	w.meterUsage("images", "i1", "K1", "SV", "40", billingtest.Day(2026, 10, 5), billingtest.Day(2026, 10, 5))
	w.run(billingtest.Day(2026, 10, 2))
	w.run(billingtest.Day(2026, 11, 2))
	want := map[string]decimal.Decimal{ // from modDraft: 50 per month in advance, 0.25 per image in arrears
		"base":   decimal.RequireFromString("50"),
		"images": decimal.RequireFromString("0.25").Mul(decimal.RequireFromString("40")),
	}
	checkVisionLines(t, w.svc, want)

	// A restarted process rebuilds the same published catalog from the events.
	w.svc = w.open()
	heard = nil
	w.svc.OnCatalog(func(c *rating.Catalog) { mu.Lock(); heard = append(heard, c); mu.Unlock() })
	if err := w.svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if len(heard) != 1 {
		t.Fatalf("after Load, listeners heard %d catalogs, want 1", len(heard))
	}
	got, ok := w.svc.CatalogDraft(d.ID)
	if !ok || got.Status != billing.DraftApproved || got.Published != 1 || got.DecidedBy != "admin" || got.CreatedBy != "api:v@V" {
		t.Fatalf("reloaded draft = %+v", got)
	}
	if _, ok := w.svc.Catalog().PlanVersion("vision-std", 1); !ok {
		t.Fatal("vision-std lost at Load")
	}
	if v := w.svc.CatalogVersion(); v != "test-1+drafts.1" {
		t.Fatalf("catalog version %q", v)
	}
	checkVisionLines(t, w.svc, want)
	w.run(billingtest.Day(2026, 12, 2)) // the plan keeps billing after a restart
	if n := len(w.svc.Invoices(billing.InvoiceFilter{Buyer: "K1"})); n < 3 {
		t.Fatalf("K1 has %d invoices after the December cycle", n)
	}
}

// checkVisionLines finds K1's vision-std lines and compares their amounts with want.
func checkVisionLines(t *testing.T, svc *billing.Service, want map[string]decimal.Decimal) {
	t.Helper()
	found := map[string]bool{}
	for _, inv := range svc.Invoices(billing.InvoiceFilter{Buyer: "K1"}) {
		for _, l := range inv.Lines {
			if l.PlanID != "vision-std" {
				continue
			}
			if amt, ok := want[l.ChargeID]; ok && l.Net.Equal(amt) {
				found[l.ChargeID] = true
				if inv.Catalog != "test-1+drafts.1" {
					t.Errorf("invoice %s priced with catalog %q", inv.ID, inv.Catalog)
				}
			}
		}
	}
	for ch := range want {
		if !found[ch] {
			t.Errorf("no vision-std %s line of %s on K1's invoices", ch, want[ch])
		}
	}
}

func TestModerationRejectAndConflict(t *testing.T) {
	w := newCatalogWorld(t, "mod", modCatalog)
	ctx := context.Background()
	w.clock.Set(time.Date(2026, 9, 21, 10, 0, 0, 0, time.UTC))
	a, err := w.svc.DraftCatalog(ctx, "V", []byte(modDraft), "v")
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.svc.DraftCatalog(ctx, "V", []byte(modDraft), "v") // the same ids: valid alone
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.svc.DraftCatalog(ctx, "V", []byte(strings.ReplaceAll(modDraft, "vision", "audio")), "v")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*billing.CatalogDraft{a, b, c} {
		if _, err := w.svc.SubmitCatalogDraft(ctx, d.ID, "V", "v"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.svc.ApproveCatalogDraft(ctx, a.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.ApproveCatalogDraft(ctx, b.ID, "admin"); !errors.Is(err, billing.ErrConflict) || !strings.Contains(err.Error(), "duplicate product id \"vision\"") {
		t.Fatalf("approve a draft whose ids were published since: err = %v, want conflict naming the product", err)
	}
	if _, err := w.svc.RejectCatalogDraft(ctx, c.ID, "  ", "admin"); !errors.Is(err, billing.ErrInvalid) {
		t.Fatalf("reject without reason: err = %v", err)
	}
	if _, err := w.svc.RejectCatalogDraft(ctx, c.ID, "images must be priced per 1000", "admin"); err != nil {
		t.Fatal(err)
	}
	w.svc = w.open()
	got := map[string]billing.DraftStatus{}
	for _, d := range w.svc.CatalogDrafts("V", "") {
		got[d.ID] = d.Status
		if d.ID == c.ID && d.Reason != "images must be priced per 1000" {
			t.Errorf("reason after reload = %q", d.Reason)
		}
	}
	want := map[string]billing.DraftStatus{a.ID: billing.DraftApproved, b.ID: billing.DraftSubmitted, c.ID: billing.DraftRejected}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("draft %s is %q after reload, want %q", id, got[id], st)
		}
	}
	if _, ok := w.svc.Catalog().Product("audio"); ok {
		t.Error("a rejected draft was published")
	}
	if n := len(w.svc.CatalogDrafts("W", "")); n != 0 {
		t.Errorf("vendor W sees %d drafts, want 0", n)
	}
}
