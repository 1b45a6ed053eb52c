// Package mediationtest provides in-memory fakes of the interfaces package mediation declares
// (Directory, Sink, DedupLoader, TotalsLoader), for tests and benchmarks, like net/http/httptest.
package mediationtest

import (
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cascade-billing/cascade/mediation"
)

// Directory is an in-memory mediation.Directory: one enrichment per subject, with calendar-month
// billing periods (UTC) when the enrichment gives none. Safe for concurrent use.
//
// Lookups read an immutable snapshot through an atomic pointer and take no lock: partitions
// look up every record in parallel, and a read lock's shared counter would bounce between the
// cores on every record (measured in BenchmarkPipeline). Writers copy the snapshot.
type Directory struct {
	mu  sync.Mutex // serialises writers
	cur atomic.Pointer[directoryState]
}

type directoryState struct {
	subs        map[string]mediation.Enrichment
	closedUntil time.Time
}

// NewDirectory returns an empty directory.
func NewDirectory() *Directory {
	d := &Directory{}
	d.cur.Store(&directoryState{subs: map[string]mediation.Enrichment{}})
	return d
}

// update applies f to a copy of the state and publishes it.
func (d *Directory) update(f func(*directoryState)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.cur.Load()
	next := &directoryState{subs: maps.Clone(old.subs), closedUntil: old.closedUntil}
	f(next)
	d.cur.Store(next)
}

// Add registers (or replaces) a subject's enrichment.
func (d *Directory) Add(subject string, e mediation.Enrichment) {
	d.update(func(s *directoryState) { s.subs[subject] = e })
}

// CloseUntil marks every billing period ending at or before t as closed (invoiced), as billing
// does when it cuts the invoices of a cycle: Lookup then sets Enrichment.Closed for events in them.
func (d *Directory) CloseUntil(t time.Time) {
	d.update(func(s *directoryState) { s.closedUntil = t })
}

// Lookup implements mediation.Directory; the meter is not checked.
func (d *Directory) Lookup(subject, _ string, at time.Time) (mediation.Enrichment, bool) {
	s := d.cur.Load()
	e, ok := s.subs[subject]
	if !ok {
		return e, false
	}
	if e.PeriodStart.IsZero() {
		at = at.UTC()
		e.PeriodStart = time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
		e.PeriodEnd = e.PeriodStart.AddDate(0, 1, 0)
	}
	if !s.closedUntil.IsZero() && !e.PeriodEnd.After(s.closedUntil) {
		e.Closed = true
	}
	return e, true
}
