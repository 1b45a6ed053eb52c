package clickhouse

import "context"

// QueryUnchecked runs a statement without ledger.CheckReadOnly, so tests can show that the
// server's own read-only enforcement holds on its own.
func QueryUnchecked(ctx context.Context, s *Store, stmt string) ([]string, [][]string, error) {
	return s.queryReadOnly(ctx, stmt)
}
