package billing_test

import (
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// Fixtures for the lifecycle, credit-note, journal and document tests. Names carry an lc
// prefix because the billing_test package is shared with other files.

var (
	lcIssuedAt = time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	lcPeriod   = billing.Period{From: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
)

func lcDec(t testing.TB, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("decimal %q: %v", s, err)
	}
	return d
}

// lcLineSpec is one line: its priced amount, tax rate in percent, whether the price includes
// the tax, and the jurisdiction the tax is owed to.
type lcLineSpec struct {
	kind         billing.LineKind
	amount, rate string
	inclusive    bool
	jurisdiction string
}

// lcInvoice builds an internally consistent draft (or, with number, issued) document: per line
// tax rounded half-up, totals as sums, one tax summary per (jurisdiction, rate).
func lcInvoice(t testing.TB, id, currency string, specs ...lcLineSpec) *billing.Invoice {
	t.Helper()
	cur, err := rating.LookupCurrency(currency)
	if err != nil {
		t.Fatal(err)
	}
	inv := &billing.Invoice{
		ID: id, Kind: billing.DocInvoice, Status: billing.StatusDraft, Currency: currency,
		Issuer:   billing.Party{ID: "R1", Kind: billing.KindReseller, Name: "Reseller One", TaxJurisdiction: "DE"},
		Buyer:    billing.Party{ID: "ACME", Kind: billing.KindCustomer, Name: "Acme GmbH", TaxJurisdiction: "DE"},
		Period:   lcPeriod,
		Boundary: lcPeriod.To,
		Subtotal: decimal.Zero, Tax: decimal.Zero, Total: decimal.Zero, Credited: decimal.Zero,
	}
	type key struct{ j, r string }
	idx := map[key]int{}
	hundred := decimal.NewFromInt(100)
	for i, s := range specs {
		amount, rate := lcDec(t, s.amount), lcDec(t, s.rate)
		l := billing.Line{No: i + 1, Kind: s.kind, Description: string(s.kind) + " line", ChargeID: "c" + s.amount,
			Window: lcPeriod, Quantity: decimal.NewFromInt(int64(i + 1)), Allowance: decimal.Zero, UnitPrice: decimal.Zero,
			Exact: amount, Amount: amount, TaxRate: rate}
		if s.inclusive {
			l.Tax = cur.Round(amount.Mul(rate).Div(hundred.Add(rate)), rating.RoundHalfUp)
			l.Gross, l.Net = amount, amount.Sub(l.Tax)
		} else {
			l.Tax = cur.Round(amount.Mul(rate).Div(hundred), rating.RoundHalfUp)
			l.Net, l.Gross = amount, amount.Add(l.Tax)
		}
		inv.Lines = append(inv.Lines, l)
		inv.Subtotal, inv.Tax, inv.Total = inv.Subtotal.Add(l.Net), inv.Tax.Add(l.Tax), inv.Total.Add(l.Gross)
		k := key{s.jurisdiction, rate.String()}
		j, ok := idx[k]
		if !ok {
			j = len(inv.Taxes)
			idx[k] = j
			inv.Taxes = append(inv.Taxes, billing.TaxSummary{Jurisdiction: s.jurisdiction, Name: "VAT " + rate.String() + "%",
				Rate: rate, Inclusive: s.inclusive, Net: decimal.Zero, Tax: decimal.Zero})
		}
		inv.Taxes[j].Net = inv.Taxes[j].Net.Add(l.Net)
		inv.Taxes[j].Tax = inv.Taxes[j].Tax.Add(l.Tax)
	}
	return inv
}

// lcIssued issues a fixture.
func lcIssued(t testing.TB, inv *billing.Invoice, number string) *billing.Invoice {
	t.Helper()
	if err := inv.Issue(number, lcIssuedAt, 14); err != nil {
		t.Fatal(err)
	}
	return inv
}

// lcEUR is an EUR invoice with two DE rates (19 % and 7 %) and a discount line.
func lcEUR(t testing.TB) *billing.Invoice {
	return lcIssued(t, lcInvoice(t, "inv-eur", "EUR",
		lcLineSpec{billing.LineRecurring, "100.00", "19", false, "DE"}, // tax 19.00
		lcLineSpec{billing.LineUsage, "33.33", "19", false, "DE"},      // tax 6.3327 -> 6.33
		lcLineSpec{billing.LineOneTime, "10.01", "7", false, "DE"},     // tax 0.7007 -> 0.70
		lcLineSpec{billing.LineDiscount, "-10.00", "19", false, "DE"},  // tax -1.90
	), "R1-2026-000001")
}

// lcMultiJurisdiction has tax owed in two jurisdictions and an untaxed (reverse-charge) line.
func lcMultiJurisdiction(t testing.TB) *billing.Invoice {
	return lcIssued(t, lcInvoice(t, "inv-multi", "EUR",
		lcLineSpec{billing.LineRecurring, "49.99", "19", false, "DE"},
		lcLineSpec{billing.LineUsage, "12.34", "20", true, "FR"},
		lcLineSpec{billing.LineUsage, "80.00", "0", false, "AT"},
	), "R1-2026-000002")
}

// lcJPY is a 0-decimal invoice with tax-inclusive prices.
func lcJPY(t testing.TB) *billing.Invoice {
	return lcIssued(t, lcInvoice(t, "inv-jpy", "JPY",
		lcLineSpec{billing.LineRecurring, "1000", "10", true, "JP"}, // tax 90.909 -> 91
		lcLineSpec{billing.LineUsage, "555", "10", true, "JP"},      // tax 50.45 -> 50
	), "R1-2026-000003")
}
