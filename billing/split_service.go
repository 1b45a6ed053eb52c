package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// journalReader is the journal read statements need; ledger.Store has it. Declared here (not
// in Store) so that a Store used only for invoicing need not implement it.
type journalReader interface {
	Journal(ctx context.Context, q ledger.JournalQuery) ([]ledger.JournalLine, error)
}

// splitOf is the split of a customer document being issued: computed from the state (the chain
// above the issuer as it stood at the invoice's boundary) and the catalog, with the pooled
// costs of a settled period applied (split_pool.go); a credit note is split like its invoice's
// split as posted (split_posted.go). nil when there is nothing to split: not a customer
// document, or an issuer without channel terms and no platform fee.
func (s *Service) splitOf(ctx context.Context, inv *Invoice) (*InvoiceSplit, error) {
	if inv.Buyer.Kind != KindCustomer {
		return nil, nil
	}
	if inv.Kind == DocCreditNote {
		orig, ok := s.docs[inv.RefersTo]
		if !ok {
			return nil, fmt.Errorf("split of credit note %s: invoice %s: %w", inv.Number, inv.RefersTo, ErrNotFound)
		}
		osp, err := s.postedSplitOf(ctx, orig)
		if err != nil || osp == nil {
			return nil, err
		}
		return SplitCredit(inv, osp)
	}
	sp, _, err := s.splitTerms(inv)
	if err != nil || sp == nil {
		return nil, err
	}
	s.wholesale.applySettled(sp)
	return sp, nil
}

// postedSplitOf is an issued document's split as the journal holds it (split_posted.go).
func (s *Service) postedSplitOf(ctx context.Context, inv *Invoice) (*InvoiceSplit, error) {
	sp, err := s.splitOf(ctx, inv)
	if err != nil || sp == nil {
		return nil, err
	}
	return s.posted(ctx, inv, sp)
}

// splitTerms splits an invoice as issued and returns its paying levels' terms.
func (s *Service) splitTerms(inv *Invoice) (*InvoiceSplit, []channelTerms, error) {
	at := inv.Boundary
	var levels []*Account
	for id := inv.Issuer.ID; id != "" && len(levels) < maxChainDepth; {
		a, ok := s.state.AccountAt(id, at)
		if !ok {
			return nil, nil, fmt.Errorf("split of %s: account %s: %w", inv.Number, id, ErrNotFound)
		}
		levels = append(levels, a)
		id = a.Parent
	}
	platform, err := s.platformLevel(inv)
	if err != nil {
		return nil, nil, err
	}
	if len(levels) == 0 || (!HasChannelTerms(levels[0]) && platform == nil) {
		return nil, nil, nil
	}
	in := SplitInput{Invoice: inv, Levels: levels, Catalog: s.Catalog(), Platform: platform}
	if buyer, ok := s.state.AccountAt(inv.Buyer.ID, at); ok {
		in.SellPriceList = buyer.PriceList
	}
	return splitWithTerms(in)
}

// splitTransactions is the revenue split posting of a document being issued (the cycle's and
// the credit note's hook): none when there is nothing to split. A wholesale document (a credit
// note of one) posts its clearing instead (wholesale_journal.go). Called with the lock held.
func (s *Service) splitTransactions(inv *Invoice) ([]ledger.Transaction, error) {
	if s.isWholesale(inv) {
		return wholesaleClearing(inv, purposeWholesaleClear, inv.IssuedAt, false)
	}
	// The hooks' callers (the cycle, Service.CreditNote) hold the lock and pass no context.
	sp, err := s.splitOf(context.Background(), inv)
	if err != nil || sp == nil {
		return nil, err
	}
	tx, ok, err := SplitTransaction(sp)
	if err != nil || !ok {
		return nil, err
	}
	return []ledger.Transaction{tx}, nil
}

// splitVoidTransactions reverses a voided document's split at the void time (Void's hook): the
// split as posted — at issue, plus the pooled settlement of its period if it was settled — read
// back from the journal, so the reversal takes back exactly what was booked whatever the
// catalog says today. A wholesale document's clearing is reversed likewise.
func (s *Service) splitVoidTransactions(inv *Invoice, at time.Time) ([]ledger.Transaction, error) {
	if s.isWholesale(inv) {
		return wholesaleClearing(inv, purposeWholesaleUnclear, at, true)
	}
	sp, err := s.postedSplitOf(context.Background(), inv) // Service.Void passes no context
	if err != nil || sp == nil {
		return nil, err
	}
	tx, ok, err := SplitVoidTransaction(sp, at)
	if err != nil || !ok {
		return nil, err
	}
	return []ledger.Transaction{tx}, nil
}

// Split returns the revenue split of an issued customer document as it was posted — read back
// from the journal when the Store lists journal entries, pooled settlement included — (nil when
// nothing is split), for previews and reports. It keeps its context-free signature for its
// callers; the journal read runs under context.Background.
func (s *Service) Split(id string) (*InvoiceSplit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	inv, ok := s.docs[id]
	if !ok {
		return nil, fmt.Errorf("split of %s: %w", id, ErrNotFound)
	}
	return s.postedSplitOf(context.Background(), inv)
}

// Statement builds a partner's commission statement for a period from the journal (what was
// posted in the period: customer invoices it issued, splits it took part in, their voids and
// credit notes) and the documents (line descriptions, customers). Its totals therefore are the
// journal's. The partner is a reseller or a distributor; the Store must answer Journal.
func (s *Service) Statement(ctx context.Context, partner string, period Period) (*Statement, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return nil, err
	}
	a, ok := s.state.Account(partner)
	if !ok {
		return nil, fmt.Errorf("statement of %s: %w", partner, ErrNotFound)
	}
	if a.Kind != KindReseller && a.Kind != KindDistributor {
		return nil, fmt.Errorf("statement of %s: a %s is not a channel partner (want a reseller or a distributor): %w", partner, a.Kind, ErrInvalid)
	}
	jr, ok := s.cfg.Store.(journalReader)
	if !ok {
		return nil, fmt.Errorf("statement of %s: the ledger store cannot list journal entries: %w", partner, ErrUnsupported)
	}
	lines, err := jr.Journal(ctx, ledger.JournalQuery{Party: string(a.Kind) + ":" + a.ID, Period: ledger.Period{From: period.From, To: period.To}})
	if err != nil {
		return nil, fmt.Errorf("statement of %s: %w", partner, err)
	}
	return BuildStatement(PartyOf(a), period, lines, func(id string) (*Invoice, bool) {
		inv, ok := s.docs[id]
		return inv, ok
	})
}
