package clickhouse

import (
	"context"
	"fmt"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
	"github.com/shopspring/decimal"
)

// query runs a chsql query and returns its rows as text; Decimal columns are scanned into
// decimal.Decimal (exact) and rendered with String.
func (s *Store) query(ctx context.Context, q chsql.Query) ([][]string, error) {
	if s.closed.Load() {
		return nil, ledger.ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadTimeout)
	defer cancel()
	rows, err := s.conn.Query(ctx, q.SQL)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out [][]string
	dest := make([]any, q.Columns)
	decs := make([]decimal.Decimal, q.Columns)
	for rows.Next() {
		row := make([]string, q.Columns)
		for i := range row {
			if i < len(q.Decimal) && q.Decimal[i] {
				dest[i] = &decs[i]
			} else {
				dest[i] = &row[i]
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		for i := range row {
			if i < len(q.Decimal) && q.Decimal[i] {
				row[i] = decs[i].String()
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	return out, nil
}

// read validates a query, runs it and decodes it; every Reader method is one call of it.
func read[T any](ctx context.Context, s *Store, name string, validate func() error, q chsql.Query, decode func([][]string) ([]T, error)) ([]T, error) {
	if err := validate(); err != nil {
		return nil, fmt.Errorf("ledger/clickhouse: %s: %w", name, err)
	}
	rows, err := s.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("ledger/clickhouse: %s on %s: %w", name, s.cfg.Addr, err)
	}
	out, err := decode(rows)
	if err != nil {
		return nil, fmt.Errorf("ledger/clickhouse: %s: %w", name, err)
	}
	return out, nil
}

func noValidation() error { return nil }

// UsageTotals implements ledger.Reader.
func (s *Store) UsageTotals(ctx context.Context, q ledger.UsageQuery) ([]ledger.UsageTotal, error) {
	return read(ctx, s, "usage totals", q.Validate, chsql.UsageTotals(s.cfg.Database, q), chsql.DecodeUsageTotals)
}

// Consumption implements ledger.Reader.
func (s *Store) Consumption(ctx context.Context, q ledger.ConsumptionQuery) ([]ledger.ConsumptionRow, error) {
	return read(ctx, s, "consumption", q.Validate, chsql.Consumption(s.cfg.Database, q), chsql.DecodeConsumption)
}

// RatedTotals implements ledger.Reader.
func (s *Store) RatedTotals(ctx context.Context, q ledger.UsageQuery) ([]ledger.RatedTotal, error) {
	return read(ctx, s, "rated totals", q.Validate, chsql.RatedTotals(s.cfg.Database, q), chsql.DecodeRatedTotals)
}

// Balances implements ledger.Reader.
func (s *Store) Balances(ctx context.Context, q ledger.BalanceQuery) ([]ledger.Balance, error) {
	return read(ctx, s, "balances", q.Validate, chsql.Balances(s.cfg.Database, q), chsql.DecodeBalances)
}

// Journal implements ledger.Reader.
func (s *Store) Journal(ctx context.Context, q ledger.JournalQuery) ([]ledger.JournalLine, error) {
	return read(ctx, s, "journal", q.Validate, chsql.Journal(s.cfg.Database, q), chsql.DecodeJournal)
}

// Documents implements ledger.Reader.
func (s *Store) Documents(ctx context.Context, q ledger.DocumentQuery) ([]ledger.Document, error) {
	return read(ctx, s, "documents", noValidation, chsql.Documents(s.cfg.Database, q), chsql.DecodeDocuments)
}

// DocumentLines implements ledger.Reader.
func (s *Store) DocumentLines(ctx context.Context, documentID string) ([]ledger.DocumentLine, error) {
	return read(ctx, s, "document lines", noValidation, chsql.DocumentLines(s.cfg.Database, documentID), chsql.DecodeDocumentLines)
}

// RejectCounts implements ledger.Reader.
func (s *Store) RejectCounts(ctx context.Context, q ledger.RejectQuery) ([]ledger.RejectCount, error) {
	return read(ctx, s, "reject counts", q.Validate, chsql.RejectCounts(s.cfg.Database, q), chsql.DecodeRejectCounts)
}

// Rejects implements ledger.Reader.
func (s *Store) Rejects(ctx context.Context, q ledger.RejectQuery) ([]ledger.Reject, error) {
	return read(ctx, s, "rejects", q.Validate, chsql.Rejects(s.cfg.Database, q), chsql.DecodeRejects)
}

// Audit implements ledger.Reader.
func (s *Store) Audit(ctx context.Context, q ledger.AuditQuery) ([]ledger.AuditEntry, error) {
	return read(ctx, s, "audit", q.Validate, chsql.Audit(s.cfg.Database, q), chsql.DecodeAudit)
}

var _ ledger.Scanner = (*Store)(nil)

// ScanUsage implements ledger.Scanner.
func (s *Store) ScanUsage(ctx context.Context, q ledger.ScanQuery) ([]ledger.UsageRef, error) {
	return read(ctx, s, "scan usage", q.Validate, chsql.ScanUsage(s.cfg.Database, q), chsql.DecodeScanUsage)
}

// ScanRated implements ledger.Scanner.
func (s *Store) ScanRated(ctx context.Context, q ledger.ScanQuery) ([]ledger.RatedRef, error) {
	return read(ctx, s, "scan rated", q.Validate, chsql.ScanRated(s.cfg.Database, q), chsql.DecodeScanRated)
}
