package ledger

import "fmt"

// ValidateUsage validates every row; Stores call it before writing anything, so one bad row
// fails the whole call and the error names its position and identity.
func ValidateUsage(rows []Usage) error {
	for i := range rows {
		if err := rows[i].Validate(); err != nil {
			return fmt.Errorf("usage[%d]: %w", i, err)
		}
	}
	return nil
}

// ValidateRated validates every rated delta.
func ValidateRated(rows []RatedDelta) error {
	for i := range rows {
		if err := rows[i].Validate(); err != nil {
			return fmt.Errorf("rated[%d]: %w", i, err)
		}
	}
	return nil
}

// ValidateTransactions validates every transaction, balance included.
func ValidateTransactions(txs []Transaction) error {
	for i := range txs {
		if err := txs[i].Validate(); err != nil {
			return fmt.Errorf("transactions[%d]: %w", i, err)
		}
	}
	return nil
}

// ValidateDocuments validates every document.
func ValidateDocuments(docs []Document) error {
	for i := range docs {
		if err := docs[i].Validate(); err != nil {
			return fmt.Errorf("documents[%d]: %w", i, err)
		}
	}
	return nil
}

// ValidateRejects validates every reject.
func ValidateRejects(rows []Reject) error {
	for i := range rows {
		if err := rows[i].Validate(); err != nil {
			return fmt.Errorf("rejects[%d]: %w", i, err)
		}
	}
	return nil
}

// ValidateAudit validates every audit entry.
func ValidateAudit(rows []AuditEntry) error {
	for i := range rows {
		if err := rows[i].Validate(); err != nil {
			return fmt.Errorf("audit[%d]: %w", i, err)
		}
	}
	return nil
}
