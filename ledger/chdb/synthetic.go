package chdb

import (
	"context"
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/ledger/internal/chsql"
)

// LoadSyntheticUsage generates rows usage rows inside the engine (shape:
// chsql.SyntheticUsageSQL, the same as the server backend's), for benchmarks
// and load tests; nothing crosses from Go. The engine cannot be interrupted,
// so ctx is only checked before starting.
func (s *Store) LoadSyntheticUsage(ctx context.Context, rows uint64, accounts int, from time.Time, days int) error {
	if accounts <= 0 || days <= 0 {
		return fmt.Errorf("ledger/chdb: synthetic usage: accounts %d and days %d must be positive", accounts, days)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ledger/chdb: synthetic usage: %w", err)
	}
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	if err := s.exec(chsql.SyntheticUsageSQL(s.db, rows, accounts, from, days)); err != nil {
		return engineErr("ledger/chdb: synthetic usage on "+s.sess.Path(), err)
	}
	return nil
}
