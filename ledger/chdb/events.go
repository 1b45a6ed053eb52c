package chdb

import (
	"context"
	"fmt"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
	"github.com/cascade-billing/cascade/ledger/internal/rowbinary"
)

var (
	_ ledger.EventLog          = (*Store)(nil)
	_ ledger.PeriodUsageReader = (*Store)(nil)
)

// WriteEvents implements ledger.EventLog: all events are validated before any is written.
func (s *Store) WriteEvents(ctx context.Context, events []ledger.Event) error {
	if err := ledger.ValidateEvents(events); err != nil {
		return err
	}
	done, err := s.begin()
	if err != nil {
		return err
	}
	defer done()
	return insert(ctx, s, chsql.EventsTable(), events, encodeEvent)
}

// Events implements ledger.EventLog.
func (s *Store) Events(ctx context.Context, q ledger.EventQuery) ([]ledger.Event, error) {
	return run(ctx, s, "events", chsql.Events(s.db, q), chsql.DecodeEvents)
}

// PeriodUsage implements ledger.PeriodUsageReader. A long account list is split into several
// queries (chsql.PeriodUsage); their answers are disjoint and in order, so they are appended.
func (s *Store) PeriodUsage(ctx context.Context, q ledger.PeriodUsageQuery) ([]ledger.AccountUsage, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("period usage: %w", err)
	}
	out := []ledger.AccountUsage{}
	for _, part := range chsql.PeriodUsage(s.db, q) {
		rows, err := run(ctx, s, "period usage", part, chsql.DecodePeriodUsage)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// encodeEvent writes one events row; Data goes in as raw bytes, which a String column keeps
// exactly.
func encodeEvent(e *rowbinary.Encoder, ev *ledger.Event) error {
	f := fields{e: e, record: "event", id: ev.Key()}
	e.String(ev.Aggregate)
	e.UInt64(ev.Seq)
	e.String(ev.Type)
	f.time("at", ev.At)
	f.time("recorded_at", ev.RecordedAt)
	e.String(ev.Actor)
	e.Blob(ev.Data)
	return f.err
}
