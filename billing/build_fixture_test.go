package billing_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// The golden invoices are rewritten with `go test ./billing -run Golden -update`. The flag is
// shared by every golden test of the package: other files must not define it again, but read
// it with flag.Lookup("update") (as buildUpdating does) if they need it.
var _ = flag.Bool("update", false, "rewrite golden files under testdata")

// buildUpdating reads the -update flag after the test binary parsed its flags.
func buildUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// buildFix is the builder tests' world: the test catalog, tax rules and accounts.
type buildFix struct {
	cat    *rating.Catalog
	taxes  *billing.TaxRules
	issuer *billing.Account
	buyers map[string]*billing.Account
}

func newBuildFix(tb testing.TB) *buildFix {
	tb.Helper()
	cat, err := rating.LoadFile("testdata/catalog.yaml")
	if err != nil {
		tb.Fatalf("load catalog: %v", err)
	}
	taxes, err := billing.LoadTaxRules("testdata/taxes.yaml")
	if err != nil {
		tb.Fatalf("load taxes: %v", err)
	}
	cust := func(id, name, cur, jur, taxID string) *billing.Account {
		return &billing.Account{ID: id, Kind: billing.KindCustomer, Name: name, Parent: "nimbus", Currency: cur,
			BillingDay: 1, TaxJurisdiction: jur, TaxID: taxID, PaymentTermsDays: 14, Address: "1 Example Street",
			Contacts: []billing.Contact{{Name: "Accounts", Email: "billing@" + id + ".example", Role: "billing"}}}
	}
	return &buildFix{
		cat: cat, taxes: taxes,
		issuer: &billing.Account{ID: "nimbus", Kind: billing.KindVendor, Name: "Nimbus Cloud GmbH", Currency: "EUR",
			TaxJurisdiction: "DE", TaxID: "DE811111111", Address: "Torstraße 1, 10119 Berlin"},
		buyers: map[string]*billing.Account{
			"acme":    cust("acme", "Acme Privat", "EUR", "DE", ""),
			"acme-de": cust("acme-de", "Acme GmbH", "EUR", "DE", "DE999999999"),
			"lumiere": cust("lumiere", "Lumière SAS", "EUR", "FR", "FR12345678901"),
			"brit":    cust("brit", "Brit Ltd", "GBP", "GB", ""),
			"sakura":  cust("sakura", "Sakura KK", "JPY", "JP", "T1234567890123"),
			"calif":   cust("calif", "Golden Gate Inc", "EUR", "US-CA", "94-1234567"),
		},
	}
}

// input is one invoice of buyer at boundary closing period.
func (f *buildFix) input(buyer string, period billing.Period, items ...billing.Item) billing.InvoiceInput {
	return billing.InvoiceInput{ID: "INV-" + buyer + "-" + period.To.Format("20060102"), Issuer: f.issuer,
		Buyer: f.buyers[buyer], Period: period, Boundary: period.To, Items: items, Catalog: f.cat, Taxes: f.taxes}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func month(y int, m time.Month) billing.Period {
	return billing.Period{From: day(y, m, 1), To: day(y, m+1, 1)}
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// recurring is a recurring item for window w of period p (prorated when w is shorter).
func recurring(sub, plan, charge string, w, p billing.Period, seats int64) billing.Item {
	return billing.Item{Subscription: sub, Kind: billing.ItemRecurring, PlanID: plan, PlanVersion: 1, ChargeID: charge,
		Window: w, Period: p, Days: w.Days(), PeriodDays: p.Days(), Seats: decimal.NewFromInt(seats)}
}

// usage is a usage item for window w of period p.
func usage(sub, plan string, w, p billing.Period, commitment bool, q map[string]string) billing.Item {
	u := map[string]decimal.Decimal{}
	for m, v := range q {
		u[m] = dec(v)
	}
	return billing.Item{Subscription: sub, Kind: billing.ItemUsage, PlanID: plan, PlanVersion: 1, Window: w,
		Period: p, Usage: u, Commitment: commitment}
}

// checkInvoiceGolden renders inv as JSON and HTML and compares both with testdata/golden/name.*.
func checkInvoiceGolden(t *testing.T, name string, inv *billing.Invoice) {
	t.Helper()
	var j, h bytes.Buffer
	if err := billing.RenderJSON(&j, inv); err != nil {
		t.Fatalf("RenderJSON: %v", err)
	}
	if err := billing.RenderHTML(&h, inv); err != nil {
		t.Fatalf("RenderHTML: %v", err)
	}
	for ext, got := range map[string][]byte{".json": j.Bytes(), ".html": h.Bytes()} {
		path := filepath.Join("testdata", "golden", name+ext)
		if buildUpdating() {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file (run with -update and review the diff): %s", path, firstDiff(got, want))
		}
	}
}

// firstDiff names the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return "same lines, different bytes"
}
