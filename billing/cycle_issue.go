package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// cycleActor is the actor recorded on what the cycle writes.
const cycleActor = "cycle"

// draft is a built invoice with what issuing it must record.
type draft struct {
	job *job
	inv *Invoice
}

// issueBatch builds the batch's invoices, then issues them with four ledger writes, in an
// order that makes a crash at any point safe to re-run:
//  1. the number events — a number is taken once its event exists; a re-run finds the
//     document's number already assigned and reuses it (no gap, no second number);
//  2. the journal transactions and 3. the documents — deterministic ids, so rewriting them
//     after a crash stores them once;
//  4. the invoice snapshots and the subscriptions' "billed" events — the commit point: until
//     they exist, a re-run rebuilds and re-issues the same invoice under the same number.
func (s *Service) issueBatch(ctx context.Context, drafts []draft, rep *CycleReport) (err error) {
	// From here on, number and billed events are applied to memory before they are written:
	// any failure leaves memory ahead of the ledger; the next cycle or command reloads it.
	defer func() {
		if err != nil {
			s.broken = err
		}
	}()
	now := s.cfg.Now().UTC()
	var (
		numbers []ledger.Event
		txs     []ledger.Transaction
		docs    []ledger.Document
		commit  []ledger.Event
		issued  []*Invoice
	)
	for _, d := range drafts {
		if prev, ok := s.docs[d.inv.ID]; ok && prev.Status != StatusDraft {
			rep.AlreadyIssued++ // issued by an earlier run whose billed events did not land
			evs, err := s.billedEvents(d.job, prev.ID, now)
			if err != nil {
				return err
			}
			commit = append(commit, evs...)
			continue
		}
		if _, numbered := s.numbering.Assigned(DocInvoice, d.inv.ID); len(d.inv.Lines) == 0 && !numbered {
			// (An interrupted invoice that already holds a number is issued even if it came
			// out empty this time, so its number is not left as a gap.)
			rep.Empty++
			evs, err := s.billedEvents(d.job, "", now)
			if err != nil {
				return err
			}
			commit = append(commit, evs...)
			continue
		}
		number, ev, err := s.numbering.Next(d.job.issuer, DocInvoice, d.inv.ID, now, cycleActor)
		if err != nil {
			return fmt.Errorf("invoice cycle: number invoice %s of %s: %w", d.inv.ID, d.job.issuer.ID, err)
		}
		issuedAt := now
		if ev != nil {
			if err := s.numbering.Apply(*ev); err != nil {
				return fmt.Errorf("invoice cycle: number invoice %s: %w", d.inv.ID, err)
			}
			numbers = append(numbers, *ev)
		} else if at, ok := s.numbering.AssignedAt(DocInvoice, d.inv.ID); ok {
			// Re-issuing after an interrupted run: the same instant as then, so the journal,
			// document and snapshot rows it may already have written are rewritten identically.
			issuedAt = at
		}
		if err := d.inv.Issue(number, issuedAt, d.job.buyer.PaymentTermsDays); err != nil {
			return fmt.Errorf("invoice cycle: issue %s: %w", d.inv.ID, err)
		}
		tx, err := InvoiceTransaction(d.inv)
		if err != nil {
			return fmt.Errorf("invoice cycle: journal of %s: %w", number, err)
		}
		splits, err := s.splitTransactions(d.inv)
		if err != nil {
			return fmt.Errorf("invoice cycle: revenue split of %s: %w", number, err)
		}
		txs = append(txs, splits...)
		snap, err := SnapshotEvent(d.inv, s.docSeq[d.inv.ID]+1, issuedAt, cycleActor)
		if err != nil {
			return fmt.Errorf("invoice cycle: snapshot of %s: %w", number, err)
		}
		evs, err := s.billedEvents(d.job, d.inv.ID, now)
		if err != nil {
			return err
		}
		txs = append(txs, tx)
		docs = append(docs, ToDocument(d.inv, s.docSeq[d.inv.ID]+1, issuedAt, cycleActor))
		commit = append(commit, snap)
		commit = append(commit, evs...)
		issued = append(issued, d.inv)
	}
	if err := s.writeIssue(ctx, numbers, txs, docs, commit); err != nil {
		return err
	}
	for _, inv := range issued {
		s.docs[inv.ID] = inv
		s.docSeq[inv.ID]++
		rep.Invoices++
		rep.Issued = append(rep.Issued, inv.ID)
	}
	return nil
}

func (s *Service) writeIssue(ctx context.Context, numbers []ledger.Event, txs []ledger.Transaction, docs []ledger.Document, commit []ledger.Event) error {
	if err := s.writeEvents(ctx, numbers); err != nil {
		return fmt.Errorf("invoice cycle: write numbers: %w", err)
	}
	if len(txs) > 0 {
		if err := s.cfg.Store.WriteTransactions(ctx, txs); err != nil {
			return fmt.Errorf("invoice cycle: write %d journal transactions: %w", len(txs), err)
		}
	}
	if len(docs) > 0 {
		if err := s.cfg.Store.WriteDocuments(ctx, docs); err != nil {
			return fmt.Errorf("invoice cycle: write %d documents: %w", len(docs), err)
		}
	}
	// H1: the audit rows of these postings, before the commit point (audit.go).
	audit, err := s.auditRows(txs, docs, commit)
	if err == nil {
		err = s.writeAudit(ctx, audit)
	}
	if err != nil {
		return fmt.Errorf("invoice cycle: %w", err)
	}
	if err := s.writeEvents(ctx, commit); err != nil {
		return fmt.Errorf("invoice cycle: write invoice snapshots: %w", err)
	}
	return nil
}

// billedEvents records, for every subscription of the job, that its boundary is billed.
// Each subscription's events are applied at once so a second boundary of the same
// subscription in the batch gets the next seq.
func (s *Service) billedEvents(j *job, invoiceID string, now time.Time) ([]ledger.Event, error) {
	var out []ledger.Event
	for _, sub := range j.subs {
		evs, err := s.state.Billed(sub.ID, j.boundary, invoiceID, now, cycleActor)
		if err != nil {
			return nil, fmt.Errorf("invoice cycle: mark subscription %s billed at %s: %w", sub.ID, j.boundary.Format(time.RFC3339), err)
		}
		for _, ev := range evs {
			if err := s.state.Apply(ev); err != nil {
				s.broken = err
				return nil, fmt.Errorf("invoice cycle: subscription %s: %w", sub.ID, err)
			}
		}
		out = append(out, evs...)
	}
	return out, nil
}
