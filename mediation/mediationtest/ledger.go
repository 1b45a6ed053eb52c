package mediationtest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/shopspring/decimal"
)

// ErrInjected is the error a Ledger returns for a write it was told to fail.
var ErrInjected = errors.New("mediationtest: injected sink failure")

// Ledger is an in-memory stand-in for the ledger and the dead letters: a mediation.Sink that
// keeps rows by id (a rewrite with the same id replaces, as ReplacingMergeTree collapses it), and
// the DedupLoader and TotalsLoader that rebuild a partition's state from what it holds. Safe
// for concurrent use.
type Ledger struct {
	mu       sync.Mutex
	usage    map[mediation.ID]mediation.UsageRow
	deltas   map[mediation.ID]Delta
	rejected []mediation.Rejected
	writes   int
	failNext int
}

// Delta is a stored rated delta with the partition its batch came from.
type Delta struct {
	mediation.RatedDelta
	Partition int
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{usage: map[mediation.ID]mediation.UsageRow{}, deltas: map[mediation.ID]Delta{}}
}

// FailNext makes the next n writes fail with ErrInjected, storing nothing.
func (l *Ledger) FailNext(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failNext = n
}

// Write implements mediation.Sink, copying everything it keeps (the batch is reused).
func (l *Ledger) Write(_ context.Context, b *mediation.Batch) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failNext > 0 {
		l.failNext--
		return ErrInjected
	}
	l.writes++
	for _, u := range b.Usage {
		u.Record = cloneRecord(u.Record)
		l.usage[u.ID] = u
	}
	for _, d := range b.Deltas {
		d.Scope, d.PlanID, d.Charge = strings.Clone(d.Scope), strings.Clone(d.PlanID), strings.Clone(d.Charge)
		l.deltas[d.ID] = Delta{RatedDelta: d, Partition: b.Partition}
	}
	for _, r := range b.Rejected {
		r.Value = append([]byte(nil), r.Value...)
		r.Key = append([]byte(nil), r.Key...)
		r.Source, r.EventID, r.Detail = strings.Clone(r.Source), strings.Clone(r.EventID), strings.Clone(r.Detail)
		l.rejected = append(l.rejected, r)
	}
	return nil
}

func cloneRecord(r mediation.Record) mediation.Record {
	r.ID, r.Source, r.Type, r.Subject = strings.Clone(r.ID), strings.Clone(r.Source), strings.Clone(r.Type), strings.Clone(r.Subject)
	attrs := make([]mediation.Attr, len(r.Attrs))
	for i, a := range r.Attrs {
		attrs[i] = mediation.Attr{Key: strings.Clone(a.Key), Value: strings.Clone(a.Value)}
	}
	r.Attrs = attrs
	return r
}

// Usage returns the stored usage rows (any order).
func (l *Ledger) Usage() []mediation.UsageRow {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]mediation.UsageRow, 0, len(l.usage))
	for _, u := range l.usage {
		out = append(out, u)
	}
	return out
}

// Deltas returns the stored rated deltas (any order).
func (l *Ledger) Deltas() []Delta {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Delta, 0, len(l.deltas))
	for _, d := range l.deltas {
		out = append(out, d)
	}
	return out
}

// Rejected returns the dead letters in arrival order.
func (l *Ledger) Rejected() []mediation.Rejected {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]mediation.Rejected(nil), l.rejected...)
}

// Writes is the number of successful writes.
func (l *Ledger) Writes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writes
}

// LoadSeen implements mediation.DedupLoader from the stored usage rows of the partition.
func (l *Ledger) LoadSeen(_ context.Context, _ string, partition int, since time.Time, add func(mediation.ID, time.Time)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, u := range l.usage {
		if u.Partition == partition && !u.Time.Before(since) {
			add(id, u.Time)
		}
	}
	return nil
}

// LoadTotals implements mediation.TotalsLoader: each running total is the sum of the stored
// deltas' quantities of its key (for a max meter, the quantities sum to the maximum).
func (l *Ledger) LoadTotals(_ context.Context, _ string, partition int, since time.Time, set func(mediation.TotalKey, decimal.Decimal)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	sums := map[mediation.TotalKey]decimal.Decimal{}
	for _, d := range l.deltas {
		if d.Partition != partition || !d.PeriodEnd.After(since) {
			continue
		}
		k := mediation.TotalKey{Scope: d.Scope, PlanID: d.PlanID, Charge: d.Charge, PeriodStart: d.PeriodStart}
		sums[k] = sums[k].Add(d.Quantity.Decimal())
	}
	for k, v := range sums {
		set(k, v)
	}
	return nil
}

// Discard is a Sink that keeps nothing and counts, for benchmarks.
type Discard struct {
	mu                  sync.Mutex
	Usage, Deltas, Rejs int
}

// Write implements mediation.Sink.
func (d *Discard) Write(_ context.Context, b *mediation.Batch) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.Usage += len(b.Usage)
	d.Deltas += len(b.Deltas)
	d.Rejs += len(b.Rejected)
	return nil
}
