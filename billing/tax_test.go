package billing_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// TestTaxTreatment: the buyer's jurisdiction decides; reverse charge only for a business buyer
// (tax id) abroad under a rule that allows it.
func TestTaxTreatment(t *testing.T) {
	f := newBuildFix(t)
	cases := []struct {
		name, jur, taxID string
		rate             string
		inclusive, rc    bool
	}{
		{"domestic consumer", "DE", "", "19", false, false},
		{"domestic business: no reverse charge", "DE", "DE999", "19", false, false},
		{"EU business abroad: reverse charge", "FR", "FR123", "0", false, true},
		{"EU consumer abroad: destination VAT", "FR", "", "20", false, false},
		{"rule without reverse charge", "GB", "GB123", "20", true, false},
		{"zero-rated jurisdiction", "US-CA", "94-1", "0", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			buyer := &billing.Account{ID: "b", TaxJurisdiction: tc.jur, TaxID: tc.taxID}
			got, err := f.taxes.Treatment(f.issuer, buyer)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Rate.Equal(dec(tc.rate)) || got.Inclusive != tc.inclusive || got.ReverseCharge != tc.rc || got.Jurisdiction != tc.jur {
				t.Errorf("got %+v, want rate %s inclusive %v reverse charge %v in %s", got, tc.rate, tc.inclusive, tc.rc, tc.jur)
			}
		})
	}
	_, err := f.taxes.Treatment(f.issuer, &billing.Account{ID: "b", TaxJurisdiction: "ZZ"})
	if !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), `"ZZ"`) {
		t.Errorf("unknown jurisdiction: got %v, want ErrInvalid naming ZZ", err)
	}
}

// TestTaxPerLine: tax is rounded per line with the plan's mode, negative lines carry negative
// tax, inclusive prices extract the tax. Amounts are chosen on half-cent boundaries.
func TestTaxPerLine(t *testing.T) {
	f := newBuildFix(t)
	nov := month(2026, time.November)
	cases := []struct {
		name, buyer     string
		item            billing.Item
		net, tax, gross string
	}{
		// 3 × 8.99 = 26.97 × 19 % = 5.1243
		{"exclusive", "acme", recurring("S", "team", "seats", nov, nov, 3), "26.97", "5.12", "32.09"},
		// 5 × 8.99 = 44.95 × 19 % = 8.5405
		{"exclusive, 5 seats", "acme", recurring("S", "team", "seats", nov, nov, 5), "44.95", "8.54", "53.49"},
		// 3 × 7.99 = 23.97; 23.97 × 20/120 = 3.995 → 4.00 half up
		{"inclusive half cent", "brit", recurring("S", "team-uk", "seats", nov, nov, 3), "19.97", "4.00", "23.97"},
		// a credit of 19 × 17/30 = −10.77; × 19 % = −2.0463
		{"negative line", "acme", func() billing.Item {
			it := recurring("S", "api-basic", "platform", billing.Period{From: day(2026, 11, 14), To: nov.To}, nov, 0)
			it.Kind = billing.ItemProrationCredit
			return it
		}(), "-10.77", "-2.05", "-12.82"},
		{"reverse charge", "lumiere", recurring("S", "team", "seats", nov, nov, 3), "26.97", "0.00", "26.97"},
		// JPY 3000 inclusive 10 %: 272.7272… → 273
		{"JPY inclusive", "sakura", recurring("S", "compute-jp", "support", nov, nov, 0), "2727", "273", "3000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := billing.Build(f.input(tc.buyer, nov, tc.item))
			if err != nil {
				t.Fatal(err)
			}
			l := inv.Lines[0]
			if !l.Net.Equal(dec(tc.net)) || !l.Tax.Equal(dec(tc.tax)) || !l.Gross.Equal(dec(tc.gross)) {
				t.Errorf("net/tax/gross %s/%s/%s, want %s/%s/%s", l.Net, l.Tax, l.Gross, tc.net, tc.tax, tc.gross)
			}
			checkInvoiceAddsUp(t, inv)
		})
	}
}

// TestParseTaxRulesErrors: every mistake is reported with file:line:column and field path.
func TestParseTaxRulesErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"not a mapping", "- DE", []string{"t.yaml:1:1: want a mapping"}},
		{"missing jurisdictions", "other: 1", []string{"t.yaml:1:1: other: unknown field", "t.yaml:1:1: jurisdictions: required field missing"}},
		{"bad rate", "jurisdictions:\n  DE: { name: VAT, rate: nineteen }\n", []string{`t.yaml:2:26: jurisdictions.DE.rate: want a percentage like 19 or 7.7, got "nineteen"`}},
		{"rate over 100", "jurisdictions:\n  DE: { name: VAT, rate: 119 }\n", []string{"t.yaml:2:26: jurisdictions.DE.rate: must be between 0 and 100"}},
		{"negative rate", "jurisdictions:\n  DE: { name: VAT, rate: -1 }\n", []string{"jurisdictions.DE.rate: want a percentage"}},
		{"typo in a field", "jurisdictions:\n  DE: { name: VAT, rate: 19, inclusiv: true }\n", []string{"t.yaml:2:30: jurisdictions.DE.inclusiv: unknown field"}},
		{"bool as string", "jurisdictions:\n  DE: { name: VAT, rate: 19, inclusive: \"yes\" }\n", []string{`jurisdictions.DE.inclusive: want true or false, got "yes"`}},
		{"missing name and rate", "jurisdictions:\n  DE: {}\n", []string{"jurisdictions.DE.name: required", "jurisdictions.DE.rate: required field missing"}},
		{"bad code", "jurisdictions:\n  germany: { name: VAT, rate: 19 }\n", []string{"t.yaml:2:3: jurisdictions.germany: jurisdiction code must look like DE or US-CA"}},
		{"duplicate code", "jurisdictions:\n  DE: { name: VAT, rate: 19 }\n  DE: { name: VAT, rate: 7 }\n", []string{"jurisdictions.DE"}},
		{"syntax", "jurisdictions: [\n", []string{"t.yaml:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := billing.ParseTaxRules("t.yaml", []byte(tc.yaml))
			if !errors.Is(err, billing.ErrInvalid) {
				t.Fatalf("got %v, want an ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestLoadTaxRulesExample: the shipped example rules load and cover the example markets.
func TestLoadTaxRulesExample(t *testing.T) {
	r, err := billing.LoadTaxRules("../examples/taxes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"DE": "19", "FR": "20", "JP": "10", "US-CA": "0"}
	for code, rate := range want {
		j, ok := r.Jurisdictions[code]
		if !ok || !j.Rate.Equal(dec(rate)) || j.Name == "" {
			t.Errorf("%s: got %+v, want rate %s", code, j, rate)
		}
	}
	if !r.Jurisdictions["DE"].ReverseCharge || r.Jurisdictions["DE"].Inclusive {
		t.Errorf("DE must be exclusive with reverse charge: %+v", r.Jurisdictions["DE"])
	}
	if _, err := billing.LoadTaxRules("testdata/missing.yaml"); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: got %v", err)
	}
}

// FuzzParseTaxRules: the decoder never panics, and what it accepts is well formed.
func FuzzParseTaxRules(f *testing.F) {
	f.Add([]byte("jurisdictions:\n  DE: { name: VAT, rate: 19, reverse_charge: true }\n"))
	f.Add([]byte("jurisdictions:\n  JP: { name: Consumption tax, rate: 10, inclusive: true }\n"))
	f.Add([]byte("jurisdictions: &a\n  X: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := billing.ParseTaxRules("f.yaml", data)
		if err != nil {
			return
		}
		for code, j := range r.Jurisdictions {
			if j.Code != code || j.Name == "" || j.Rate.IsNegative() || j.Rate.GreaterThan(dec("100")) {
				t.Fatalf("accepted a bad rule %q: %+v", code, j)
			}
		}
	})
}
