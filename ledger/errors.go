package ledger

import (
	"errors"
	"fmt"
)

// Error kinds, checked with errors.Is. Callers decide from the kind whether retrying can help:
// ErrInvalid, ErrOutOfBounds and ErrUnbalanced never succeed on retry; ErrUnavailable may.
var (
	// ErrInvalid marks a record that is malformed (missing identity, bad account code, ...).
	ErrInvalid = errors.New("invalid record")
	// ErrOutOfBounds marks a value the storage column cannot hold exactly. ClickHouse would
	// overflow silently or truncate extra fraction digits, so the ledger refuses it instead.
	ErrOutOfBounds = errors.New("value out of bounds")
	// ErrUnbalanced marks a journal transaction whose entries do not sum to zero per currency.
	ErrUnbalanced = errors.New("journal transaction does not balance")
	// ErrUnavailable marks a backend that cannot be reached; nothing of the failed call is
	// reported durable, so the caller replays it later.
	ErrUnavailable = errors.New("ledger backend unavailable")
	// ErrClosed is returned by a Store or Batcher used after Close.
	ErrClosed = errors.New("ledger closed")
)

// RecordError names the record and field that made a write fail, so an operator can find the
// offending input among a batch of a hundred thousand rows. Kind is one of the Err* kinds.
type RecordError struct {
	Kind   error  // ErrInvalid, ErrOutOfBounds or ErrUnbalanced
	Record string // record type: "usage", "rated", "transaction", "document", "reject", "audit"
	ID     string // the record's identity (for usage: "source/event_id")
	Field  string // field path, e.g. "entries[2].amount"; empty when the record as a whole is wrong
	Detail string
}

// Error implements error.
func (e *RecordError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("ledger: %s %q: %s: %v", e.Record, e.ID, e.Detail, e.Kind)
	}
	return fmt.Sprintf("ledger: %s %q: field %s: %s: %v", e.Record, e.ID, e.Field, e.Detail, e.Kind)
}

// Unwrap returns the kind, so errors.Is(err, ErrOutOfBounds) works on a wrapped RecordError.
func (e *RecordError) Unwrap() error { return e.Kind }
