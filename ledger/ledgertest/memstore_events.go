package ledgertest

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/cascade-billing/cascade/ledger"
)

var (
	_ ledger.EventLog          = (*MemStore)(nil)
	_ ledger.PeriodUsageReader = (*MemStore)(nil)
)

// WriteEvents implements ledger.EventLog. Like the ClickHouse backends, a second write of an
// identity replaces the first (the owner of an aggregate writes the same event again only on a
// retry, so both copies are equal).
func (m *MemStore) WriteEvents(_ context.Context, events []ledger.Event) error {
	if err := ledger.ValidateEvents(events); err != nil {
		return err
	}
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for _, e := range events {
		e.At, e.RecordedAt = tt(e.At), tt(e.RecordedAt)
		e.Data = append([]byte{}, e.Data...)
		m.events[eventKey{e.Aggregate, e.Seq}] = e
	}
	return nil
}

// Events implements ledger.EventLog; the caller gets its own copies of the payloads.
func (m *MemStore) Events(_ context.Context, q ledger.EventQuery) ([]ledger.Event, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	out := []ledger.Event{}
	for _, e := range m.events {
		if q.Matches(e.Aggregate) {
			e.Data = append([]byte{}, e.Data...)
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b ledger.Event) int {
		return cmp.Or(cmp.Compare(a.Aggregate, b.Aggregate), cmp.Compare(a.Seq, b.Seq))
	})
	return out, nil
}

// usageGroup is the key of one PeriodUsage answer row.
type usageGroup struct{ account, subscription, meter string }

// PeriodUsage implements ledger.PeriodUsageReader.
func (m *MemStore) PeriodUsage(_ context.Context, q ledger.PeriodUsageQuery) ([]ledger.AccountUsage, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("ledgertest: period usage: %w", err)
	}
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	var accounts map[string]bool
	if len(q.Accounts) > 0 {
		accounts = make(map[string]bool, len(q.Accounts))
		for _, a := range q.Accounts {
			accounts[a] = true
		}
	}
	cut := tt(q.IngestedBefore)
	groups := map[usageGroup]*ledger.AccountUsage{}
	latest := map[usageGroup]ledger.Usage{} // the event Latest came from
	distinct := map[usageGroup]map[string]bool{}
	for _, u := range m.usage {
		if !inPeriod(u.EventTime, q.Period) || (accounts != nil && !accounts[u.Account]) ||
			(!cut.IsZero() && !u.IngestTime.Before(cut)) {
			continue
		}
		k := usageGroup{u.Account, u.Subscription, u.Meter}
		g := groups[k]
		if g == nil {
			g = &ledger.AccountUsage{Account: u.Account, Subscription: u.Subscription, Meter: u.Meter, Max: u.Quantity}
			groups[k] = g
		}
		g.Quantity = g.Quantity.Add(u.Quantity)
		if u.Quantity.GreaterThan(g.Max) {
			g.Max = u.Quantity
		}
		if l, ok := latest[k]; !ok || laterEvent(u, l) {
			latest[k] = u
			g.Latest = u.Quantity
		}
		g.Events++
		if key, ok := q.UniqueBy[u.Meter]; ok {
			for _, a := range u.Attributes {
				if a.Key == key && a.Value != "" {
					if distinct[k] == nil {
						distinct[k] = map[string]bool{}
					}
					distinct[k][a.Value] = true
					break
				}
			}
		}
	}
	for k, vs := range distinct {
		groups[k].Unique = uint64(len(vs))
	}
	out := make([]ledger.AccountUsage, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b ledger.AccountUsage) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Subscription, b.Subscription), cmp.Compare(a.Meter, b.Meter))
	})
	return out, nil
}

// laterEvent orders usage events for "latest": by event time, then event id, then source (the
// last only breaks ties between sources).
func laterEvent(a, b ledger.Usage) bool {
	return cmp.Or(a.EventTime.Compare(b.EventTime), cmp.Compare(a.EventID, b.EventID), cmp.Compare(a.Source, b.Source)) > 0
}
