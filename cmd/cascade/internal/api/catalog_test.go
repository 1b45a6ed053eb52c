package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/billing"
)

// visionDraft is vendor V's draft: a product with its own meter and plan.
const visionDraft = `
products: [{id: vision, vendor: V, name: Vision}]
meters: [{id: images, unit: image, aggregation: sum}]
plans:
  - id: vision-std
    product: vision
    currency: EUR
    charges:
      - {id: base, type: recurring, model: flat, amount: 50}
      - {id: images, type: usage, meter: images, model: graduated, tiers: [{up_to: 100, unit_price: 0.25}, {unit_price: "0.125"}]}
`

type moreCatalogAnswer struct {
	Version string `json:"version"`
	Plans   []struct {
		ID       string `json:"id"`
		Version  int    `json:"version"`
		Currency string `json:"currency"`
		Charges  []struct {
			ID    string `json:"id"`
			Model string `json:"model"`
			Tiers []struct {
				UpTo      string `json:"up_to"`
				UnitPrice string `json:"unit_price"`
			} `json:"tiers"`
		} `json:"charges"`
	} `json:"plans"`
}

func (c moreCatalogAnswer) has(plan string) bool {
	for _, p := range c.Plans {
		if p.ID == plan {
			return true
		}
	}
	return false
}

func TestCatalogModerationOverHTTP(t *testing.T) {
	w := newMoreWorld(t, false)
	var d billing.CatalogDraft
	w.callJSON("POST", "/v1/catalog/drafts", "vendor-v", []byte(visionDraft), http.StatusCreated, &d)
	if d.Vendor != "V" || d.Status != billing.DraftOpen || strings.Join(d.Plans, ",") != "vision-std@1" || d.CreatedBy != "api:vendor-v@V" {
		t.Fatalf("draft = %+v", d)
	}
	var cat moreCatalogAnswer
	w.callJSON("GET", "/v1/catalog", "reseller-2", nil, http.StatusOK, &cat)
	if cat.has("vision-std") {
		t.Fatal("an unapproved draft is in the published catalog")
	}

	// Scoping: W sees neither the draft nor it in its list; an admin sees it.
	steps := []struct {
		name, method, path, key, body string
		status                        int
		message                       string // part of the error message
	}{
		{"W cannot read V's draft", "GET", "/v1/catalog/drafts/" + d.ID, "vendor-w", "", http.StatusNotFound, "catalog draft " + d.ID + ": not found"},
		{"W cannot submit V's draft", "POST", "/v1/catalog/drafts/" + d.ID + "/submit", "vendor-w", "", http.StatusNotFound, "not found"},
		{"V cannot draft for W's product", "POST", "/v1/catalog/drafts", "vendor-v", "products: [{id: fax, vendor: W}]", http.StatusBadRequest, "products[0].vendor: vendor V may not draft a product of vendor \"W\""},
		{"V cannot price W's meter", "POST", "/v1/catalog/drafts", "vendor-v",
			"plans: [{id: spam, product: p1, currency: EUR, charges: [{id: e, type: usage, meter: emails, model: per_unit, unit_price: 1}]}]",
			http.StatusBadRequest, "plans[0].charges[0].meter: meter \"emails\" is priced by vendor \"W\"'s plans"},
		{"loader position", "POST", "/v1/catalog/drafts", "vendor-v", "plans:\n  - {id: x, product: p1, currency: EURO, charges: []}", http.StatusBadRequest, ":2:"},
		{"empty body", "POST", "/v1/catalog/drafts", "vendor-v", "  ", http.StatusBadRequest, "draft document"},
		{"approve before submit", "POST", "/v1/catalog/drafts/" + d.ID + "/approve", "admin", "", http.StatusConflict, "only a submitted draft"},
		{"V submits", "POST", "/v1/catalog/drafts/" + d.ID + "/submit", "vendor-v", "", http.StatusOK, ""},
		{"analyst cannot approve", "POST", "/v1/catalog/drafts/" + d.ID + "/approve", "analyst", "", http.StatusForbidden, "may not call"},
		{"vendor cannot approve its own", "POST", "/v1/catalog/drafts/" + d.ID + "/approve", "vendor-v", "", http.StatusForbidden, "may not call"},
		{"admin approves", "POST", "/v1/catalog/drafts/" + d.ID + "/approve", "admin", "", http.StatusOK, ""},
		{"unknown draft", "POST", "/v1/catalog/drafts/V-99/approve", "admin", "", http.StatusNotFound, "V-99"},
	}
	for _, st := range steps {
		var body []byte
		if st.body != "" {
			body = []byte(st.body)
		}
		status, b := w.call(st.method, st.path, st.key, body)
		if status != st.status {
			t.Fatalf("%s: status %d, want %d: %s", st.name, status, st.status, b)
		}
		if st.message != "" && !strings.Contains(moreError(t, b).Error.Message, st.message) {
			t.Fatalf("%s: message %q, want it to contain %q", st.name, moreError(t, b).Error.Message, st.message)
		}
	}
	var list struct{ Drafts []billing.CatalogDraft }
	w.callJSON("GET", "/v1/catalog/drafts", "vendor-w", nil, http.StatusOK, &list)
	if len(list.Drafts) != 0 {
		t.Fatalf("vendor W lists %d drafts, want 0", len(list.Drafts))
	}
	w.callJSON("GET", "/v1/catalog/drafts?status=approved", "admin", nil, http.StatusOK, &list)
	if len(list.Drafts) != 1 || list.Drafts[0].ID != d.ID || list.Drafts[0].DecidedBy != "api:admin" {
		t.Fatalf("admin lists %+v, want the approved draft", list.Drafts)
	}

	w.callJSON("GET", "/v1/catalog", "reseller-2", nil, http.StatusOK, &cat)
	if !cat.has("vision-std") || cat.Version != "more-1+drafts.1" {
		t.Fatalf("published catalog %s has vision-std: %v", cat.Version, cat.has("vision-std"))
	}
	for _, p := range cat.Plans {
		if p.ID == "vision-std" {
			tiers := p.Charges[1].Tiers
			if len(tiers) != 2 || tiers[0].UpTo != "100" || tiers[0].UnitPrice != "0.25" || tiers[1].UpTo != "" || tiers[1].UnitPrice != "0.125" {
				t.Fatalf("vision-std tiers = %+v", tiers)
			}
		}
	}

	// A second draft is rejected with a reason the vendor reads.
	var d2 billing.CatalogDraft
	w.callJSON("POST", "/v1/catalog/drafts", "vendor-v", []byte(strings.NewReplacer("vision", "audio", "images", "sounds").Replace(visionDraft)), http.StatusCreated, &d2)
	w.callJSON("POST", "/v1/catalog/drafts/"+d2.ID+"/submit", "vendor-v", nil, http.StatusOK, nil)
	if status, b := w.call("POST", "/v1/catalog/drafts/"+d2.ID+"/reject", "admin", []byte(`{"reason":""}`)); status != http.StatusBadRequest {
		t.Fatalf("reject without reason: %d %s", status, b)
	}
	w.callJSON("POST", "/v1/catalog/drafts/"+d2.ID+"/reject", "admin", []byte(`{"reason":"tier 2 below cost"}`), http.StatusOK, nil)
	var got billing.CatalogDraft
	w.callJSON("GET", "/v1/catalog/drafts/"+d2.ID, "vendor-v", nil, http.StatusOK, &got)
	if got.Status != billing.DraftRejected || got.Reason != "tier 2 below cost" {
		t.Fatalf("rejected draft = %+v", got)
	}
}
