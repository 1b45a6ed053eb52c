package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
)

var (
	_ ledger.EventLog          = (*Store)(nil)
	_ ledger.PeriodUsageReader = (*Store)(nil)
)

// WriteEvents implements ledger.EventLog: every event is validated before anything is sent,
// then they go in INSERTs of at most BatchSize rows. A retried call writes the same identities,
// which reads collapse.
func (s *Store) WriteEvents(ctx context.Context, events []ledger.Event) error {
	if err := ledger.ValidateEvents(events); err != nil {
		return err
	}
	err := chunks(events, s.cfg.BatchSize, func(events []ledger.Event) error {
		n := len(events)
		var (
			aggregate, typ, actor, data = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			seq                         = make([]uint64, n)
			at, recordedAt              = make([]time.Time, n), make([]time.Time, n)
		)
		for i := range events {
			e := &events[i]
			aggregate[i], seq[i], typ[i], actor[i], data[i] = e.Aggregate, e.Seq, e.Type, e.Actor, string(e.Data)
			at[i], recordedAt[i] = chsql.StoredTime(e.At), chsql.StoredTime(e.RecordedAt)
		}
		return s.insert(ctx, chsql.EventsTable(), []any{aggregate, seq, typ, at, recordedAt, actor, data})
	})
	if err != nil {
		return fmt.Errorf("ledger/clickhouse: write %d events to %s: %w", len(events), s.cfg.Addr, err)
	}
	return nil
}

// Events implements ledger.EventLog.
func (s *Store) Events(ctx context.Context, q ledger.EventQuery) ([]ledger.Event, error) {
	return read(ctx, s, "events", noValidation, chsql.Events(s.cfg.Database, q), chsql.DecodeEvents)
}

// PeriodUsage implements ledger.PeriodUsageReader. A long account list is split into several
// queries (chsql.PeriodUsage); their answers are disjoint and in order, so they are appended.
//
// Unlike the other reads, rows are scanned straight into ledger.AccountUsage rather than
// through text and chsql's decoder: the answer has a row per subscription and meter (500,000
// for 100,000 subscriptions) and the text round trip of three decimals per row was half the
// Go side's time. The columns are chsql.PeriodUsage's, in its order.
func (s *Store) PeriodUsage(ctx context.Context, q ledger.PeriodUsageQuery) ([]ledger.AccountUsage, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("ledger/clickhouse: period usage: %w", err)
	}
	out := []ledger.AccountUsage{}
	for _, part := range chsql.PeriodUsage(s.cfg.Database, q) {
		var err error
		if out, err = s.scanPeriodUsage(ctx, part, out); err != nil {
			return nil, fmt.Errorf("ledger/clickhouse: period usage on %s: %w", s.cfg.Addr, err)
		}
	}
	return out, nil
}

// scanPeriodUsage runs one period-usage query and appends its rows to out.
func (s *Store) scanPeriodUsage(ctx context.Context, q chsql.Query, out []ledger.AccountUsage) ([]ledger.AccountUsage, error) {
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
	// Rows are collected in fixed-size blocks and copied into out once: growing one slice of
	// 500,000 rows by appending copied it many times over (most of the allocated bytes).
	const blockRows = 16 << 10
	var (
		u      ledger.AccountUsage
		events string
		unique string
		dest   = []any{&u.Account, &u.Subscription, &u.Meter, &u.Quantity, &u.Max, &u.Latest, &events, &unique}
		blocks [][]ledger.AccountUsage
		block  []ledger.AccountUsage
		n      int
	)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan row %d: %w", n, err)
		}
		if u.Events, err = strconv.ParseUint(events, 10, 64); err != nil {
			return nil, fmt.Errorf("row %d: events %q: %w", n, events, err)
		}
		if u.Unique, err = strconv.ParseUint(unique, 10, 64); err != nil {
			return nil, fmt.Errorf("row %d: unique %q: %w", n, unique, err)
		}
		if len(block) == cap(block) {
			block = make([]ledger.AccountUsage, 0, blockRows)
			blocks = append(blocks, nil)
		}
		block = append(block, u)
		blocks[len(blocks)-1] = block
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	out = slices.Grow(out, n)
	for _, b := range blocks {
		out = append(out, b...)
	}
	return out, nil
}
