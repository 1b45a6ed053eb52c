package ledgerstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/mediation"
)

// Write implements mediation.Sink: the batch's rated deltas, then its usage rows, then its
// rejects, each in one ledger write. It returns nil only when all three are durable. A failure
// part-way leaves some rows written; the pipeline then undoes the batch in memory and the
// source redelivers it, and the redelivery writes the same ids and values (mediation is
// deterministic), which the ledger collapses (DESIGN.md invariant 4).
//
// Deltas go first because of what a restart between the two writes rebuilds: LoadSeen takes
// every stored usage row as seen, so a usage row stored without its deltas would make the
// redelivered record a duplicate and its deltas would never be written; a delta stored without
// its usage row is left out by LoadTotals (it keys deltas through their usage), so the
// redelivered record is rated again from the same total and rewrites the same delta.
//
// Everything written is copied out of the batch, which the pipeline reuses after Write returns
// (a backend such as ledgertest.MemStore keeps the values it is given).
func (s *Store) Write(ctx context.Context, b *mediation.Batch) error {
	s.cache.wrote()
	in := newInterner()
	where := func() string {
		if len(b.Usage) > 0 {
			return fmt.Sprintf("%s/%d offsets %d..", b.Topic, b.Partition, b.Usage[0].Offset)
		}
		return fmt.Sprintf("%s/%d", b.Topic, b.Partition)
	}
	// The row slices are reused from batch to batch (ledger writers keep no slice they were
	// given); the strings in them are fresh copies, which backends may keep.
	bufs := s.bufs.Get().(*rowBuffers)
	defer s.bufs.Put(bufs)
	usage := bufs.usage(len(b.Usage))
	defer clear(usage)
	for i := range b.Usage {
		usage[i] = usageRow(&b.Usage[i], b, in)
	}
	if len(b.Deltas) > 0 {
		rows, err := ratedRows(b, usage, bufs.rated(len(b.Deltas)), in)
		defer clear(rows)
		if err != nil {
			return fmt.Errorf("ledgerstore: %s: %w", where(), err)
		}
		if err := s.cfg.Ledger.WriteRated(ctx, rows); err != nil {
			return fmt.Errorf("ledgerstore: write %d rated deltas of %s: %w", len(rows), where(), err)
		}
	}
	if len(usage) > 0 {
		if err := s.cfg.Ledger.WriteUsage(ctx, usage); err != nil {
			return fmt.Errorf("ledgerstore: write %d usage rows of %s: %w", len(usage), where(), err)
		}
	}
	if err := s.Publish(ctx, b.Rejected); err != nil {
		return fmt.Errorf("%w (batch %s)", err, where())
	}
	return nil
}

// rowBuffers are one Write's row slices, kept in a pool between batches: a batch of 100,000
// records otherwise allocates (and the GC clears) some 50 MB of rows.
type rowBuffers struct {
	u []ledger.Usage
	r []ledger.RatedDelta
}

func (rb *rowBuffers) usage(n int) []ledger.Usage {
	if cap(rb.u) < n {
		rb.u = make([]ledger.Usage, n)
	}
	return rb.u[:n]
}

func (rb *rowBuffers) rated(n int) []ledger.RatedDelta {
	if cap(rb.r) < n {
		rb.r = make([]ledger.RatedDelta, n)
	}
	return rb.r[:n]
}

// Publish implements mediation.DeadLetters: rejects go to the ledger's reject table with their
// reason, detail and original bytes, keyed by (topic, partition, offset) so a redelivered
// reject is stored once.
func (s *Store) Publish(ctx context.Context, rejected []mediation.Rejected) error {
	if len(rejected) == 0 {
		return nil
	}
	s.cache.wrote()
	rows := make([]ledger.Reject, len(rejected))
	for i := range rejected {
		r := &rejected[i]
		at := r.At
		if at.IsZero() {
			at = s.cfg.Now()
		}
		rows[i] = ledger.Reject{Topic: strings.Clone(r.Topic), Partition: int32(r.Partition), Offset: r.Offset, At: at,
			Reason: strings.Clone(r.Reason), Detail: strings.Clone(r.Detail), Source: strings.Clone(r.Source),
			EventID: strings.Clone(r.EventID), Original: append([]byte(nil), r.Value...)}
	}
	if err := s.cfg.Ledger.WriteRejects(ctx, rows); err != nil {
		return fmt.Errorf("ledgerstore: write %d rejects (first %s/%d offset %d): %w", len(rows),
			rejected[0].Topic, rejected[0].Partition, rejected[0].Offset, err)
	}
	return nil
}

// PlanVersion formats a plan version as the ledger stores it: "plan@version".
func PlanVersion(planID string, version int) string { return planID + "@" + strconv.Itoa(version) }

// usageRow converts one accepted row, copying its strings (through in: the values that repeat
// from row to row are copied once per batch). IngestTime is the batch's validation time, the
// only value a redelivery may change (it is no part of the identity or of any ORDER BY, so the
// copies still collapse).
func usageRow(u *mediation.UsageRow, b *mediation.Batch, in *interner) ledger.Usage {
	row := ledger.Usage{
		Source: in.str(u.Source), EventID: strings.Clone(u.Record.ID), Subject: in.str(u.Subject),
		Meter: in.str(u.Type), Quantity: u.Quantity.Decimal(), EventTime: u.Time, IngestTime: b.At,
		Account: in.str(u.Account), Subscription: in.str(u.Subscription),
		PlanVersion: in.plan(u.PlanID, u.PlanVersion), PricingGroup: in.str(u.PricingGroup),
	}
	if len(u.Attrs) > 0 {
		row.Attributes = make([]ledger.Attribute, len(u.Attrs))
		for i, a := range u.Attrs {
			row.Attributes[i] = ledger.Attribute{Key: in.str(a.Key), Value: in.str(a.Value)}
		}
	}
	row.Chain = in.chain(u.Channel)
	return row
}

// ratedRows converts the batch's deltas into rows (len(b.Deltas) of them); each names its usage
// row (same batch), whose converted copy in usage gives the identity and enrichment the
// ledger's rated row carries. Deltas come in the order of their usage rows, so a cursor finds
// each one's row; a map is built only if that order does not hold.
func ratedRows(b *mediation.Batch, usage []ledger.Usage, rows []ledger.RatedDelta, in *interner) ([]ledger.RatedDelta, error) {
	var byID map[mediation.ID]int
	ui := 0
	for i := range b.Deltas {
		d := &b.Deltas[i]
		for ui < len(b.Usage) && b.Usage[ui].ID != d.UsageID {
			ui++
		}
		if ui == len(b.Usage) {
			if byID == nil {
				byID = make(map[mediation.ID]int, len(b.Usage))
				for j := range b.Usage {
					byID[b.Usage[j].ID] = j
				}
			}
			var ok bool
			if ui, ok = byID[d.UsageID]; !ok {
				return rows, fmt.Errorf("rated delta %s (charge %s): its usage row %s is not in the batch", d.ID, d.Charge, d.UsageID)
			}
		}
		u := &usage[ui]
		rows[i] = ledger.RatedDelta{
			ID: d.ID.String(), Version: 1, Source: u.Source, EventID: u.EventID,
			Account: u.Account, PricingGroup: u.PricingGroup,
			Subscription: u.Subscription, PlanVersion: in.plan(d.PlanID, d.PlanVersion),
			Charge: in.str(d.Charge), Meter: u.Meter, EventTime: d.EventTime,
			Quantity: d.Quantity.Decimal(), Amount: d.Amount.Decimal(), Currency: in.str(d.Currency),
		}
	}
	return rows, nil
}
