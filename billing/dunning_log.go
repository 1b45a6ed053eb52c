package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// DunningAggregate prefixes the dunning events: "dunning:<invoice id>", one seq per step.
const DunningAggregate = "dunning:"

// Dunning event types (EventSuspended and EventResumed are shared with subscriptions).
const (
	EventReminderSent  = "reminder_sent"
	EventStepSkipped   = "step_skipped"
	EventDunningClosed = "closed"
)

// DunningRecord is the payload of one dunning event: what happened to an invoice's dunning.
type DunningRecord struct {
	Invoice string `json:"invoice"`
	Number  string `json:"number"`
	Buyer   string `json:"buyer"`
	// Type is the event type: reminder_sent, step_skipped, suspended, resumed or closed.
	Type   string        `json:"type"`
	Step   string        `json:"step,omitempty"`
	Action DunningAction `json:"action,omitempty"`
	Days   int           `json:"days,omitempty"`
	// Scheduled is when the step was due (the due date + Days); At when it was taken.
	Scheduled time.Time `json:"scheduled,omitzero"`
	At        time.Time `json:"at"`
	// Subscriptions are the ones this step suspended (or resumed): resumption gives back
	// exactly these, never a suspension an operator made.
	Subscriptions []string `json:"subscriptions,omitempty"`
	Notification  string   `json:"notification,omitempty"` // the outbox id
	Reason        string   `json:"reason,omitempty"`
	Seq           uint64   `json:"-"`
}

// dunningLog is one invoice's dunning as its events left it.
type dunningLog struct {
	seq     uint64
	steps   map[string]bool
	maxDays int
	closed  bool
	// open lists the subscriptions suspended by this invoice's dunning and not yet resumed,
	// openAt the suspension's instant.
	open   []string
	openAt time.Time
}

func (l *dunningLog) apply(rec DunningRecord) {
	l.seq = rec.Seq
	switch rec.Type {
	case EventDunningClosed:
		l.closed = true
	case EventResumed:
		l.open, l.openAt = nil, time.Time{}
	default:
		if len(l.steps) == 0 || rec.Days > l.maxDays {
			l.maxDays = rec.Days
		}
		l.steps[rec.Step] = true
		if rec.Type == EventSuspended && len(rec.Subscriptions) > 0 {
			l.open, l.openAt = append([]string(nil), rec.Subscriptions...), rec.At.UTC()
		}
	}
}

func (r *dunningRun) log(invoice string) *dunningLog {
	l := r.logs[invoice]
	if l == nil {
		l = &dunningLog{steps: map[string]bool{}}
		r.logs[invoice] = l
	}
	return l
}

// DunningHistory lists the dunning records of one invoice, or of every invoice when invoice
// is "" (by invoice id, then seq): the timeline finance reads.
func DunningHistory(ctx context.Context, log ledger.EventLog, invoice string) ([]DunningRecord, error) {
	evs, err := log.Events(ctx, ledger.EventQuery{AggregatePrefix: DunningAggregate + invoice})
	if err != nil {
		return nil, fmt.Errorf("dunning history %s: %w", invoice, err)
	}
	out := make([]DunningRecord, 0, len(evs))
	for _, ev := range evs {
		if invoice != "" && ev.Aggregate != DunningAggregate+invoice {
			continue
		}
		var rec DunningRecord
		if err := json.Unmarshal(ev.Data, &rec); err != nil {
			return nil, fmt.Errorf("dunning history: %s: decode: %v: %w", ev.Key(), err, ErrInvalid)
		}
		if rec.Invoice != strings.TrimPrefix(ev.Aggregate, DunningAggregate) || rec.Type != ev.Type {
			return nil, fmt.Errorf("dunning history: %s: payload names %s %q: %w", ev.Key(), rec.Invoice, rec.Type, ErrInvalid)
		}
		rec.Seq = ev.Seq
		out = append(out, rec)
	}
	return out, nil
}

// dunningLogs rebuilds every invoice's dunning log from the ledger.
func (s *Service) dunningLogs(ctx context.Context) (map[string]*dunningLog, error) {
	recs, err := DunningHistory(ctx, s.cfg.Store, "")
	if err != nil {
		return nil, err
	}
	logs := map[string]*dunningLog{}
	for _, rec := range recs {
		l := logs[rec.Invoice]
		if l == nil {
			l = &dunningLog{steps: map[string]bool{}}
			logs[rec.Invoice] = l
		}
		if rec.Seq != l.seq+1 {
			return nil, fmt.Errorf("dunning: %s%s#%d follows #%d (a gap: two writers?): %w", DunningAggregate, rec.Invoice, rec.Seq, l.seq, ErrConflict)
		}
		l.apply(rec)
	}
	return logs, nil
}

// event builds the log's next event for rec (filling its envelope fields).
func (r *dunningRun) event(di dunningInvoice, rec *DunningRecord) (ledger.Event, error) {
	l := r.log(di.inv.ID)
	rec.Invoice, rec.Number, rec.Buyer, rec.At, rec.Seq = di.inv.ID, di.inv.Number, di.inv.Buyer.ID, r.now, l.seq+1
	return newStateEvent(DunningAggregate+di.inv.ID, rec.Seq, rec.Type, r.now, r.s.cfg.Now(), r.actor, rec)
}

// record takes a step that changes nothing but the dunning log: the notification is queued and
// the audit entry written first, the step's event last (the commit point). A crash in between
// leaves the step untaken; the next run takes it again, and the notification and audit entry,
// having deterministic ids, are stored once.
func (r *dunningRun) record(ctx context.Context, di dunningInvoice, rec DunningRecord, note *OutboxEntry) error {
	ev, err := r.event(di, &rec)
	if err != nil {
		return err
	}
	if err := r.prepare(ctx, note, r.auditStep(rec)); err != nil {
		return err
	}
	if err := r.s.writeEvents(ctx, []ledger.Event{ev}); err != nil {
		return err
	}
	r.done(rec)
	return nil
}

// prepare queues a step's notification (unless queued by an earlier, interrupted attempt: a
// dispatcher may have sent it already) and writes its audit entries.
func (r *dunningRun) prepare(ctx context.Context, note *OutboxEntry, audit []ledger.AuditEntry) error {
	if note != nil {
		exists, err := r.s.outboxExists(ctx, note.ID)
		if err != nil {
			return err
		}
		if !exists {
			ev, err := note.QueuedEvent(r.actor)
			if err != nil {
				return err
			}
			if err := r.s.writeEvents(ctx, []ledger.Event{ev}); err != nil {
				return fmt.Errorf("queue notification %s: %w", note.ID, err)
			}
		}
	}
	if err := r.audit.WriteAudit(ctx, audit); err != nil {
		return fmt.Errorf("write %d dunning audit entries: %w", len(audit), err)
	}
	return nil
}

// done applies a committed record to the log and the report.
func (r *dunningRun) done(rec DunningRecord) {
	r.log(rec.Invoice).apply(rec)
	r.rep.Records = append(r.rep.Records, rec)
	switch rec.Type {
	case EventReminderSent:
		r.rep.Reminders++
	case EventStepSkipped:
		r.rep.Skipped++
	case EventSuspended:
		r.rep.Suspensions++
	case EventResumed:
		r.rep.Resumptions++
	case EventDunningClosed:
		r.rep.Closed++
	}
}

// auditStep is the audit trail of one record: the step on the invoice, and one entry per
// subscription it suspended or resumed (what finance and support look up by subscription).
func (r *dunningRun) auditStep(rec DunningRecord) []ledger.AuditEntry {
	detail := fmt.Sprintf("invoice %s of %s: %s", rec.Number, rec.Buyer, rec.Type)
	if rec.Step != "" {
		detail += fmt.Sprintf(" %s (due date %+d days, scheduled %s)", rec.Step, rec.Days, day(rec.Scheduled))
	}
	if rec.Reason != "" {
		detail += "; " + rec.Reason
	}
	if len(rec.Subscriptions) > 0 {
		detail += "; subscriptions " + strings.Join(rec.Subscriptions, ", ")
	}
	key := rec.Step
	if key == "" {
		key = rec.Type
	}
	out := []ledger.AuditEntry{{ID: ledger.DeterministicID("aud", "dunning", rec.Invoice, key, rec.Type), At: r.now, Actor: r.actor,
		Action: "dunning." + rec.Type, Object: "invoice:" + rec.Invoice, Origin: "dunning", Detail: detail}}
	for _, sub := range rec.Subscriptions {
		out = append(out, ledger.AuditEntry{ID: ledger.DeterministicID("aud", "dunning", rec.Invoice, key, rec.Type, sub), At: r.now,
			Actor: r.actor, Action: "subscription." + rec.Type, Object: "subscription:" + sub, Origin: "dunning",
			Detail: fmt.Sprintf("by dunning of invoice %s (%s)", rec.Number, rec.Invoice)})
	}
	return out
}
