package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// Preview is the dry run of invoicing one buyer at `at`: the invoices a cycle run at `at`
// would issue to it now, or, when nothing is due, the next invoice as it stands with the usage
// so far. Drafts only: it writes nothing and takes no number.
func (s *Service) Preview(ctx context.Context, buyer string, at time.Time) ([]*Invoice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	if _, ok := s.state.Account(buyer); !ok {
		return nil, fmt.Errorf("preview: account %s: %w", buyer, ErrNotFound)
	}
	at = at.UTC()
	jobs, err := s.dueJobs(at, buyer)
	if err != nil {
		return nil, err
	}
	if len(jobs) == 0 {
		if jobs, err = s.nextJobs(at, buyer); err != nil {
			return nil, err
		}
	}
	drafts, failed, err := s.build(ctx, jobs)
	if err != nil {
		return nil, err
	}
	if len(failed) > 0 {
		return nil, fmt.Errorf("preview of %s at %s: %w", buyer, failed[0].Boundary.Format(time.RFC3339), failed[0].Err)
	}
	out := make([]*Invoice, 0, len(drafts))
	for _, d := range drafts {
		out = append(out, d.inv)
	}
	return out, nil
}

// nextJobs is the buyer's next boundary after at (one year ahead at most), for a preview of
// the invoice in progress.
func (s *Service) nextJobs(at time.Time, buyer string) ([]*job, error) {
	jobs, err := s.dueJobs(at.AddDate(1, 0, 0), buyer)
	if err != nil || len(jobs) == 0 {
		return nil, err
	}
	first := jobs[0].boundary
	n := 0
	for n < len(jobs) && jobs[n].boundary.Equal(first) {
		n++
	}
	return jobs[:n], nil
}

// Void voids an issued invoice: a new document version and a journal transaction reversing
// the invoice's posting. A paid or credited invoice cannot be voided (credit it instead).
func (s *Service) Void(ctx context.Context, id, actor string) (*Invoice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	cur, ok := s.docs[id]
	if !ok {
		return nil, fmt.Errorf("void %s: %w", id, ErrNotFound)
	}
	if len(s.credited[id]) > 0 {
		return nil, fmt.Errorf("void %s (%s): it has %d credit notes; credit the rest instead: %w", id, cur.Number, len(s.credited[id]), ErrConflict)
	}
	if paid := s.payments.live(s.state).allocated[id]; paid.IsPositive() {
		return nil, fmt.Errorf("void %s (%s): payments of %s %s are allocated to it; credit it instead: %w", id, cur.Number, paid, cur.Currency, ErrConflict)
	}
	now := s.cfg.Now().UTC()
	inv := cur.clone()
	if err := inv.Void(now); err != nil {
		return nil, fmt.Errorf("void %s (%s): %w", id, cur.Number, err)
	}
	tx, err := VoidTransaction(inv, now)
	if err != nil {
		return nil, fmt.Errorf("void %s (%s): %w", id, cur.Number, err)
	}
	txs := []ledger.Transaction{tx}
	splits, err := s.splitVoidTransactions(inv, now)
	if err != nil {
		return nil, fmt.Errorf("void %s (%s): revenue split: %w", id, cur.Number, err)
	}
	txs = append(txs, splits...)
	changed := []*Invoice{inv}
	if inv.Kind == DocCreditNote {
		// The credited invoice gets back what the voided note had taken.
		orig, ok := s.docs[inv.RefersTo]
		if !ok {
			return nil, fmt.Errorf("void %s (%s): credited invoice %s: %w", id, cur.Number, inv.RefersTo, ErrNotFound)
		}
		orig = orig.clone()
		if err := orig.RemoveCredit(inv); err != nil {
			return nil, fmt.Errorf("void %s (%s): %w", id, cur.Number, err)
		}
		// A paid invoice whose payments no longer cover it once the note is gone (a refund gave
		// back what the note had freed): voiding would leave it marked paid while it is owed.
		paid := s.payments.live(s.state).allocated[orig.ID]
		if orig.Status == StatusPaid && paid.LessThan(orig.Total.Sub(orig.Credited)) {
			return nil, fmt.Errorf("void %s (%s): invoice %s was paid and %s %s of it was refunded since; without the note it would be owed again while marked paid — invoice the amount anew instead: %w",
				id, cur.Number, orig.Number, orig.Total.Sub(orig.Credited).Sub(paid).String(), orig.Currency, ErrConflict)
		}
		changed = append(changed, orig)
	}
	if err := s.writeVersion(ctx, changed, txs, nil, now, actor); err != nil {
		return nil, fmt.Errorf("void %s (%s): %w", id, cur.Number, err)
	}
	if inv.Kind == DocCreditNote {
		ids := s.credited[inv.RefersTo]
		for i, x := range ids {
			if x == id {
				s.credited[inv.RefersTo] = append(ids[:i:i], ids[i+1:]...)
				break
			}
		}
	}
	return inv, nil
}

// MarkPaid records that an issued invoice was paid in full (payments with allocation come with
// the channel-economics work; this is the lifecycle step).
func (s *Service) MarkPaid(ctx context.Context, id string, at time.Time, actor string) (*Invoice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	cur, ok := s.docs[id]
	if !ok {
		return nil, fmt.Errorf("mark paid %s: %w", id, ErrNotFound)
	}
	inv := cur.clone()
	if err := inv.MarkPaid(at.UTC()); err != nil {
		return nil, fmt.Errorf("mark paid %s (%s): %w", id, cur.Number, err)
	}
	if err := s.writeVersion(ctx, []*Invoice{inv}, nil, nil, s.cfg.Now().UTC(), actor); err != nil {
		return nil, fmt.Errorf("mark paid %s (%s): %w", id, cur.Number, err)
	}
	return inv, nil
}

// CreditNote issues a credit note against an issued or paid invoice: numbered in the issuer's
// credit-note series, posted to the journal, and recorded on the invoice (Credited).
func (s *Service) CreditNote(ctx context.Context, req CreditNoteRequest, actor string) (*Invoice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	cur, ok := s.docs[req.Invoice]
	if !ok {
		return nil, fmt.Errorf("credit note for %s: %w", req.Invoice, ErrNotFound)
	}
	if req.ID == "" {
		return nil, fmt.Errorf("credit note for %s (%s): id is required (an idempotency key): %w", req.Invoice, cur.Number, ErrInvalid)
	}
	if prev, ok := s.docs[req.ID]; ok {
		if prev.Kind == DocCreditNote && prev.RefersTo == req.Invoice {
			// Notes issued before fingerprints were recorded have none: taken as the same.
			if prev.Request != "" && prev.Request != req.Fingerprint() {
				return nil, fmt.Errorf("credit note %s (%s): the id was used for a different request (reason, lines or amounts differ): %w",
					req.ID, prev.Number, ErrConflict)
			}
			return prev, nil // the same request again: already done
		}
		return nil, fmt.Errorf("credit note %s: the id is taken by another document: %w", req.ID, ErrConflict)
	}
	issuer, ok := s.state.Account(cur.Issuer.ID)
	if !ok {
		return nil, fmt.Errorf("credit note for %s: issuer %s: %w", cur.Number, cur.Issuer.ID, ErrNotFound)
	}
	now := s.cfg.Now().UTC()
	var prior []*Invoice
	for _, id := range s.credited[cur.ID] {
		prior = append(prior, s.docs[id])
	}
	cn, err := NewCreditNote(cur, req, now, prior...)
	if err != nil {
		return nil, fmt.Errorf("credit note for %s (%s): %w", req.Invoice, cur.Number, err)
	}
	cn.Request = req.Fingerprint()
	number, ev, err := s.numbering.Next(issuer, DocCreditNote, cn.ID, now, actor)
	if err != nil {
		return nil, fmt.Errorf("credit note for %s: %w", cur.Number, err)
	}
	if err := cn.Issue(number, now, 0); err != nil {
		return nil, fmt.Errorf("credit note for %s: %w", cur.Number, err)
	}
	tx, err := InvoiceTransaction(cn)
	if err != nil {
		return nil, fmt.Errorf("credit note %s: %w", number, err)
	}
	txs := []ledger.Transaction{tx}
	splits, err := s.splitTransactions(cn)
	if err != nil {
		return nil, fmt.Errorf("credit note %s: revenue split: %w", number, err)
	}
	txs = append(txs, splits...)
	inv := cur.clone()
	if err := inv.AddCredit(cn); err != nil {
		return nil, fmt.Errorf("credit note %s for %s: %w", number, cur.Number, err)
	}
	var numbers []ledger.Event
	if ev != nil {
		if err := s.numbering.Apply(*ev); err != nil {
			s.broken = err
			return nil, err
		}
		numbers = append(numbers, *ev)
	}
	if err := s.writeVersion(ctx, []*Invoice{cn, inv}, txs, numbers, now, actor); err != nil {
		return nil, fmt.Errorf("credit note %s for %s: %w", number, cur.Number, err)
	}
	s.credited[inv.ID] = append(s.credited[inv.ID], cn.ID)
	return cn, nil
}

// writeVersion writes new versions of documents: numbers, journal, document rows, then the
// snapshots (the commit point, as in the cycle), and updates memory once all are written.
func (s *Service) writeVersion(ctx context.Context, invs []*Invoice, txs []ledger.Transaction, numbers []ledger.Event, now time.Time, actor string) error {
	var docs []ledger.Document
	var snaps []ledger.Event
	for _, inv := range invs {
		seq := s.docSeq[inv.ID] + 1
		snap, err := SnapshotEvent(inv, seq, now, actor)
		if err != nil {
			return err
		}
		docs = append(docs, ToDocument(inv, seq, now, actor))
		snaps = append(snaps, snap)
	}
	if err := s.writeIssue(ctx, numbers, txs, docs, snaps); err != nil {
		s.broken = err
		return err
	}
	for _, inv := range invs {
		s.docs[inv.ID] = inv
		s.docSeq[inv.ID]++
	}
	return nil
}

// clone copies an invoice so a failed change leaves the stored snapshot untouched.
func (inv *Invoice) clone() *Invoice {
	c := *inv
	c.Lines = append([]Line(nil), inv.Lines...)
	c.Taxes = append([]TaxSummary(nil), inv.Taxes...)
	c.Notes = append([]string(nil), inv.Notes...)
	return &c
}
