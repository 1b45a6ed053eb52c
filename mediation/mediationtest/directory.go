// Package mediationtest provides in-memory fakes of the interfaces package mediation declares
// (Directory, Sink, DedupLoader, TotalsLoader), for tests and benchmarks, like net/http/httptest.
package mediationtest

import (
	"sync"
	"time"

	"github.com/cascade-billing/cascade/mediation"
)

// Directory is an in-memory mediation.Directory: one enrichment per subject, with calendar-month
// billing periods (UTC) when the enrichment gives none. Safe for concurrent use.
type Directory struct {
	mu   sync.RWMutex
	subs map[string]mediation.Enrichment
}

// NewDirectory returns an empty directory.
func NewDirectory() *Directory { return &Directory{subs: map[string]mediation.Enrichment{}} }

// Add registers (or replaces) a subject's enrichment.
func (d *Directory) Add(subject string, e mediation.Enrichment) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.subs[subject] = e
}

// Lookup implements mediation.Directory; the meter is not checked.
func (d *Directory) Lookup(subject, _ string, at time.Time) (mediation.Enrichment, bool) {
	d.mu.RLock()
	e, ok := d.subs[subject]
	d.mu.RUnlock()
	if ok && e.PeriodStart.IsZero() {
		at = at.UTC()
		e.PeriodStart = time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
		e.PeriodEnd = e.PeriodStart.AddDate(0, 1, 0)
	}
	return e, ok
}
