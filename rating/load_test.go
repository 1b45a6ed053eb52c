package rating_test

import (
	"strings"
	"testing"
)

// catLoadCase is a document with one mistake, marked "#<" on its line.
type catLoadCase struct {
	name  string
	doc   string
	path  string
	msg   string
	token string // column check: the error's column is where token starts on the marked line
}

// TestLoadRejects checks that each kind of mistake is reported with the field path, message and
// the exact line (the one marked "#<" in the document) and, where given, column.
func TestLoadRejects(t *testing.T) {
	tieredCharge := func(tiers string) string {
		return `      - id: calls
        type: usage
        meter: calls
        model: graduated
        tiers:
` + tiers
	}
	cases := []catLoadCase{
		{"unordered tiers", catDoc(tieredCharge(`          - up_to: 100
            unit_price: 1
          - up_to: 50 #<
            unit_price: 0.5
          - unit_price: 0.1
`), ""), "plans[0].charges[0].tiers[1].up_to", "must be greater than the previous tier's", "50"},
		{"equal tier bounds", catDoc(tieredCharge(`          - { up_to: 100, unit_price: 1 }
          - { up_to: 100, unit_price: 0.5 } #<
          - { unit_price: 0.1 }
`), ""), "plans[0].charges[0].tiers[1].up_to", "must be greater than the previous tier's", "100"},
		{"bounded last tier", catDoc(tieredCharge(`          - { up_to: 100, unit_price: 1 }
          - { up_to: 200, unit_price: 0.5 } #<
`), ""), "plans[0].charges[0].tiers[1].up_to", "last tier must be unbounded", "200"},
		{"unbounded middle tier", catDoc(tieredCharge(`          - { unit_price: 1 } #<
          - { unit_price: 0.5 }
`), ""), "plans[0].charges[0].tiers[0].up_to", "only the last tier may be unbounded", ""},
		{"negative price", catDoc(`      - id: calls
        type: usage
        meter: calls
        model: per_unit
        unit_price: -0.01 #<
`, ""), "plans[0].charges[0].unit_price", "must not be negative", "-0.01"},
		{"NaN price", catDoc(`      - id: calls
        type: usage
        meter: calls
        model: per_unit
        unit_price: .nan #<
`, ""), "plans[0].charges[0].unit_price", "want a decimal number", ".nan"},
		{"infinite tier bound", catDoc(tieredCharge(`          - { up_to: .inf, unit_price: 1 } #<
          - { unit_price: 0.5 }
`), ""), "plans[0].charges[0].tiers[0].up_to", "want a decimal number", ".inf"},
		{"empty price", catDoc(`      - id: calls
        type: usage
        meter: calls
        model: per_unit
        unit_price: #<
`, ""), "plans[0].charges[0].unit_price", "empty value", ""},
		{"empty quoted price", catDoc(`      - id: calls
        type: usage
        meter: calls
        model: per_unit
        unit_price: "" #<
`, ""), "plans[0].charges[0].unit_price", "empty value", `""`},
		{"text as price", catDoc(`      - id: calls
        type: usage
        meter: calls
        model: per_unit
        unit_price: "ten cents" #<
`, ""), "plans[0].charges[0].unit_price", "want a decimal number", `"ten`},
		{"negative allowance", catDoc(`      - id: calls
        type: usage
        meter: calls
        allowance: -5 #<
        model: per_unit
        unit_price: 1
`, ""), "plans[0].charges[0].allowance", "must not be negative", "-5"},
		{"unknown meter", catDoc(`      - id: calls
        type: usage
        meter: clals #<
        model: per_unit
        unit_price: 1
`, ""), "plans[0].charges[0].meter", `unknown meter "clals"`, "clals"},
		{"usage without meter", catDoc(`      - id: calls #<
        type: usage
        model: per_unit
        unit_price: 1
`, ""), "plans[0].charges[0].meter", "required for a usage charge", "id"},
		{"typo in field", catDoc(`      - id: calls
        type: usage
        meter: calls
        model: per_unit
        unit_prize: 1 #<
`, ""), "plans[0].charges[0].unit_prize", `unknown field; did you mean "unit_price"?`, "unit_prize"},
		{"field given twice", catDoc(`      - id: calls
        type: usage
        meter: calls
        model: per_unit
        unit_price: 1
        unit_price: 2 #<
`, ""), "plans[0].charges[0].unit_price", "field given twice", "unit_price"},
		{"field of another model", catDoc(`      - id: calls
        type: usage
        meter: calls
        model: per_unit
        unit_price: 1
        package_size: 10 #<
`, ""), "plans[0].charges[0].package_size", "not used by the per_unit model", "10"},
		{"unknown model", catDoc(`      - id: calls
        type: usage
        meter: calls
        model: tiered #<
        unit_price: 1
`, ""), "plans[0].charges[0].model", `unknown model "tiered"`, "tiered"},
		{"stairstep with unit price", catDoc(`      - id: calls
        type: usage
        meter: calls
        model: stairstep
        tiers:
          - { up_to: 10, flat_fee: 5, unit_price: 1 } #<
          - { flat_fee: 9 }
`, ""), "plans[0].charges[0].tiers[0].unit_price", "", "1 }"},
		{"duplicate charge id", catDoc(catUsage+`      - id: calls #<
        type: recurring
        model: flat
        amount: 1
`, ""), "plans[0].charges[1].id", `duplicate charge id "calls"`, "calls"},
		{"flat per seat", catDoc(catUsage+`      - id: seats
        type: recurring
        per_seat: true #<
        model: flat
        amount: 1
`, ""), "plans[0].charges[1].per_seat", "flat price ignores quantity", "true"},
		{"meter on recurring", catDoc(catUsage+`      - id: base
        type: recurring
        meter: calls #<
        model: flat
        amount: 1
`, ""), "plans[0].charges[1].meter", "only for usage charges", "calls"},
		{"pool with allowance", catDoc(`      - id: calls
        type: usage
        meter: calls
        pool: enterprise
        allowance: 10 #<
        model: per_unit
        unit_price: 1
`, ""), "plans[0].charges[0].allowance", "not supported on a pooled charge", "10"},
		{"unknown pool", catDoc(`      - id: calls
        type: usage
        meter: calls
        pool: galaxy #<
        model: per_unit
        unit_price: 1
`, ""), "plans[0].charges[0].pool", `unknown value "galaxy"`, "galaxy"},
		{"unknown charge type", catDoc(`      - id: calls
        type: monthly #<
        model: flat
        amount: 1
`, ""), "plans[0].charges[0].type", `unknown value "monthly"`, "monthly"},
	}
	cases = append(cases, catReferenceCases()...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := catLoadErrs(t, tc.doc)
			wantLine, wantCol := catMarked(t, tc.doc, tc.token)
			for _, e := range errs {
				if e.Path != tc.path {
					continue
				}
				if !strings.Contains(e.Message, tc.msg) {
					t.Errorf("message %q, want it to contain %q", e.Message, tc.msg)
				}
				if e.Line != wantLine {
					t.Errorf("line %d, want %d (%v)", e.Line, wantLine, e)
				}
				if wantCol > 0 && e.Column != wantCol {
					t.Errorf("column %d, want %d (%v)", e.Column, wantCol, e)
				}
				if e.File != "test.yaml" {
					t.Errorf("file %q, want test.yaml", e.File)
				}
				return
			}
			t.Errorf("no error at path %s; got %v", tc.path, errs)
		})
	}
}
