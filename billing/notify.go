package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// NotificationKind says what a notification tells its recipient; each kind has its own template
// (templates/notify_<kind>.txt).
type NotificationKind string

// The notification kinds.
const (
	NotifyInvoiceIssued   NotificationKind = "invoice_issued"
	NotifyPaymentReceived NotificationKind = "payment_received"
	NotifyReminder        NotificationKind = "reminder"
	NotifySuspension      NotificationKind = "suspension"
	NotifyStatementReady  NotificationKind = "statement_ready"
)

// OutboxAggregate prefixes the outbox's events: "outbox:<notification id>". Seq 1 (type
// EventQueued) is the notification itself, rendered; later seqs record each channel's outcome.
const OutboxAggregate = "outbox:"

// Outbox event types.
const (
	EventQueued     = "queued"
	EventDelivered  = "delivered"
	EventDeadLetter = "dead_letter"
)

// NotificationID is the deterministic id of the notification of (kind, object, step): the same
// fact always names the same notification, which is what makes it exactly one outbox entry
// however often the code that queues it runs.
func NotificationID(kind NotificationKind, object, step string) string {
	return ledger.DeterministicID("ntf", string(kind), object, step)
}

// OutboxEntry is one notification as queued, rendered once (so every delivery attempt, and a
// replay after a restart, sends the same text), with what became of it on each channel.
type OutboxEntry struct {
	ID      string           `json:"id"`
	Kind    NotificationKind `json:"kind"`
	Object  string           `json:"object"`         // "invoice:<id>", "statement:<partner>:<period>"
	Step    string           `json:"step,omitempty"` // the dunning step, or "" for one-off facts
	Account string           `json:"account"`        // the recipient account
	Email   string           `json:"email,omitempty"`
	Subject string           `json:"subject"`
	Body    string           `json:"body"`
	// Data is the machine-readable part a webhook receiver acts on (invoice number, amounts as
	// strings with the currency's minor digits, due date).
	Data     map[string]string `json:"data,omitempty"`
	QueuedAt time.Time         `json:"queued_at"`

	// Seq is the last outbox event applied; Outcomes the final outcome per channel.
	Seq      uint64                   `json:"-"`
	Outcomes map[string]OutboxOutcome `json:"-"`
}

// OutboxOutcome is the final outcome of one channel's delivery: delivered, or dead-lettered
// after the retries ran out (or a refusal no retry would change).
type OutboxOutcome struct {
	Channel  string    `json:"channel"`
	Status   string    `json:"status"` // EventDelivered or EventDeadLetter
	Attempts int       `json:"attempts"`
	At       time.Time `json:"at"`
	Error    string    `json:"error,omitempty"`
}

// Pending reports whether the channel has no final outcome yet.
func (e *OutboxEntry) Pending(channel string) bool {
	_, done := e.Outcomes[channel]
	return !done
}

// Apply applies one of the entry's later events (a channel outcome). Seqs must follow on
// without gaps: a repeat or a gap means two dispatchers wrote the same outbox, which the
// single-dispatcher rule forbids.
func (e *OutboxEntry) Apply(ev ledger.Event) error {
	if ev.Aggregate != OutboxAggregate+e.ID {
		return fmt.Errorf("apply %s to outbox entry %s: %w", ev.Key(), e.ID, ErrInvalid)
	}
	if ev.Seq != e.Seq+1 {
		return fmt.Errorf("apply %s: seq %d, want %d: %w", ev.Key(), ev.Seq, e.Seq+1, ErrConflict)
	}
	switch ev.Type {
	case EventDelivered, EventDeadLetter:
	default:
		return fmt.Errorf("apply %s: unknown outbox event type %q: %w", ev.Key(), ev.Type, ErrInvalid)
	}
	var o OutboxOutcome
	if err := json.Unmarshal(ev.Data, &o); err != nil {
		return fmt.Errorf("apply %s: decode %s: %v: %w", ev.Key(), ev.Type, err, ErrInvalid)
	}
	if e.Outcomes == nil {
		e.Outcomes = map[string]OutboxOutcome{}
	}
	e.Outcomes[o.Channel] = o
	e.Seq = ev.Seq
	return nil
}

// OutcomeEvent builds the event recording a channel's final outcome (EventDelivered or
// EventDeadLetter), as the entry's next seq. The dispatcher writes it, then Applies it.
func (e *OutboxEntry) OutcomeEvent(o OutboxOutcome, actor string) (ledger.Event, error) {
	if o.Status != EventDelivered && o.Status != EventDeadLetter {
		return ledger.Event{}, fmt.Errorf("outbox %s: outcome status %q: %w", e.ID, o.Status, ErrInvalid)
	}
	if e.Seq == 0 {
		return ledger.Event{}, fmt.Errorf("outbox %s: not loaded from the outbox (no queued event applied): %w", e.ID, ErrInvalid)
	}
	if o.Channel == "" {
		return ledger.Event{}, fmt.Errorf("outbox %s: outcome channel is required: %w", e.ID, ErrInvalid)
	}
	o.At = o.At.UTC()
	return newStateEvent(OutboxAggregate+e.ID, e.Seq+1, o.Status, o.At, o.At, actor, o)
}

// LoadOutbox reads every outbox entry with its outcomes, sorted by queue time then id (the
// order a dispatcher delivers them in).
func LoadOutbox(ctx context.Context, log ledger.EventLog) ([]*OutboxEntry, error) {
	evs, err := log.Events(ctx, ledger.EventQuery{AggregatePrefix: OutboxAggregate})
	if err != nil {
		return nil, fmt.Errorf("load outbox: %w", err)
	}
	var out []*OutboxEntry
	var cur *OutboxEntry
	for _, ev := range evs {
		if ev.Seq == 1 {
			if cur, err = outboxEntryOf(ev); err != nil {
				return nil, fmt.Errorf("load outbox: %w", err)
			}
			out = append(out, cur)
			continue
		}
		if cur == nil || OutboxAggregate+cur.ID != ev.Aggregate {
			return nil, fmt.Errorf("load outbox: %s without its queued event: %w", ev.Key(), ErrConflict)
		}
		if err := cur.Apply(ev); err != nil {
			return nil, fmt.Errorf("load outbox: %w", err)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].QueuedAt.Equal(out[j].QueuedAt) {
			return out[i].QueuedAt.Before(out[j].QueuedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func outboxEntryOf(ev ledger.Event) (*OutboxEntry, error) {
	if ev.Type != EventQueued {
		return nil, fmt.Errorf("%s: type %q, want %s: %w", ev.Key(), ev.Type, EventQueued, ErrInvalid)
	}
	var e OutboxEntry
	if err := json.Unmarshal(ev.Data, &e); err != nil {
		return nil, fmt.Errorf("%s: decode: %v: %w", ev.Key(), err, ErrInvalid)
	}
	if OutboxAggregate+e.ID != ev.Aggregate {
		return nil, fmt.Errorf("%s: payload names notification %q: %w", ev.Key(), e.ID, ErrInvalid)
	}
	e.Seq = 1
	return &e, nil
}

// QueuedEvent is the entry's first outbox event (seq 1). The Service writes it when it queues a
// notification; tools and tests that seed an outbox use it too.
func (e *OutboxEntry) QueuedEvent(actor string) (ledger.Event, error) {
	return newStateEvent(OutboxAggregate+e.ID, 1, EventQueued, e.QueuedAt, e.QueuedAt, actor, e)
}

// outboxExists reports whether a notification was queued already. The entry is never written
// twice: a dispatcher may have delivered it, and a second write would replace what was sent.
func (s *Service) outboxExists(ctx context.Context, id string) (bool, error) {
	evs, err := s.cfg.Store.Events(ctx, ledger.EventQuery{AggregatePrefix: OutboxAggregate + id})
	if err != nil {
		return false, fmt.Errorf("outbox %s: %w", id, err)
	}
	for _, ev := range evs {
		if ev.Aggregate == OutboxAggregate+id {
			return true, nil
		}
	}
	return false, nil
}

// queuedIDs lists every notification id in the outbox, for a scan that queues many at once.
func (s *Service) queuedIDs(ctx context.Context) (map[string]bool, error) {
	evs, err := s.cfg.Store.Events(ctx, ledger.EventQuery{AggregatePrefix: OutboxAggregate})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	ids := make(map[string]bool, len(evs))
	for _, ev := range evs {
		ids[strings.TrimPrefix(ev.Aggregate, OutboxAggregate)] = true
	}
	return ids, nil
}
