package rating_test

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// TestLoadCollectsAllErrorsSorted: one run reports every mistake, in file order, each formatted
// file:line:column: path: message.
func TestLoadCollectsAllErrorsSorted(t *testing.T) {
	doc := catDoc(`      - id: calls
        type: usage
        meter: nope
        model: per_unit
        unit_price: -1
`, `coupons:
  - { code: X, plan: ghost, percent: 10 }
`)
	errs := catLoadErrs(t, doc)
	wantPaths := []string{"plans[0].charges[0].meter", "plans[0].charges[0].unit_price", "coupons[0].plan"}
	var got []string
	for _, e := range errs {
		got = append(got, e.Path)
	}
	if !slices.Equal(got, wantPaths) {
		t.Fatalf("paths %v, want %v", got, wantPaths)
	}
	for i := 1; i < len(errs); i++ {
		if errs[i].Line < errs[i-1].Line {
			t.Errorf("errors not sorted by line: %v", errs)
		}
	}
	e := errs[0]
	want := "test.yaml:" + strings.Join([]string{catI(e.Line), catI(e.Column)}, ":") + ": plans[0].charges[0].meter: unknown meter \"nope\""
	if e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
	_, err := rating.Load("test.yaml", []byte(doc))
	if n := strings.Count(err.Error(), "\n") + 1; n != len(wantPaths) {
		t.Errorf("joined error has %d lines, want %d:\n%v", n, len(wantPaths), err)
	}
}

func catI(i int) string { return decimal.NewFromInt(int64(i)).String() }

// TestLoadDecimalsFromText: values keep the exact digits written, whether plain, quoted or
// with an exponent; nothing passes through float64.
func TestLoadDecimalsFromText(t *testing.T) {
	cases := []struct{ literal, want string }{
		{"0.1", "0.1"},
		{`"0.1"`, "0.1"},
		{"'0.30'", "0.3"},
		{"0.000001", "0.000001"},
		{"1e-6", "0.000001"},
		{"12345678901234567890.123456789", "12345678901234567890.123456789"},
		{"0.1000000000000000055511151231257827", "0.1000000000000000055511151231257827"},
		{"7", "7"},
	}
	for _, tc := range cases {
		t.Run(tc.literal, func(t *testing.T) {
			c := catMustLoad(t, catDoc(`      - id: calls
        type: usage
        meter: calls
        model: per_unit
        unit_price: `+tc.literal+"\n", ""))
			p, _ := c.Plan("basic")
			ch, _ := p.Charge("calls")
			if want := decimal.RequireFromString(tc.want); !ch.Spec.UnitPrice.Equal(want) {
				t.Errorf("unit_price %s, want %s", ch.Spec.UnitPrice, want)
			}
			if got := ch.Model.Price(decimal.NewFromInt(3)); !got.Equal(decimal.RequireFromString(tc.want).Mul(decimal.NewFromInt(3))) {
				t.Errorf("Price(3) = %s", got)
			}
		})
	}
	for _, bad := range []string{".inf", "-.inf", ".NaN", "0x10", "1_000", "1e400", "true", "~", "[1]", "1.2.3", "+"} {
		t.Run("reject "+bad, func(t *testing.T) {
			doc := catDoc(`      - id: calls
        type: usage
        meter: calls
        model: per_unit
        unit_price: `+bad+" #<\n", "")
			errs := catLoadErrs(t, doc)
			line, col := catMarked(t, doc, bad)
			if len(errs) != 1 || errs[0].Path != "plans[0].charges[0].unit_price" || errs[0].Line != line || errs[0].Column != col {
				t.Errorf("got %v, want one error at plans[0].charges[0].unit_price %d:%d", errs, line, col)
			}
		})
	}
}

// TestLoadSyntaxAndEmpty: parser errors and empty files are *LoadError with a position too.
func TestLoadSyntaxAndEmpty(t *testing.T) {
	// The parser places some errors on the line where it noticed them, not where the
	// author slipped, so the check is that a position inside the document is given.
	cases := []struct{ name, doc, msg string }{
		{"empty", "", "empty catalog"},
		{"comment only", "# nothing\n", "empty catalog"},
		{"bad indentation", "vendors:\n  - id: a\n name: b\n", "did not find expected key"},
		{"unclosed flow", "vendors: [ {id: a}\n", "did not find expected"},
		{"tab indent", "vendors:\n\t- id: a\n", "cannot start any token"},
		{"scalar document", "hello\n", "want a mapping"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := catLoadErrs(t, tc.doc)
			lines := strings.Count(tc.doc, "\n") + 1
			if errs[0].Line < 1 || errs[0].Line > lines {
				t.Errorf("line %d, want 1..%d: %v", errs[0].Line, lines, errs[0])
			}
			if !strings.Contains(errs[0].Message, tc.msg) {
				t.Errorf("message %q, want it to contain %q", errs[0].Message, tc.msg)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	_, err := rating.LoadFile("testdata/does-not-exist.yaml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile(missing) = %v, want fs.ErrNotExist", err)
	}
	_, err = rating.LoadFile("testdata/invalid.yaml")
	errs := rating.LoadErrors(err)
	if len(errs) == 0 || errs[0].File != "testdata/invalid.yaml" {
		t.Fatalf("LoadFile(invalid) = %v, want LoadErrors naming the file", err)
	}
}

// TestLoadAliases: anchors and aliases share tiers between charges, and alias bombs are cut off.
func TestLoadAliases(t *testing.T) {
	c := catMustLoad(t, catDoc(`      - id: calls
        type: usage
        meter: calls
        model: volume
        tiers: &t
          - { up_to: 10, unit_price: 2 }
          - { unit_price: 1 }
      - id: gb
        type: usage
        meter: gb
        model: graduated
        tiers: *t
`, ""))
	p, _ := c.Plan("basic")
	gb, _ := p.Charge("gb")
	if got := gb.Model.Price(decimal.NewFromInt(20)); !got.Equal(decimal.NewFromInt(30)) {
		t.Errorf("graduated over aliased tiers: Price(20) = %s, want 30", got)
	}
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 8; i++ {
		prev := "*a" + catI(i-1)
		b.WriteString("a" + catI(i) + ": &a" + catI(i) + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	b.WriteString("vendors: *a8\n")
	errs := catLoadErrs(t, b.String())
	if len(errs) > 100 {
		t.Errorf("alias bomb produced %d errors; want the budget to stop it", len(errs))
	}

	// A bomb that the schema descends into: 3000 entries, each the same 1000 tiers.
	b.Reset()
	b.WriteString(catDoc(catUsage, "price_lists:\n  - id: l\n    channel: reseller\n    entries:\n"))
	b.WriteString("      - &e { plan: basic, charge: calls, model: graduated, tiers: [&t { up_to: 1 }")
	b.WriteString(strings.Repeat(", *t", 999) + "] }\n")
	b.WriteString(strings.Repeat("      - *e\n", 3000))
	start := time.Now()
	errs = catLoadErrs(t, b.String())
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("descending alias bomb took %s", d)
	}
	found := false
	for _, e := range errs {
		found = found || strings.Contains(e.Message, "document too large")
	}
	if !found || len(errs) > 1000 {
		t.Errorf("want a 'document too large' error among at most 1000, got %d errors: %v", len(errs), errs[:min(3, len(errs))])
	}
}
