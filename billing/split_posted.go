package billing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// A void or a credit note takes back a split as it was posted, not as today's catalog would
// price it: the costs are read back from the journal (the split posting and any pooled
// settlement of the document, both at its issue time), over the levels recomputed from the
// account history. A buy price list changed since (a published catalog draft, a new release)
// therefore cannot make a reversal move other amounts than were booked.

// postedCosts indexes split cost entries: document id → line no → payer account code → Σ.
type postedCosts map[string]map[int]map[string]decimal.Decimal

// readPostedCosts reads the revenue_split cost_of_sales entries of some parties in a window.
func readPostedCosts(ctx context.Context, jr journalReader, parties []Party, window ledger.Period) (postedCosts, error) {
	out := postedCosts{}
	seen := map[string]bool{}
	for _, p := range parties {
		party := string(p.Kind) + ":" + p.ID
		if seen[party] {
			continue
		}
		seen[party] = true
		lines, err := jr.Journal(ctx, ledger.JournalQuery{Party: party, Period: window})
		if err != nil {
			return nil, fmt.Errorf("read the posted split costs of %s: %w", party, err)
		}
		code := party + ":" + RoleCostOfSales
		for _, l := range lines {
			if l.Account != code || l.Kind != TxRevenueSplit {
				continue
			}
			no, err := strconv.Atoi(strings.TrimPrefix(l.LineID, "line:"))
			if err != nil {
				return nil, fmt.Errorf("journal tx %s entry %d: line id %q is not line:<no>: %w", l.TxID, l.Index, l.LineID, ErrConflict)
			}
			if out[l.InvoiceID] == nil {
				out[l.InvoiceID] = map[int]map[string]decimal.Decimal{}
			}
			if out[l.InvoiceID][no] == nil {
				out[l.InvoiceID][no] = map[string]decimal.Decimal{}
			}
			out[l.InvoiceID][no][code] = out[l.InvoiceID][no][code].Add(l.Amount)
		}
	}
	return out, nil
}

// apply replaces a split's costs with the posted ones (zero where nothing was posted); the
// bases stay as computed.
func (pc postedCosts) apply(sp *InvoiceSplit) *InvoiceSplit {
	out := cloneSplit(sp)
	byLine := pc[sp.InvoiceID]
	paying := len(sp.Levels) - 1
	for i, l := range out.Lines {
		costs := make([]decimal.Decimal, paying)
		basis := make([]string, paying)
		for j := range costs {
			costs[j] = byLine[l.No][AccountCode(sp.Levels[j], RoleCostOfSales)]
			basis[j] = l.Shares[j].Basis
		}
		out.Lines[i].Shares = sharesOf(l.Net, costs, basis)
	}
	return out
}

// issueWindow is the second a document's split entries were posted in (ledger times are
// stored to the second).
func issueWindow(inv *Invoice) ledger.Period {
	from := inv.IssuedAt.UTC().Truncate(time.Second)
	return ledger.Period{From: from, To: from.Add(time.Second)}
}

// posted returns an issued document's split as the journal holds it; sp as computed when the
// Store cannot list journal entries, or for a draft.
func (s *Service) posted(ctx context.Context, inv *Invoice, sp *InvoiceSplit) (*InvoiceSplit, error) {
	jr, ok := s.cfg.Store.(journalReader)
	if !ok || sp == nil || inv.IssuedAt.IsZero() || inv.Status == StatusDraft {
		return sp, nil
	}
	pc, err := readPostedCosts(ctx, jr, sp.Levels[:len(sp.Levels)-1], issueWindow(inv))
	if err != nil {
		return nil, fmt.Errorf("split of %s %s: %w", inv.Kind, inv.Number, err)
	}
	return pc.apply(sp), nil
}
