package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/rating"
)

const (
	exampleCatalog = "../../examples/catalog.yaml"
	exampleTaxes   = "../../examples/taxes.yaml"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestPriceJSONMatchesLibraryQuote checks that the CLI prints what rating.Quote computes,
// money at the currency's minor unit.
func TestPriceJSONMatchesLibraryQuote(t *testing.T) {
	code, out, errOut := runCLI(t, "price", "--catalog", exampleCatalog, "--plan", "api-pro",
		"--usage", "api_calls=2500000", "--usage", "payment_volume=180000.50", "--seats", "3",
		"--coupon", "WELCOME10", "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var got quoteOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	cat, err := rating.LoadFile(exampleCatalog)
	if err != nil {
		t.Fatal(err)
	}
	d := decimal.RequireFromString
	want, err := cat.Quote(rating.QuoteInput{PlanID: "api-pro", Seats: d("3"), Coupon: "WELCOME10",
		Usage: map[string]decimal.Decimal{"api_calls": d("2500000"), "payment_volume": d("180000.50")}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != want.Total.StringFixed(2) || got.Currency != "EUR" || got.Version != want.Version {
		t.Errorf("total %s %s v%d, want %s EUR v%d", got.Total, got.Currency, got.Version, want.Total.StringFixed(2), want.Version)
	}
	if len(got.Lines) != len(want.Lines) {
		t.Fatalf("%d lines, want %d", len(got.Lines), len(want.Lines))
	}
	// Worked by hand: calls 2.4M billable → 200 + 210 + 10 = 420; -5 % = -21; payments 2120.0045 → 2120.00;
	// seats 37.50; platform 49; onboarding 299; subtotal 2904.50; WELCOME10 -290.45.
	if got.Total != "2614.05" {
		t.Errorf("total %s, want 2614.05", got.Total)
	}
}

func TestPriceTableShowsTiersAndTotal(t *testing.T) {
	code, out, errOut := runCLI(t, "price", "--catalog", exampleCatalog, "--plan", "compute-jp",
		"--usage", "compute_hours=600.5", "--usage", "payment_volume=0")
	if code != exitOK {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	// JPY has no minor unit: 500 × 12.5 + 100.5 × 9.8 = 7234.9 → 7235; support 3000; the
	// payment charge of a zero amount is 0; 10235 ≥ the 10000 commitment.
	for _, want := range []string{"tier 1 (0 < q ≤ 500)", "tier 2 (500 < q ≤ 5000)", "7235", "TOTAL", "10235 JPY"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestPriceBadInputIsOneLineAndExit2(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown plan", []string{"--plan", "nope"}, `unknown plan`},
		{"unknown meter", []string{"--plan", "api-pro", "--usage", "nope=1"}, `usage[nope]`},
		{"negative quantity", []string{"--plan", "api-pro", "--usage", "api_calls=-1"}, `must not be negative`},
		{"not a number", []string{"--plan", "api-pro", "--usage", "api_calls=1e"}, `not a decimal number`},
		{"empty quantity", []string{"--plan", "api-pro", "--usage", "api_calls="}, `quantity is empty`},
		{"meter twice", []string{"--plan", "api-pro", "--usage", "api_calls=1", "--usage", "api_calls=2"}, `given twice`},
		{"unknown coupon", []string{"--plan", "api-pro", "--coupon", "NOPE"}, `unknown coupon`},
		{"expired coupon", []string{"--plan", "compute-jp", "--coupon", "JPLAUNCH", "--at", "2026-11-01"}, `expired`},
		{"bad date", []string{"--plan", "api-pro", "--at", "11/01/2026"}, `want YYYY-MM-DD`},
		{"bad format", []string{"--plan", "api-pro", "--format", "xml"}, `want table or json`},
		{"missing plan", nil, `--plan is required`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"price", "--catalog", exampleCatalog}, tt.args...)...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if out != "" {
				t.Errorf("stdout not empty: %q", out)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q: want one line containing %q", errOut, tt.want)
			}
		})
	}
}

func TestPriceBadCatalogNamesFileAndLine(t *testing.T) {
	path := t.TempDir() + "/bad.yaml"
	bad := "vendors: [{id: v, name: V}]\nproducts: [{id: p, vendor: v, name: P}]\nmeters: []\nplans:\n  - id: x\n    version: 1\n    product: p\n    name: X\n    billing_period: month\n    charges:\n      - {id: c, type: recurring, model: flat, amount: -1}\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "price", "--catalog", path, "--plan", "x")
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(errOut, "bad.yaml:") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("stderr %q: want one line naming bad.yaml:LINE", errOut)
	}
}

func TestUnknownCommandExit2(t *testing.T) {
	if code, _, errOut := runCLI(t, "frobnicate"); code != exitUsage || !strings.Contains(errOut, "unknown command") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestPriceDocExampleIsTrue runs the example of docs/cli.md and compares the output.
func TestPriceDocExampleIsTrue(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	start := strings.Index(text, "plan api-pro version 2")
	end := strings.Index(text[start:], "EUR\n```")
	if start < 0 || end < 0 {
		t.Fatal("docs/cli.md: price example not found")
	}
	want := text[start:start+end] + "EUR\n"
	code, out, errOut := runCLI(t, "price", "--catalog", exampleCatalog, "--plan", "api-pro",
		"--usage", "api_calls=2500000", "--usage", "payment_volume=180000.50", "--seats", "3", "--coupon", "WELCOME10")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasSuffix(out, want) {
		t.Errorf("docs/cli.md example differs from the real output:\n--- doc\n%s--- real\n%s", want, out)
	}
}

func TestCatalogCheck(t *testing.T) {
	code, out, errOut := runCLI(t, "catalog", "check", exampleCatalog)
	if code != exitOK || !strings.Contains(out, "ok — 1 vendors, 3 products, 6 meters, 3 plans (4 versions)") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	path := t.TempDir() + "/bad.yaml"
	bad := "vendors: [{id: v, name: V}]\nproducts: [{id: p, vendor: v, name: P}]\nmeters: []\nplans:\n  - id: x\n    version: 1\n    product: p\n    name: X\n    billing_period: month\n    charges:\n      - {id: c, type: usage, meter: nope, model: per_unit, unit_price: 1}\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "catalog", "check", path)
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	// Two problems: the missing currency (line 5) and the unknown meter (line 11), in line order.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "bad.yaml:5:") || !strings.Contains(lines[0], "plans[0].currency") ||
		!strings.Contains(lines[1], "bad.yaml:11:") || !strings.Contains(lines[1], "plans[0].charges[0].meter") {
		t.Errorf("problems listed:\n%s", out)
	}
	if !strings.Contains(errOut, "2 problem(s)") {
		t.Errorf("stderr %q", errOut)
	}
}
