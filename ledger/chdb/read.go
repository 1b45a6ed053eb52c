package chdb

import (
	"context"
	"fmt"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
	"github.com/cascade-billing/cascade/ledger/internal/rowbinary"
)

// Reads run chsql's queries in RowBinaryWithNamesAndTypes: strings arrive as
// length-prefixed bytes (any content survives) and decimals as scaled
// integers rendered to exact text here, the form chsql's decoders parse.
// Results are read whole with Query: chdb's streaming API never terminates on
// 26.5.

// decodeStrings decodes an answer into text rows of exactly columns cells.
func decodeStrings(data []byte, columns int) ([][]string, error) {
	t, err := rowbinary.DecodeWithNamesAndTypes(data)
	if err != nil {
		return nil, err
	}
	if len(t.Rows) > 0 && len(t.Types) != columns {
		return nil, fmt.Errorf("answer has %d columns %v, want %d", len(t.Types), t.Names, columns)
	}
	return t.Rows, nil
}

// resultFormat is the output format of every read.
const resultFormat = "RowBinaryWithNamesAndTypes"

// run executes a chsql query and decodes its rows with decode.
func run[T any](ctx context.Context, s *Store, what string, q chsql.Query, decode func([][]string) ([]T, error)) ([]T, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	done, err := s.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	out, err := s.sess.Query(q.SQL, resultFormat)
	if err != nil {
		return nil, engineErr(what, err)
	}
	rows, err := decodeStrings(out, q.Columns)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	res, err := decode(rows)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return res, nil
}

// UsageTotals implements ledger.Reader.
func (s *Store) UsageTotals(ctx context.Context, q ledger.UsageQuery) ([]ledger.UsageTotal, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return run(ctx, s, "usage totals", chsql.UsageTotals(s.db, q), chsql.DecodeUsageTotals)
}

// Consumption implements ledger.Reader.
func (s *Store) Consumption(ctx context.Context, q ledger.ConsumptionQuery) ([]ledger.ConsumptionRow, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return run(ctx, s, "consumption", chsql.Consumption(s.db, q), chsql.DecodeConsumption)
}

// RatedTotals implements ledger.Reader.
func (s *Store) RatedTotals(ctx context.Context, q ledger.UsageQuery) ([]ledger.RatedTotal, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return run(ctx, s, "rated totals", chsql.RatedTotals(s.db, q), chsql.DecodeRatedTotals)
}

// Balances implements ledger.Reader.
func (s *Store) Balances(ctx context.Context, q ledger.BalanceQuery) ([]ledger.Balance, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return run(ctx, s, "balances", chsql.Balances(s.db, q), chsql.DecodeBalances)
}

// Journal implements ledger.Reader.
func (s *Store) Journal(ctx context.Context, q ledger.JournalQuery) ([]ledger.JournalLine, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return run(ctx, s, "journal", chsql.Journal(s.db, q), chsql.DecodeJournal)
}

// Documents implements ledger.Reader.
func (s *Store) Documents(ctx context.Context, q ledger.DocumentQuery) ([]ledger.Document, error) {
	return run(ctx, s, "documents", chsql.Documents(s.db, q), chsql.DecodeDocuments)
}

// DocumentLines implements ledger.Reader.
func (s *Store) DocumentLines(ctx context.Context, documentID string) ([]ledger.DocumentLine, error) {
	return run(ctx, s, "document lines of "+documentID, chsql.DocumentLines(s.db, documentID), chsql.DecodeDocumentLines)
}

// RejectCounts implements ledger.Reader.
func (s *Store) RejectCounts(ctx context.Context, q ledger.RejectQuery) ([]ledger.RejectCount, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return run(ctx, s, "reject counts", chsql.RejectCounts(s.db, q), chsql.DecodeRejectCounts)
}

// Rejects implements ledger.Reader.
func (s *Store) Rejects(ctx context.Context, q ledger.RejectQuery) ([]ledger.Reject, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return run(ctx, s, "rejects", chsql.Rejects(s.db, q), chsql.DecodeRejects)
}

// Audit implements ledger.Reader.
func (s *Store) Audit(ctx context.Context, q ledger.AuditQuery) ([]ledger.AuditEntry, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return run(ctx, s, "audit", chsql.Audit(s.db, q), chsql.DecodeAudit)
}

var _ ledger.Scanner = (*Store)(nil)

// ScanUsage implements ledger.Scanner.
func (s *Store) ScanUsage(ctx context.Context, q ledger.ScanQuery) ([]ledger.UsageRef, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return run(ctx, s, "scan usage", chsql.ScanUsage(s.db, q), chsql.DecodeScanUsage)
}

// ScanRated implements ledger.Scanner.
func (s *Store) ScanRated(ctx context.Context, q ledger.ScanQuery) ([]ledger.RatedRef, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return run(ctx, s, "scan rated", chsql.ScanRated(s.db, q), chsql.DecodeScanRated)
}
