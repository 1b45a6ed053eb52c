package ledgerstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/mediation"
)

// Write implements mediation.Sink: the batch's usage rows, each carrying its rated deltas
// (ledger.Usage.Rated), in one ledger write, then its rejects. It returns nil only when both
// are durable. A failure part-way leaves some rows written; the pipeline then undoes the batch
// in memory and the source redelivers it, and the redelivery writes the same ids and values
// (mediation is deterministic), which the ledger collapses (DESIGN.md invariant 4).
//
// A record's usage and deltas are one row, so a restart never finds one without the other:
// LoadSeen takes every stored usage row as seen, and LoadTotals finds that row's deltas with
// it. (With two writes, a usage row stored without its deltas would have made the redelivered
// record a duplicate whose deltas were never written.) One row per record also halves what the
// ledger parses, sorts and merges on this path (docs/ledger.md).
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
		if err := attachDeltas(b, usage, bufs, in); err != nil {
			return fmt.Errorf("ledgerstore: %s: %w", where(), err)
		}
		defer clear(bufs.ratings[:len(b.Deltas)])
	}
	if len(usage) > 0 {
		if err := s.cfg.Ledger.WriteUsage(ctx, usage); err != nil {
			return fmt.Errorf("ledgerstore: write %d usage rows (%d rated deltas) of %s: %w", len(usage), len(b.Deltas), where(), err)
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
	u       []ledger.Usage
	ratings []ledger.Rating
	row     []int // per delta: the index of its usage row
	start   []int // per usage row: where its deltas start in ratings (then a cursor)
	ids     []byte
}

func (rb *rowBuffers) usage(n int) []ledger.Usage {
	if cap(rb.u) < n {
		rb.u = make([]ledger.Usage, n)
	}
	return rb.u[:n]
}

// grow returns s with length n, reusing its array when it is large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
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

// attachDeltas sets each usage row's Rated to the batch's deltas of its record (b.Deltas name
// their usage row by id). Deltas come in the order of their usage rows, so a cursor finds each
// one's row; a map is built only if that order does not hold. All rows' ratings share one
// array, and all ids one string, so a batch costs a few allocations, not a few per delta.
func attachDeltas(b *mediation.Batch, usage []ledger.Usage, bufs *rowBuffers, in *interner) error {
	n := len(b.Deltas)
	bufs.row, bufs.start = grow(bufs.row, n), grow(bufs.start, len(b.Usage)+1)
	clear(bufs.start)
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
				return fmt.Errorf("rated delta %s (charge %s): its usage row %s is not in the batch", d.ID, d.Charge, d.UsageID)
			}
		}
		// The ledger stores a delta's plan and event time as its usage row's; rating derives
		// both from the same record and enrichment, so a difference is a bug to stop at.
		if u := &b.Usage[ui]; d.PlanID != u.PlanID || d.PlanVersion != u.PlanVersion || !d.EventTime.Equal(u.Time) {
			return fmt.Errorf("rated delta %s (charge %s): plan %s at %s differs from its usage row's %s at %s", d.ID, d.Charge,
				PlanVersion(d.PlanID, d.PlanVersion), d.EventTime, PlanVersion(u.PlanID, u.PlanVersion), u.Time)
		}
		bufs.row[i] = ui
		bufs.start[ui+1]++
	}
	for j := range len(b.Usage) {
		bufs.start[j+1] += bufs.start[j]
	}
	bufs.ratings = grow(bufs.ratings, n)
	bufs.ids = grow(bufs.ids, 32*n)
	for i := range b.Deltas {
		hex.Encode(bufs.ids[32*i:], b.Deltas[i].ID[:])
	}
	ids := string(bufs.ids)
	for i := range b.Deltas {
		d, ui := &b.Deltas[i], bufs.row[i]
		k := bufs.start[ui]
		bufs.start[ui]++
		bufs.ratings[k] = ledger.Rating{ID: ids[32*i : 32*i+32], Charge: in.str(d.Charge), Quantity: d.Quantity.Decimal(),
			Amount: d.Amount.Decimal(), Currency: in.str(d.Currency)}
	}
	// Each cursor now ends where the next row's deltas begin.
	lo := 0
	for j := range usage {
		hi := bufs.start[j]
		if hi > lo {
			usage[j].Rated = bufs.ratings[lo:hi:hi]
		}
		lo = hi
	}
	return nil
}
