package billing_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// TestRenderZeroDecimalCurrency: a JPY invoice priced from fractional quantities and a unit
// price of 12.5 shows no fraction of money anywhere, in JSON or HTML.
func TestRenderZeroDecimalCurrency(t *testing.T) {
	f := newBuildFix(t)
	oct, nov := month(2026, time.October), month(2026, time.November)
	for _, hours := range []string{"0.5", "300.7", "499.99", "5123.33", "777.77"} {
		inv := mustBuild(t, f.input("sakura", oct,
			usage("S-JP", "compute-jp", oct, oct, true, map[string]string{"compute_hours": hours}),
			recurring("S-JP", "compute-jp", "support", billing.Period{From: day(2026, 11, 12), To: nov.To}, nov, 0)))
		var doc map[string]any
		if err := json.Unmarshal(renderedJSON(t, inv), &doc); err != nil {
			t.Fatal(err)
		}
		money := map[string]bool{"amount": true, "net": true, "tax": true, "gross": true, "subtotal": true, "total": true, "credited": true}
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					if s, ok := e.(string); ok && money[k] && strings.Contains(s, ".") {
						t.Errorf("hours %s: %s.%s = %q shows a fraction of a yen", hours, path, k, s)
					}
					walk(path+"."+k, e)
				}
			case []any:
				for _, e := range x {
					walk(path+"[]", e)
				}
			}
		}
		walk("invoice", doc)
		var h bytes.Buffer
		if err := billing.RenderHTML(&h, inv); err != nil {
			t.Fatal(err)
		}
		// every amount cell (the Amount column and the totals) is a whole number of yen
		cells := regexp.MustCompile(`<td class="num">(-?[0-9,.]+)(?: JPY)?</td><td class="num">(?:[0-9.]+%)?</td></tr>|<td class="num">(-?[0-9,.]+) JPY</td>`).FindAllStringSubmatch(h.String(), -1)
		if len(cells) == 0 {
			t.Fatal("no amount cells found in the HTML")
		}
		for _, c := range cells {
			if strings.Contains(c[1]+c[2], ".") {
				t.Errorf("hours %s: HTML amount %q shows a fraction of a yen", hours, c[0])
			}
		}
	}
}

// TestRenderJSONShape: stable output, decimals as strings, amounts with the currency's digits.
func TestRenderJSONShape(t *testing.T) {
	f := newBuildFix(t)
	nov := month(2026, time.November)
	inv := mustBuild(t, f.input("acme", nov, recurring("S", "team", "seats", nov, nov, 3)))
	a, b := renderedJSON(t, inv), renderedJSON(t, inv)
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings differ")
	}
	var doc struct {
		Total string `json:"total"`
		Lines []struct {
			Amount    string `json:"amount"`
			UnitPrice string `json:"unit_price"`
			Quantity  string `json:"quantity"`
		} `json:"lines"`
		Taxes []struct {
			Rate string `json:"rate"`
		} `json:"taxes"`
	}
	if err := json.Unmarshal(a, &doc); err != nil {
		t.Fatalf("decimals must be JSON strings: %v", err)
	}
	if doc.Total != "32.09" || doc.Lines[0].Amount != "26.97" || doc.Lines[0].UnitPrice != "8.99" || doc.Lines[0].Quantity != "3" || doc.Taxes[0].Rate != "19" {
		t.Errorf("got %+v", doc)
	}
	if !bytes.HasPrefix(a, []byte("{\n  \"id\"")) {
		t.Errorf("want indented JSON starting with the id, got %.40q", a)
	}
	var back billing.Invoice
	if err := json.Unmarshal(a, &back); err != nil || !back.Total.Equal(inv.Total) || len(back.Lines) != len(inv.Lines) {
		t.Errorf("the document does not read back into an Invoice: %v", err)
	}
}

// TestRenderHTML: self-contained, printable, escaped, and honest about drafts.
func TestRenderHTML(t *testing.T) {
	f := newBuildFix(t)
	nov := month(2026, time.November)
	draft := mustBuild(t, f.input("acme", nov, recurring("S", "team", "seats", nov, nov, 3)))
	draft.Buyer.Name = `Evil <script>alert(1)</script> & Co`
	issued := *draft
	issued.Number, issued.Status, issued.IssuedAt, issued.DueAt = "nimbus-2026-000042", billing.StatusIssued, day(2026, 11, 1), day(2026, 11, 15)
	credit := issued
	credit.Kind, credit.Number, credit.RefersTo = billing.DocCreditNote, "nimbus-CN-2026-000001", issued.ID
	cases := []struct {
		name    string
		inv     *billing.Invoice
		want    []string
		notWant []string
	}{
		{"draft", draft, []string{"DRAFT", "@page { size: A4", "Evil &lt;script&gt;", "VAT 19%", "32.09 EUR", "Team — seats × 3"},
			[]string{"<script>", "http://", "https://", "<link", "src="}},
		{"issued", &issued, []string{"No. nimbus-2026-000042", "Issued: 1 Nov 2026", "Due: 15 Nov 2026"}, []string{"DRAFT"}},
		{"credit note", &credit, []string{"<h1>Credit note</h1>", "Credits invoice " + issued.ID}, []string{"<h1>Invoice</h1>"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := billing.RenderHTML(&b, tc.inv); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("HTML lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(b.String(), w) {
					t.Errorf("HTML contains %q", w)
				}
			}
		})
	}
	bad := *draft
	bad.Currency = "XXX1"
	if err := billing.RenderHTML(&bytes.Buffer{}, &bad); err == nil {
		t.Error("an unknown currency rendered")
	}
}
