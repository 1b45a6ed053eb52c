package billing_test

import (
	"testing"

	"github.com/cascade-billing/cascade/billing"
)

// TestCreditNoteGolden pins credit notes as documents (JSON and HTML, through the renderer's
// golden helper): rewrite with `go test ./billing -run CreditNoteGolden -update`.
func TestCreditNoteGolden(t *testing.T) {
	tests := []struct {
		name string
		inv  func(testing.TB) *billing.Invoice
		req  func(t testing.TB) billing.CreditNoteRequest
	}{
		{"creditnote_full_eur", lcEUR, func(testing.TB) billing.CreditNoteRequest {
			return billing.CreditNoteRequest{ID: "cn-full", Reason: "Subscription cancelled within the withdrawal period", Full: true}
		}},
		{"creditnote_partial_jpy", lcJPY, func(t testing.TB) billing.CreditNoteRequest {
			return billing.CreditNoteRequest{ID: "cn-part", Reason: "Service outage on 2026-02-14", Lines: []billing.CreditLine{
				{LineNo: 2, Amount: lcDec(t, "100")}, {LineNo: 1, Amount: lcDec(t, "300")}}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn, err := billing.NewCreditNote(tt.inv(t), tt.req(t), lcCreditAt)
			if err != nil {
				t.Fatal(err)
			}
			if err := cn.Issue("R1-CN-2026-000001", lcCreditAt, 0); err != nil {
				t.Fatal(err)
			}
			checkInvoiceGolden(t, tt.name, cn)
		})
	}
}
