package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/ledger/internal/chsql"
)

// LoadSyntheticUsage generates rows usage rows inside the server (see chsql.SyntheticUsageSQL
// for their shape), for benchmarks and load tests. It is not bounded by ReadTimeout: tens of
// millions of rows take longer; bound it with ctx.
func (s *Store) LoadSyntheticUsage(ctx context.Context, rows uint64, accounts int, from time.Time, days int) error {
	if accounts <= 0 || days <= 0 {
		return fmt.Errorf("ledger/clickhouse: synthetic usage: accounts %d and days %d must be positive", accounts, days)
	}
	if err := s.conn.Exec(ctx, chsql.SyntheticUsageSQL(s.cfg.Database, rows, accounts, from, days)); err != nil {
		return fmt.Errorf("ledger/clickhouse: synthetic usage on %s: %w", s.cfg.Addr, classify(err))
	}
	return nil
}
