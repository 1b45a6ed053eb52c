package soak

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cascade-billing/cascade/ledger/clickhouse"
)

// LedgerCount is what the ledger holds of the soak's usage.
type LedgerCount struct {
	Rows     int64 // usage rows after collapsing duplicates (FINAL): what billing reads
	Unique   int64 // distinct event ids
	Quantity int64 // the sum of quantities (1 per record)
	Stored   int64 // rows physically stored, before collapsing (retries may store a row twice)
}

// countQuery reads every count in one statement; Query checks it is read-only.
const countQuery = `SELECT
  (SELECT count() FROM usage FINAL WHERE source = 'v1/soak'),
  (SELECT uniqExact(event_id) FROM usage WHERE source = 'v1/soak'),
  (SELECT toInt64(sum(quantity)) FROM usage FINAL WHERE source = 'v1/soak'),
  (SELECT count() FROM usage WHERE source = 'v1/soak')`

// CountLedger asks the ClickHouse server at addr, database db, for the soak's usage.
func CountLedger(ctx context.Context, addr, db string) (LedgerCount, error) {
	var c LedgerCount
	st, err := clickhouse.New(clickhouse.Config{Addr: addr, Database: db})
	if err != nil {
		return c, fmt.Errorf("%w: open the ledger %s/%s: %w", ErrService, addr, db, err)
	}
	defer st.Close()
	_, rows, err := st.Query(ctx, countQuery)
	if err != nil {
		return c, fmt.Errorf("%w: count the soak's usage: %w", ErrService, err)
	}
	if len(rows) != 1 || len(rows[0]) != 4 {
		return c, fmt.Errorf("%w: count the soak's usage: want one row of 4 columns, got %q", ErrService, rows)
	}
	for i, dst := range []*int64{&c.Rows, &c.Unique, &c.Quantity, &c.Stored} {
		if *dst, err = strconv.ParseInt(rows[0][i], 10, 64); err != nil {
			return c, fmt.Errorf("%w: count the soak's usage: column %d %q: %w", ErrService, i, rows[0][i], err)
		}
	}
	return c, nil
}
