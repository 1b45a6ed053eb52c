package billing_test

import (
	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
)

// withoutDocumentAudit drops the rows billing writes for document and split postings, for tests
// that count what payments and dunning audit.
func withoutDocumentAudit(rows []ledger.AuditEntry) []ledger.AuditEntry {
	doc := map[string]bool{billing.AuditInvoiceIssued: true, billing.AuditCreditNoteIssued: true, billing.AuditInvoiceVoid: true,
		billing.AuditCreditNoteVoid: true, billing.AuditWholesaleIssued: true, billing.AuditSplitPosted: true,
		billing.AuditSplitVoid: true, billing.AuditPoolSettled: true}
	var out []ledger.AuditEntry
	for _, r := range rows {
		if !doc[r.Action] {
			out = append(out, r)
		}
	}
	return out
}
