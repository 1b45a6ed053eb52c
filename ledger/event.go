package ledger

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Event is one append-only state change of an aggregate: an account, a subscription, an
// invoice-number series, a coupon redemption... (DESIGN.md, "State without a second database").
// Its identity is (Aggregate, Seq): writing the same event twice stores it once, so a command
// retried after a crash is harmless. Seq numbers an aggregate's events from 1 without gaps; the
// instance that owns the aggregate's scope is the only writer (ownership, not locks, keeps two
// writers from using one Seq for different events).
type Event struct {
	Aggregate  string    // "subscription:S1", "account:ACME", "series:R1:invoice"
	Seq        uint64    // 1, 2, 3... within the aggregate
	Type       string    // what happened: "created", "plan_changed", "number_assigned"...
	At         time.Time // when it takes effect (may differ from RecordedAt: a change at period end)
	RecordedAt time.Time // when the command was accepted
	Actor      string    // who asked for it (API key id, "scheduler", "cli")
	Data       []byte    // the payload, JSON; opaque to the ledger, stored byte for byte
}

// Key returns the identity used in errors: "aggregate#seq".
func (e *Event) Key() string { return e.Aggregate + "#" + itoa(int(e.Seq)) }

// Validate checks identity, required fields and storable times.
func (e *Event) Validate() error {
	v := validator{record: "event", id: e.Key()}
	v.required("aggregate", e.Aggregate)
	v.required("type", e.Type)
	if e.Seq == 0 {
		v.fail(ErrInvalid, "seq", "must be 1 or more")
	}
	v.time("at", e.At)
	v.time("recorded_at", e.RecordedAt)
	return v.result()
}

// ValidateEvents validates every event; a backend calls it before writing anything, so one
// bad event fails the whole call and the error names its position and identity.
func ValidateEvents(events []Event) error {
	for i := range events {
		if err := events[i].Validate(); err != nil {
			return fmt.Errorf("events[%d]: %w", i, err)
		}
	}
	return nil
}

// EventQuery selects events whose aggregate starts with AggregatePrefix ("" = every event,
// "subscription:" = every subscription's, "subscription:S1" also matches "subscription:S10":
// end the prefix where the id ends when that matters, or compare Aggregate exactly).
type EventQuery struct {
	AggregatePrefix string
}

// Matches reports whether an event's aggregate is selected.
func (q EventQuery) Matches(aggregate string) bool {
	return strings.HasPrefix(aggregate, q.AggregatePrefix)
}

// EventLog stores state events. Events returns them sorted by (Aggregate, Seq), one per identity.
// Every backend implements it; it is separate from Store so that code needing only state
// (billing) declares only this.
type EventLog interface {
	WriteEvents(ctx context.Context, events []Event) error
	Events(ctx context.Context, q EventQuery) ([]Event, error)
}

// PeriodUsageQuery selects the usage of many accounts at once for one period (event time in
// [From, To)): the invoice cycle's bulk read. Accounts empty means every account. A non-zero
// IngestedBefore counts only events ingested before it (what was known when an invoice was cut,
// so late events can be told apart).
type PeriodUsageQuery struct {
	Period         Period
	Accounts       []string
	IngestedBefore time.Time
	// UniqueBy maps a meter to the attribute whose distinct values it counts (the catalog's
	// unique_count aggregation, e.g. active_users → user_id); AccountUsage.Unique answers it.
	UniqueBy map[string]string
}

// Validate checks the period.
func (q PeriodUsageQuery) Validate() error { return q.Period.Validate() }

// AccountUsage is one (account, subscription, meter) aggregate of a period, duplicates
// collapsed. Quantity is the sum, Max the largest single event quantity, Latest the quantity of
// the last event by (event time, event id) — what the catalog's sum/count, max and latest
// aggregations need.
type AccountUsage struct {
	Account      string
	Subscription string
	Meter        string
	Quantity     decimal.Decimal
	Max          decimal.Decimal
	Latest       decimal.Decimal
	Events       uint64
	// Unique is the number of distinct non-empty values of the meter's UniqueBy attribute
	// (0 for a meter not in UniqueBy).
	Unique uint64
}

// PeriodUsageReader answers the bulk read, sorted by (Account, Subscription, Meter).
type PeriodUsageReader interface {
	PeriodUsage(ctx context.Context, q PeriodUsageQuery) ([]AccountUsage, error)
}
