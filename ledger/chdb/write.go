package chdb

import (
	"context"
	"fmt"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
)

// Every write validates the whole call first (ledger.Validate*), so one bad
// record writes nothing and the error names its position, identity and field.

// WriteUsage implements ledger.Writer.
func (s *Store) WriteUsage(ctx context.Context, rows []ledger.Usage) error {
	if err := ledger.ValidateUsage(rows); err != nil {
		return err
	}
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	return insert(ctx, s, chsql.UsageTable(), rows, encodeUsage)
}

// WriteRated implements ledger.Writer.
func (s *Store) WriteRated(ctx context.Context, rows []ledger.RatedDelta) error {
	if err := ledger.ValidateRated(rows); err != nil {
		return err
	}
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	return insert(ctx, s, chsql.RatedTable(), rows, encodeRated)
}

// WriteTransactions implements ledger.Writer; an unbalanced transaction
// rejects the whole call before anything is written.
func (s *Store) WriteTransactions(ctx context.Context, txs []ledger.Transaction) error {
	if err := ledger.ValidateTransactions(txs); err != nil {
		return err
	}
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	var rows []journalRow
	for i := range txs {
		for j := range txs[i].Entries {
			rows = append(rows, journalRow{tx: &txs[i], index: j})
		}
	}
	return insert(ctx, s, chsql.JournalTable(), rows, encodeJournal)
}

// WriteDocuments implements ledger.Writer. Lines and status events are
// written before headers, so a visible header version always has its lines.
func (s *Store) WriteDocuments(ctx context.Context, docs []ledger.Document) error {
	if err := ledger.ValidateDocuments(docs); err != nil {
		return err
	}
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	var lines []lineRow
	for i := range docs {
		for j := range docs[i].Lines {
			lines = append(lines, lineRow{doc: &docs[i], index: j})
		}
	}
	if err := insert(ctx, s, chsql.DocumentLinesTable(), lines, encodeLine); err != nil {
		return fmt.Errorf("write document lines: %w", err)
	}
	if err := insert(ctx, s, chsql.DocumentEventsTable(), docs, encodeDocumentEvent); err != nil {
		return fmt.Errorf("write document events: %w", err)
	}
	return insert(ctx, s, chsql.DocumentsTable(), docs, encodeDocument)
}

// WriteRejects implements ledger.Writer.
func (s *Store) WriteRejects(ctx context.Context, rows []ledger.Reject) error {
	if err := ledger.ValidateRejects(rows); err != nil {
		return err
	}
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	return insert(ctx, s, chsql.RejectsTable(), rows, encodeReject)
}

// WriteAudit implements ledger.Writer.
func (s *Store) WriteAudit(ctx context.Context, rows []ledger.AuditEntry) error {
	if err := ledger.ValidateAudit(rows); err != nil {
		return err
	}
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	return insert(ctx, s, chsql.AuditTable(), rows, encodeAudit)
}
