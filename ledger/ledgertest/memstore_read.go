package ledgertest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

func meterMatch(meters []string, meter string) bool {
	if len(meters) == 0 {
		return true
	}
	for _, m := range meters {
		if m == meter {
			return true
		}
	}
	return false
}

// UsageTotals implements ledger.Reader.
func (m *MemStore) UsageTotals(_ context.Context, q ledger.UsageQuery) ([]ledger.UsageTotal, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("ledgertest: usage totals: %w", err)
	}
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	acc := map[string]*ledger.UsageTotal{}
	for _, u := range m.usage {
		if (q.Account != "" && u.Account != q.Account) || (q.PricingGroup != "" && u.PricingGroup != q.PricingGroup) ||
			(q.Subscription != "" && u.Subscription != q.Subscription) ||
			!inPeriod(u.EventTime, q.Period) || !meterMatch(q.Meters, u.Meter) {
			continue
		}
		t := acc[u.Meter]
		if t == nil {
			t = &ledger.UsageTotal{Meter: u.Meter}
			acc[u.Meter] = t
		}
		t.Quantity = t.Quantity.Add(u.Quantity)
		t.Events++
	}
	out := make([]ledger.UsageTotal, 0, len(acc))
	for _, t := range acc {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Meter < out[j].Meter })
	return out, nil
}

// Consumption implements ledger.Reader.
func (m *MemStore) Consumption(_ context.Context, q ledger.ConsumptionQuery) ([]ledger.ConsumptionRow, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("ledgertest: consumption: %w", err)
	}
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	type key struct {
		day          time.Time
		meter, group string
	}
	acc := map[key]*ledger.ConsumptionRow{}
	for _, u := range m.usage {
		if u.Account != q.Account || !inPeriod(u.EventTime, q.Period) || !meterMatch(q.Meters, u.Meter) {
			continue
		}
		k := key{day: u.EventTime.Truncate(24 * time.Hour), meter: u.Meter}
		if q.GroupBy != "" {
			for _, a := range u.Attributes {
				if a.Key == q.GroupBy {
					k.group = a.Value
					break
				}
			}
		}
		r := acc[k]
		if r == nil {
			r = &ledger.ConsumptionRow{Day: k.day, Meter: k.meter, Group: k.group}
			acc[k] = r
		}
		r.Quantity = r.Quantity.Add(u.Quantity)
		r.Events++
	}
	out := make([]ledger.ConsumptionRow, 0, len(acc))
	for _, r := range acc {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Day.Equal(b.Day) {
			return a.Day.Before(b.Day)
		}
		if a.Meter != b.Meter {
			return a.Meter < b.Meter
		}
		return a.Group < b.Group
	})
	return out, nil
}

// RatedTotals implements ledger.Reader.
func (m *MemStore) RatedTotals(_ context.Context, q ledger.UsageQuery) ([]ledger.RatedTotal, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("ledgertest: rated totals: %w", err)
	}
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	acc := map[[2]string]*ledger.RatedTotal{}
	for _, r := range m.allRated() {
		if (q.Account != "" && r.Account != q.Account) || (q.PricingGroup != "" && r.PricingGroup != q.PricingGroup) ||
			(q.Subscription != "" && r.Subscription != q.Subscription) ||
			!inPeriod(r.EventTime, q.Period) || !meterMatch(q.Meters, r.Meter) {
			continue
		}
		k := [2]string{r.Charge, r.Currency}
		t := acc[k]
		if t == nil {
			t = &ledger.RatedTotal{Charge: r.Charge, Currency: r.Currency}
			acc[k] = t
		}
		t.Quantity = t.Quantity.Add(r.Quantity)
		t.Amount = t.Amount.Add(r.Amount)
		t.Events++
	}
	out := make([]ledger.RatedTotal, 0, len(acc))
	for _, t := range acc {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Charge != out[j].Charge {
			return out[i].Charge < out[j].Charge
		}
		return out[i].Currency < out[j].Currency
	})
	return out, nil
}

// Balances implements ledger.Reader.
func (m *MemStore) Balances(_ context.Context, q ledger.BalanceQuery) ([]ledger.Balance, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("ledgertest: balances: %w", err)
	}
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	acc := map[[2]string]decimal.Decimal{}
	for _, l := range m.journal {
		if l.Time.After(tt(q.AsOf)) || !strings.HasPrefix(l.Account, q.AccountPrefix) {
			continue
		}
		k := [2]string{l.Account, l.Currency}
		acc[k] = acc[k].Add(l.Amount)
	}
	out := make([]ledger.Balance, 0, len(acc))
	for k, v := range acc {
		out = append(out, ledger.Balance{Account: k[0], Currency: k[1], Amount: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Currency < out[j].Currency
	})
	return out, nil
}

// Journal implements ledger.Reader.
func (m *MemStore) Journal(_ context.Context, q ledger.JournalQuery) ([]ledger.JournalLine, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("ledgertest: journal: %w", err)
	}
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	var out []ledger.JournalLine
	for _, l := range m.journal {
		if ledger.Party(l.Account) == q.Party && inPeriod(l.Time, q.Period) {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.TxID != b.TxID {
			return a.TxID < b.TxID
		}
		return a.Index < b.Index
	})
	return out, nil
}

// Documents implements ledger.Reader.
func (m *MemStore) Documents(_ context.Context, q ledger.DocumentQuery) ([]ledger.Document, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	var out []ledger.Document
	for _, d := range m.documents {
		if (q.Status != "" && d.Status != q.Status) || (q.Kind != "" && d.Kind != q.Kind) ||
			(q.Account != "" && d.Account != q.Account) || (q.Issuer != "" && d.Issuer != q.Issuer) {
			continue
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DocumentLines implements ledger.Reader.
func (m *MemStore) DocumentLines(_ context.Context, documentID string) ([]ledger.DocumentLine, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	versions := m.lines[documentID]
	var latest uint64
	found := false
	for v := range versions {
		if !found || v > latest {
			latest, found = v, true
		}
	}
	if !found {
		return nil, nil
	}
	byNo := map[uint32]ledger.DocumentLine{}
	for _, l := range versions[latest] {
		byNo[l.LineNo] = l
	}
	out := make([]ledger.DocumentLine, 0, len(byNo))
	for _, l := range byNo {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LineNo < out[j].LineNo })
	return out, nil
}

func (m *MemStore) matchingRejects(q ledger.RejectQuery) []ledger.Reject {
	var out []ledger.Reject
	for _, r := range m.rejects {
		if inPeriod(r.At, q.Period) && (q.Reason == "" || r.Reason == q.Reason) && q.MatchesSource(r.Source) {
			out = append(out, r)
		}
	}
	return out
}

// RejectCounts implements ledger.Reader.
func (m *MemStore) RejectCounts(_ context.Context, q ledger.RejectQuery) ([]ledger.RejectCount, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("ledgertest: reject counts: %w", err)
	}
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	acc := map[string]uint64{}
	for _, r := range m.matchingRejects(q) {
		acc[r.Reason]++
	}
	out := make([]ledger.RejectCount, 0, len(acc))
	for reason, n := range acc {
		out = append(out, ledger.RejectCount{Reason: reason, Count: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reason < out[j].Reason })
	return out, nil
}

// Rejects implements ledger.Reader.
func (m *MemStore) Rejects(_ context.Context, q ledger.RejectQuery) ([]ledger.Reject, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("ledgertest: rejects: %w", err)
	}
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	out := m.matchingRejects(q)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		if a.Partition != b.Partition {
			return a.Partition < b.Partition
		}
		return a.Offset < b.Offset
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// Audit implements ledger.Reader.
func (m *MemStore) Audit(_ context.Context, q ledger.AuditQuery) ([]ledger.AuditEntry, error) {
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("ledgertest: audit: %w", err)
	}
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	var out []ledger.AuditEntry
	for _, a := range m.audit {
		if inPeriod(a.At, q.Period) && (q.Object == "" || a.Object == q.Object) {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
