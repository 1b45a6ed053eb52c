package billing

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// loadedCatalog is the moderation state rebuilt from the event log, committed by load only
// when the whole load succeeded.
type loadedCatalog struct {
	live      *rating.Catalog
	drafts    map[string]*CatalogDraft
	published int
}

// rebuildCatalog replays every catalog-draft event and merges the approved drafts onto base in
// their published order: the same events always give the same catalog. A draft that no longer
// merges (the configured catalog file changed under it) fails the load with ErrConflict: the
// plans it published may be subscribed, so silently dropping it would mis-bill.
func rebuildCatalog(base *rating.Catalog, events []ledger.Event) (*loadedCatalog, error) {
	out := &loadedCatalog{live: base, drafts: map[string]*CatalogDraft{}}
	for _, ev := range events {
		if !strings.HasPrefix(ev.Aggregate, CatalogDraftAggregate) {
			continue
		}
		if err := out.apply(ev); err != nil {
			return nil, fmt.Errorf("event %s: %w", ev.Key(), err)
		}
	}
	var approved []*CatalogDraft
	for _, d := range out.drafts {
		if d.Status == DraftApproved {
			approved = append(approved, d)
		}
	}
	sort.Slice(approved, func(i, j int) bool { return approved[i].Published < approved[j].Published })
	for i, d := range approved {
		if d.Published != i+1 {
			return nil, fmt.Errorf("catalog draft %s is published as #%d, want #%d (a gap or a repeat in the approvals): %w",
				d.ID, d.Published, i+1, ErrConflict)
		}
		merged, err := mergeDraft(out.live, d.ID, d.Vendor, []byte(d.Document), ErrConflict)
		if err != nil {
			return nil, fmt.Errorf("rebuild the published catalog: %w", err)
		}
		out.live = merged
	}
	out.published = len(approved)
	return out, nil
}

// apply folds one event into its draft, checking the seq and the status transition.
func (lc *loadedCatalog) apply(ev ledger.Event) error {
	id := strings.TrimPrefix(ev.Aggregate, CatalogDraftAggregate)
	d := lc.drafts[id]
	var next uint64 = 1
	if d != nil {
		next = d.seq + 1
	}
	if ev.Seq != next {
		return stateSeqError(ev, next)
	}
	if ev.Type == "drafted" {
		if d != nil {
			return fmt.Errorf("catalog draft %s drafted twice: %w", id, ErrConflict)
		}
		var data draftedData
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			return fmt.Errorf("catalog draft %s: decode: %v: %w", id, err, ErrInvalid)
		}
		lc.drafts[id] = &CatalogDraft{ID: id, Vendor: data.Vendor, Status: DraftOpen, Document: data.Document,
			Products: data.Products, Meters: data.Meters, Plans: data.Plans,
			CreatedAt: draftTime(ev), CreatedBy: ev.Actor, seq: ev.Seq}
		return nil
	}
	if d == nil {
		return fmt.Errorf("catalog draft %s: %s before drafted: %w", id, ev.Type, ErrConflict)
	}
	var data decisionData
	if len(ev.Data) > 0 {
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			return fmt.Errorf("catalog draft %s: decode: %v: %w", id, err, ErrInvalid)
		}
	}
	to := DraftStatus(ev.Type)
	switch {
	case to == DraftSubmitted && d.Status == DraftOpen:
		d.SubmittedAt = draftTime(ev)
	case (to == DraftApproved || to == DraftRejected) && d.Status == DraftSubmitted:
		d.DecidedAt, d.DecidedBy, d.Reason, d.Published = draftTime(ev), ev.Actor, data.Reason, data.Published
	default:
		return fmt.Errorf("catalog draft %s: %s after %s: %w", id, ev.Type, d.Status, ErrConflict)
	}
	d.Status, d.seq = to, ev.Seq
	return nil
}
