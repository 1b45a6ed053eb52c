package billing

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// NotifyReport says what a queueing call added to the outbox.
type NotifyReport struct {
	// Queued lists the new notification ids; Existing counts the facts already queued earlier
	// (a re-run queues nothing).
	Queued   []string
	Existing int
}

// QueueDocumentNotifications queues "invoice issued" for every invoice issued at or after since,
// and "payment received" for every such invoice now paid. It reads the documents, so neither the
// invoice cycle nor the payment code has to know about notifications; run it after them (the
// scheduler does, daily or after each cycle). Each fact is queued once: the id is derived from
// (kind, invoice), and a re-run finds it queued. since keeps a first run from notifying a
// backlog of old invoices.
func (s *Service) QueueDocumentNotifications(ctx context.Context, since time.Time, actor string) (NotifyReport, error) {
	s.dun.mu.Lock()
	defer s.dun.mu.Unlock()
	type fact struct {
		kind NotificationKind
		inv  *Invoice
		acc  *Account
	}
	var facts []fact
	err := s.viewRecovered(ctx, func(st *State) error {
		for _, inv := range s.docs {
			if inv.Kind != DocInvoice || inv.IssuedAt.Before(since) || (inv.Status != StatusIssued && inv.Status != StatusPaid) {
				continue
			}
			acc, ok := st.Account(inv.Buyer.ID)
			if !ok {
				return fmt.Errorf("notify invoice %s: buyer %s: %w", inv.Number, inv.Buyer.ID, ErrNotFound)
			}
			facts = append(facts, fact{NotifyInvoiceIssued, inv, acc})
			if inv.Status == StatusPaid {
				facts = append(facts, fact{NotifyPaymentReceived, inv, acc})
			}
		}
		return nil
	})
	if err != nil {
		return NotifyReport{}, err
	}
	sort.Slice(facts, func(i, j int) bool {
		a, b := facts[i], facts[j]
		if !a.inv.IssuedAt.Equal(b.inv.IssuedAt) {
			return a.inv.IssuedAt.Before(b.inv.IssuedAt)
		}
		if a.inv.ID != b.inv.ID {
			return a.inv.ID < b.inv.ID
		}
		return a.kind < b.kind
	})
	queued, err := s.queuedIDs(ctx)
	if err != nil {
		return NotifyReport{}, err
	}
	var rep NotifyReport
	var evs []ledger.Event
	now := s.cfg.Now().UTC()
	for _, f := range facts {
		object := "invoice:" + f.inv.ID
		if queued[NotificationID(f.kind, object, "")] {
			rep.Existing++
			continue
		}
		d, err := invoiceData(f.inv, PartyOf(f.acc))
		if err != nil {
			return rep, err
		}
		e, err := renderNotification(f.kind, object, "", PartyOf(f.acc), d, now)
		if err != nil {
			return rep, err
		}
		ev, err := e.QueuedEvent(actor)
		if err != nil {
			return rep, err
		}
		evs = append(evs, ev)
		rep.Queued = append(rep.Queued, e.ID)
	}
	if err := s.writeEvents(ctx, evs); err != nil {
		return NotifyReport{}, fmt.Errorf("queue %d document notifications: %w", len(evs), err)
	}
	return rep, nil
}

// QueueStatementReady queues "commission statement ready" for a partner's statement of a
// period, once per (partner, period). The body carries the statement's totals per currency, so
// it is built from the journal now.
func (s *Service) QueueStatementReady(ctx context.Context, partner string, period Period, actor string) (NotifyReport, error) {
	st, err := s.Statement(ctx, partner, period)
	if err != nil {
		return NotifyReport{}, fmt.Errorf("notify statement of %s: %w", partner, err)
	}
	label := period.From.UTC().Format(time.DateOnly) + ".." + period.To.UTC().Format(time.DateOnly)
	if f, t := period.From.UTC(), period.To.UTC(); f.Day() == 1 && f.Hour() == 0 && t.Equal(f.AddDate(0, 1, 0)) {
		label = f.Format("2006-01")
	}
	object := "statement:" + partner + ":" + label
	id := NotificationID(NotifyStatementReady, object, "")
	s.dun.mu.Lock()
	defer s.dun.mu.Unlock()
	switch ok, err := s.outboxExists(ctx, id); {
	case err != nil:
		return NotifyReport{}, err
	case ok:
		return NotifyReport{Existing: 1}, nil
	}
	var acc *Account
	if err := s.View(func(v *State) error {
		a, ok := v.Account(partner)
		if !ok {
			return fmt.Errorf("notify statement: partner %s: %w", partner, ErrNotFound)
		}
		acc = a
		return nil
	}); err != nil {
		return NotifyReport{}, err
	}
	d := notifyData{AccountID: acc.ID, AccountName: acc.Name, Period: label}
	for _, t := range st.Totals {
		digits, err := amounts(t.Currency, t.Retail, t.Cost, t.Margin)
		if err != nil {
			return NotifyReport{}, fmt.Errorf("notify statement of %s: %w", partner, err)
		}
		d.Totals = append(d.Totals, fmt.Sprintf("%s: %d lines, retail %s, cost %s, margin %s", t.Currency, t.Lines, digits[0], digits[1], digits[2]))
	}
	e, err := renderNotification(NotifyStatementReady, object, "", PartyOf(acc), d, s.cfg.Now())
	if err != nil {
		return NotifyReport{}, err
	}
	ev, err := e.QueuedEvent(actor)
	if err != nil {
		return NotifyReport{}, err
	}
	if err := s.writeEvents(ctx, []ledger.Event{ev}); err != nil {
		return NotifyReport{}, fmt.Errorf("queue statement notification for %s: %w", partner, err)
	}
	return NotifyReport{Queued: []string{e.ID}}, nil
}
