package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// maxDraftBytes bounds a draft document: a product with its meters and plans is a few KB; the
// limit keeps one vendor from storing megabytes in the event log.
const maxDraftBytes = 256 << 10

// draftedData is the payload of a "drafted" event; the summary is stored so a reload shows
// what the draft added without re-merging it.
type draftedData struct {
	Vendor   string   `json:"vendor"`
	Document string   `json:"document"`
	Products []string `json:"products"`
	Meters   []string `json:"meters"`
	Plans    []string `json:"plans"`
}

// decisionData is the payload of "approved" (Published) and "rejected" (Reason) events.
type decisionData struct {
	Published int    `json:"published,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// DraftCatalog records a vendor's draft after checking it merges onto the published catalog as
// that vendor's (rating.Merge with MergeOptions.Vendor): an invalid document is ErrInvalid with
// every loader error (draft <id>:line:col field.path: message). The draft is not published:
// it waits for SubmitCatalogDraft and an admin's approval.
func (s *Service) DraftCatalog(ctx context.Context, vendor string, doc []byte, actor string) (*CatalogDraft, error) {
	if vendor == "" {
		return nil, fmt.Errorf("catalog draft: vendor is required: %w", ErrInvalid)
	}
	if len(doc) > maxDraftBytes {
		return nil, fmt.Errorf("catalog draft of vendor %s: document is %d bytes, the limit is %d: %w", vendor, len(doc), maxDraftBytes, ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.writable(ctx); err != nil {
		return nil, err
	}
	live := s.Catalog()
	if _, ok := live.Vendor(vendor); !ok {
		return nil, fmt.Errorf("catalog draft: vendor %q is not in the catalog: %w", vendor, ErrNotFound)
	}
	id := s.nextDraftID(vendor)
	merged, err := mergeDraft(live, id, vendor, doc, ErrInvalid)
	if err != nil {
		return nil, err
	}
	at := s.cfg.Now().UTC()
	d := &CatalogDraft{ID: id, Vendor: vendor, Status: DraftOpen, Document: string(doc), CreatedAt: at, CreatedBy: actor, seq: 1}
	draftSummary(d, live, merged)
	data, err := json.Marshal(draftedData{Vendor: vendor, Document: d.Document, Products: d.Products, Meters: d.Meters, Plans: d.Plans})
	if err != nil {
		return nil, fmt.Errorf("catalog draft %s: %w", id, err)
	}
	ev := ledger.Event{Aggregate: CatalogDraftAggregate + id, Seq: 1, Type: "drafted", At: at, RecordedAt: at, Actor: actor, Data: data}
	if err := s.writeDraftEvent(ctx, ev); err != nil {
		return nil, err
	}
	s.mod.drafts[id] = d
	c := *d
	return &c, nil
}

// SubmitCatalogDraft sends an open draft to moderation. vendor is who asks: another vendor's
// draft is ErrNotFound, so ids cannot be probed; "" skips the check (an operator tool).
func (s *Service) SubmitCatalogDraft(ctx context.Context, id, vendor, actor string) (*CatalogDraft, error) {
	return s.decide(ctx, id, vendor, DraftSubmitted, "", actor)
}

// ApproveCatalogDraft publishes a submitted draft: it is merged onto the published catalog
// again (a draft approved since may have taken an id: ErrConflict, with the loader's errors),
// the approval is written, the live catalog swapped and OnCatalog listeners told.
func (s *Service) ApproveCatalogDraft(ctx context.Context, id, actor string) (*CatalogDraft, error) {
	return s.decide(ctx, id, "", DraftApproved, "", actor)
}

// RejectCatalogDraft refuses a submitted draft; the reason is required, it is what the vendor
// reads.
func (s *Service) RejectCatalogDraft(ctx context.Context, id, reason, actor string) (*CatalogDraft, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("reject catalog draft %s: reason is required: %w", id, ErrInvalid)
	}
	return s.decide(ctx, id, "", DraftRejected, reason, actor)
}

// decide moves a draft to status `to`: submitted from draft, approved or rejected from submitted.
func (s *Service) decide(ctx context.Context, id, vendor string, to DraftStatus, reason, actor string) (*CatalogDraft, error) {
	s.mu.Lock()
	notify, d, err := s.decideLocked(ctx, id, vendor, to, reason, actor)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	notifyCatalog(notify, s.Catalog())
	return d, nil
}

func (s *Service) decideLocked(ctx context.Context, id, vendor string, to DraftStatus, reason, actor string) ([]func(*rating.Catalog), *CatalogDraft, error) {
	if err := s.writable(ctx); err != nil {
		return nil, nil, err
	}
	d, ok := s.mod.drafts[id]
	if !ok || (vendor != "" && d.Vendor != vendor) {
		return nil, nil, fmt.Errorf("catalog draft %s: %w", id, ErrNotFound)
	}
	from := DraftSubmitted
	if to == DraftSubmitted {
		from = DraftOpen
	}
	if d.Status != from {
		return nil, nil, fmt.Errorf("catalog draft %s is %s, only a %s draft can become %s: %w", id, d.Status, from, to, ErrConflict)
	}
	at := s.cfg.Now().UTC()
	next := *d
	next.Status, next.seq = to, d.seq+1
	var data decisionData
	var merged *rating.Catalog
	switch to {
	case DraftSubmitted:
		next.SubmittedAt = at
	case DraftApproved, DraftRejected:
		next.DecidedAt, next.DecidedBy, next.Reason = at, actor, reason
		data.Reason = reason
	}
	if to == DraftApproved {
		var err error
		if merged, err = mergeDraft(s.Catalog(), id, d.Vendor, []byte(d.Document), ErrConflict); err != nil {
			return nil, nil, err
		}
		next.Published = s.mod.published + 1
		data.Published = next.Published
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog draft %s: %w", id, err)
	}
	ev := ledger.Event{Aggregate: CatalogDraftAggregate + id, Seq: next.seq, Type: string(to), At: at, RecordedAt: at, Actor: actor, Data: raw}
	if err := s.writeDraftEvent(ctx, ev); err != nil {
		return nil, nil, err
	}
	s.mod.drafts[id] = &next
	c := next
	if merged == nil {
		return nil, &c, nil
	}
	drafts := maps.Clone(s.mod.drafts)
	return s.publish(merged, drafts, next.Published), &c, nil
}

// writable is the check every moderation command makes, with the lock held: state loaded and
// no failed write pending (reloaded first if one is).
func (s *Service) writable(ctx context.Context) error {
	if err := s.recover(ctx); err != nil {
		return err
	}
	return s.ready()
}

// writeDraftEvent writes one moderation event. A failed write may still have stored the event,
// so the Service reloads before the next command rather than reuse the seq for other data.
func (s *Service) writeDraftEvent(ctx context.Context, ev ledger.Event) error {
	if err := s.writeEvents(ctx, []ledger.Event{ev}); err != nil {
		s.broken = err
		return fmt.Errorf("catalog draft %s: %w", strings.TrimPrefix(ev.Aggregate, CatalogDraftAggregate), err)
	}
	return nil
}

// nextDraftID numbers a vendor's drafts: "<vendor>-<n>", n one more than its drafts so far.
func (s *Service) nextDraftID(vendor string) string {
	n := 1
	for _, d := range s.mod.drafts {
		if d.Vendor == vendor {
			n++
		}
	}
	for {
		id := vendor + "-" + strconv.Itoa(n)
		if _, taken := s.mod.drafts[id]; !taken {
			return id
		}
		n++
	}
}

// draftTime is the time an event happened, for the draft fields rebuilt at load.
func draftTime(ev ledger.Event) time.Time { return ev.RecordedAt.UTC() }
