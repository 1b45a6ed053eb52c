package ledgertest

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/cascade-billing/cascade/ledger"
)

var _ ledger.Scanner = (*MemStore)(nil)

// ScanUsage implements ledger.Scanner.
func (m *MemStore) ScanUsage(_ context.Context, q ledger.ScanQuery) ([]ledger.UsageRef, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("ledgertest: scan usage: %w", err)
	}
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	since := tt(q.Since)
	out := []ledger.UsageRef{}
	for _, u := range m.usage {
		if u.EventTime.Before(since) {
			continue
		}
		out = append(out, ledger.UsageRef{Source: u.Source, EventID: u.EventID, Subject: u.Subject, Meter: u.Meter,
			Account: u.Account, PricingGroup: u.PricingGroup, EventTime: u.EventTime})
	}
	slices.SortFunc(out, func(a, b ledger.UsageRef) int {
		return cmp.Or(a.EventTime.Compare(b.EventTime), cmp.Compare(a.Source, b.Source), cmp.Compare(a.EventID, b.EventID))
	})
	return out, nil
}

// ScanRated implements ledger.Scanner.
func (m *MemStore) ScanRated(_ context.Context, q ledger.ScanQuery) ([]ledger.RatedRef, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("ledgertest: scan rated: %w", err)
	}
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	since := tt(q.Since)
	out := []ledger.RatedRef{}
	for _, r := range m.allRated() {
		if r.EventTime.Before(since) {
			continue
		}
		out = append(out, ledger.RatedRef{ID: r.ID, Source: r.Source, EventID: r.EventID, Charge: r.Charge,
			EventTime: r.EventTime, Quantity: r.Quantity})
	}
	slices.SortFunc(out, func(a, b ledger.RatedRef) int {
		return cmp.Or(a.EventTime.Compare(b.EventTime), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
