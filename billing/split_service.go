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

// splitOf computes a customer document's split from the state: the chain above the issuer as
// it stood at the invoice's boundary (a credit note: at its invoice's). nil when there is
// nothing to split: not a customer document, or an issuer without channel terms.
func (s *Service) splitOf(inv *Invoice) (*InvoiceSplit, error) {
	if inv.Buyer.Kind != KindCustomer {
		return nil, nil
	}
	if inv.Kind == DocCreditNote {
		orig, ok := s.docs[inv.RefersTo]
		if !ok {
			return nil, fmt.Errorf("split of credit note %s: invoice %s: %w", inv.Number, inv.RefersTo, ErrNotFound)
		}
		osp, err := s.splitOf(orig)
		if err != nil || osp == nil {
			return nil, err
		}
		return SplitCredit(inv, osp)
	}
	at := inv.Boundary
	var levels []*Account
	for id := inv.Issuer.ID; id != "" && len(levels) < maxChainDepth; {
		a, ok := s.state.AccountAt(id, at)
		if !ok {
			return nil, fmt.Errorf("split of %s: account %s: %w", inv.Number, id, ErrNotFound)
		}
		levels = append(levels, a)
		id = a.Parent
	}
	if len(levels) == 0 || !HasChannelTerms(levels[0]) {
		return nil, nil
	}
	in := SplitInput{Invoice: inv, Levels: levels, Catalog: s.cfg.Catalog}
	if buyer, ok := s.state.AccountAt(inv.Buyer.ID, at); ok {
		in.SellPriceList = buyer.PriceList
	}
	return Split(in)
}

// splitTransactions is the revenue split posting of a document being issued (the cycle's and
// the credit note's hook): none when there is nothing to split. Called with the lock held.
func (s *Service) splitTransactions(inv *Invoice) ([]ledger.Transaction, error) {
	sp, err := s.splitOf(inv)
	if err != nil || sp == nil {
		return nil, err
	}
	tx, ok, err := SplitTransaction(sp)
	if err != nil || !ok {
		return nil, err
	}
	return []ledger.Transaction{tx}, nil
}

// splitVoidTransactions reverses a voided document's split at the void time (Void's hook). The
// split is recomputed from the state and catalog, so the catalog's buy lists must not have
// changed since the document was issued (docs/billing.md).
func (s *Service) splitVoidTransactions(inv *Invoice, at time.Time) ([]ledger.Transaction, error) {
	sp, err := s.splitOf(inv)
	if err != nil || sp == nil {
		return nil, err
	}
	tx, ok, err := SplitVoidTransaction(sp, at)
	if err != nil || !ok {
		return nil, err
	}
	return []ledger.Transaction{tx}, nil
}

// Split returns the revenue split of an issued customer document as it was posted (nil when
// nothing is split), for previews and reports.
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
	return s.splitOf(inv)
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
