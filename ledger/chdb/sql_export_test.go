package chdb

import "context"

// QueryUnchecked runs a statement without ledger.CheckReadOnly, so tests can show that the
// engine's own read-only checks hold on their own.
func QueryUnchecked(ctx context.Context, s *Store, stmt string) ([]string, [][]string, error) {
	return s.queryReadOnly(ctx, stmt)
}
