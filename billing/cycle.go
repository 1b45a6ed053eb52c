package billing

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// CycleReport says what one invoice cycle did.
type CycleReport struct {
	AsOf time.Time
	// Invoices is how many invoices the cycle issued; AlreadyIssued how many due invoices it
	// found issued by an earlier run (a re-run reports them all here and issues nothing).
	Invoices      int
	AlreadyIssued int
	// Empty counts boundaries that owed nothing (no line): recorded as billed, no document.
	Empty int
	// Subscriptions is how many subscriptions were billed at least once.
	Subscriptions int
	// Issued lists the ids of the invoices issued, in issue order.
	Issued []string
	// Failed lists the invoices that could not be built (a buyer's bad data); nothing of them
	// was written, and the next run tries them again.
	Failed []CycleFailure
}

// CycleFailure is one invoice a cycle could not build.
type CycleFailure struct {
	Issuer, Buyer string
	Boundary      time.Time
	Err           error
}

// ErrIncomplete marks a cycle that issued what it could but skipped invoices it could not build
// (CycleReport.Failed says which and why).
var ErrIncomplete = errors.New("cycle incomplete")

// job is one issuer → buyer invoice at one boundary.
type job struct {
	id       string
	issuer   *Account
	buyer    *Account
	boundary time.Time
	subs     []*Subscription
}

// InvoiceID is the deterministic id of the invoice an issuer sends a buyer at a boundary: the
// same inputs always name the same invoice, which is what makes re-runs harmless.
func InvoiceID(issuer, buyer string, boundary time.Time) string {
	return ledger.DeterministicID("inv", issuer, buyer, boundary.UTC().Format(time.RFC3339Nano))
}

// RunCycle issues every invoice due at or before asOf: for each subscription, each billing
// boundary not yet billed; one invoice per issuer → buyer → boundary. Usage is read from the
// ledger as it is now; usage that arrives later for an invoiced period becomes an adjustment
// line on the buyer's next invoice (within LateWindow). Re-running issues nothing twice.
func (s *Service) RunCycle(ctx context.Context, asOf time.Time) (CycleReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := CycleReport{AsOf: asOf.UTC()}
	// After a failed write, rebuild memory from the ledger, then carry on: what the failed
	// run numbered is re-issued under the same numbers, at the same instant.
	if err := s.recover(ctx); err != nil {
		return rep, err
	}
	if err := s.ready(); err != nil {
		return rep, err
	}
	jobs, err := s.dueJobs(asOf.UTC(), "")
	if err != nil {
		return rep, err
	}
	// Build every invoice first: one bulk usage read per distinct window for the whole cycle,
	// then issue in batches (a batch is a handful of ledger writes). An invoice that cannot be
	// built is reported and skipped; the others are issued, and the next run retries it.
	drafts, failed, err := s.build(ctx, jobs)
	if err != nil {
		return rep, err
	}
	rep.Failed = failed
	billed := map[string]bool{}
	for len(drafts) > 0 {
		n := min(s.cfg.BatchSize, len(drafts))
		if err := s.issueBatch(ctx, drafts[:n], &rep); err != nil {
			return rep, err
		}
		for _, d := range drafts[:n] {
			for _, sub := range d.job.subs {
				billed[sub.ID] = true
			}
		}
		drafts = drafts[n:]
	}
	rep.Subscriptions = len(billed)
	s.log.Info("invoice cycle done", "as_of", rep.AsOf, "invoices", rep.Invoices,
		"already_issued", rep.AlreadyIssued, "empty", rep.Empty, "subscriptions", rep.Subscriptions, "failed", len(rep.Failed))
	for _, f := range rep.Failed {
		s.log.Error("invoice not issued", "issuer", f.Issuer, "buyer", f.Buyer, "boundary", f.Boundary, "err", f.Err)
	}
	if len(rep.Failed) > 0 {
		return rep, fmt.Errorf("invoice cycle as of %s: %d invoices could not be built (first: %s → %s: %v): %w",
			rep.AsOf.Format(time.RFC3339), len(rep.Failed), rep.Failed[0].Issuer, rep.Failed[0].Buyer, rep.Failed[0].Err, ErrIncomplete)
	}
	return rep, nil
}

// dueJobs lists the unbilled boundaries up to asOf of every subscription (of one buyer when
// buyer is set), grouped into invoices, oldest boundary first so numbers follow time.
func (s *Service) dueJobs(asOf time.Time, buyer string) ([]*job, error) {
	byID := map[string]*job{}
	for _, sub := range s.state.Subscriptions() {
		if buyer != "" && sub.Account != buyer {
			continue
		}
		for _, b := range s.state.Due(sub, sub.BilledThrough(), asOf) {
			if s.state.IsBilled(sub.ID, b) {
				continue
			}
			// The buyer and its issuer as they stood at the boundary: a customer moved to
			// another reseller after the period is still invoiced by the one that sold it.
			buyerAt, ok := s.state.AccountAt(sub.Account, b)
			if !ok {
				return nil, fmt.Errorf("invoice cycle: subscription %s: account %s at %s: %w", sub.ID, sub.Account, b.Format(time.RFC3339), ErrNotFound)
			}
			issuer, ok := s.state.AccountAt(buyerAt.Parent, b)
			if !ok {
				return nil, fmt.Errorf("invoice cycle: subscription %s: issuer %q of %s at %s: %w", sub.ID, buyerAt.Parent, sub.Account, b.Format(time.RFC3339), ErrNotFound)
			}
			id := InvoiceID(issuer.ID, sub.Account, b)
			j := byID[id]
			if j == nil {
				j = &job{id: id, issuer: issuer, buyer: buyerAt, boundary: b}
				byID[id] = j
			}
			j.subs = append(j.subs, sub)
		}
	}
	jobs := make([]*job, 0, len(byID))
	for _, j := range byID {
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool {
		x, y := jobs[a], jobs[b]
		if !x.boundary.Equal(y.boundary) {
			return x.boundary.Before(y.boundary)
		}
		if x.issuer.ID != y.issuer.ID {
			return x.issuer.ID < y.issuer.ID
		}
		return x.buyer.ID < y.buyer.ID
	})
	return jobs, nil
}
