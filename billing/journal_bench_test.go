package billing_test

import (
	"fmt"
	"testing"

	"github.com/cascade-billing/cascade/billing"
)

// BenchmarkIssueDocument is HE's share of issuing one invoice in a cycle: take a number, issue,
// post the journal, build the document row and the snapshot event (four lines, two rates).
func BenchmarkIssueDocument(b *testing.B) {
	issuer := &billing.Account{ID: "R1", Kind: billing.KindReseller}
	n := billing.NewNumbering()
	tmpl := lcInvoice(b, "inv", "EUR",
		lcLineSpec{billing.LineRecurring, "100.00", "19", false, "DE"},
		lcLineSpec{billing.LineUsage, "33.33", "19", false, "DE"},
		lcLineSpec{billing.LineOneTime, "10.01", "7", false, "DE"},
		lcLineSpec{billing.LineDiscount, "-10.00", "19", false, "DE"})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inv := *tmpl
		inv.ID = fmt.Sprint("inv-", i)
		number, ev, err := n.Next(issuer, billing.DocInvoice, inv.ID, lcIssuedAt, "bench")
		if err != nil {
			b.Fatal(err)
		}
		if err := n.Apply(*ev); err != nil {
			b.Fatal(err)
		}
		if err := inv.Issue(number, lcIssuedAt, 14); err != nil {
			b.Fatal(err)
		}
		if _, err := billing.InvoiceTransaction(&inv); err != nil {
			b.Fatal(err)
		}
		_ = billing.ToDocument(&inv, 1, lcIssuedAt, "bench")
		if _, err := billing.SnapshotEvent(&inv, 1, lcIssuedAt, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
}
