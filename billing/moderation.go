package billing

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cascade-billing/cascade/rating"
)

// CatalogDraftAggregate prefixes the ledger aggregate of a catalog draft ("catalog-draft:acme-1").
// Drafts are billing state: drafted, submitted, approved or rejected are events with their
// actor, and the published catalog is rebuilt from them at Load.
const CatalogDraftAggregate = "catalog-draft:"

// DraftStatus is where a catalog draft is in moderation: a vendor drafts and submits, an admin
// approves (it is then published) or rejects it with a reason.
type DraftStatus string

// The draft statuses. Approved and rejected are final: a vendor fixes a rejected draft by
// drafting again.
const (
	DraftOpen      DraftStatus = "draft"
	DraftSubmitted DraftStatus = "submitted"
	DraftApproved  DraftStatus = "approved"
	DraftRejected  DraftStatus = "rejected"
)

// CatalogDraft is a vendor's proposed addition to the catalog: products, meters and plans in
// the catalog file's format (docs/catalog.md), restricted to the vendor's own ids.
type CatalogDraft struct {
	ID     string      `json:"id"`
	Vendor string      `json:"vendor"`
	Status DraftStatus `json:"status"`
	// Document is the body as the vendor sent it (YAML or JSON), byte for byte: what an admin
	// reviews and what is merged on approval.
	Document string `json:"document"`
	// Products, Meters and Plans name what the draft adds ("api-std@2" for a plan version).
	Products []string `json:"products"`
	Meters   []string `json:"meters"`
	Plans    []string `json:"plans"`
	// Reason is the admin's reason for a rejection.
	Reason    string    `json:"reason,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	// SubmittedAt and DecidedAt are zero until they happen.
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
	DecidedBy   string    `json:"decided_by,omitempty"`
	// Published is the draft's place in the published order (1, 2...), 0 unless approved:
	// approved drafts are merged onto the configured catalog in this order.
	Published int `json:"published,omitempty"`

	seq uint64 // last event seq of the draft's aggregate
}

// moderation is the Service's catalog moderation state: the published catalog (the configured
// base plus every approved draft) and the drafts, rebuilt from catalog-draft events by load.
type moderation struct {
	// live is read without the service lock (the API, splits and the mediation hooks read it);
	// it is only swapped with the lock held, and a catalog is immutable once built.
	live      atomic.Pointer[rating.Catalog]
	drafts    map[string]*CatalogDraft // guarded by Service.mu
	published int                      // approved drafts; guarded by Service.mu
	version   atomic.Pointer[string]   // CatalogVersion of live

	listeners []func(*rating.Catalog) // guarded by Service.mu
}

// Catalog returns the published catalog: the configured catalog plus every approved draft.
// Code that prices, validates or describes must read it instead of Config.Catalog.
func (s *Service) Catalog() *rating.Catalog {
	if c := s.mod.live.Load(); c != nil {
		return c
	}
	return s.cfg.Catalog
}

// CatalogVersion names the published catalog for invoices (invariant 7): Config.CatalogVersion
// while nothing was approved, then "<CatalogVersion>+drafts.<n>" after n approvals, so an
// invoice says which drafts priced it.
func (s *Service) CatalogVersion() string {
	if v := s.mod.version.Load(); v != nil {
		return *v
	}
	return s.cfg.CatalogVersion
}

// OnCatalog registers fn to receive every newly published catalog (after an approval, and
// after each Load), so that whoever wires the program can hand it to the connector and the
// pipeline. fn runs outside the service lock, in the goroutine that published, and must not
// block for long.
func (s *Service) OnCatalog(fn func(*rating.Catalog)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mod.listeners = append(s.mod.listeners, fn)
}

// publish swaps the live catalog; called with the lock held. It returns the listeners to
// notify once the lock is released.
func (s *Service) publish(cat *rating.Catalog, drafts map[string]*CatalogDraft, published int) []func(*rating.Catalog) {
	s.mod.live.Store(cat)
	s.mod.drafts, s.mod.published = drafts, published
	v := s.cfg.CatalogVersion
	if published > 0 {
		v += "+drafts." + strconv.Itoa(published)
	}
	s.mod.version.Store(&v)
	if s.state != nil {
		s.state.cat = cat
	}
	return slices.Clone(s.mod.listeners)
}

func notifyCatalog(fns []func(*rating.Catalog), cat *rating.Catalog) {
	for _, fn := range fns {
		fn(cat)
	}
}

// CatalogDraft returns one draft (a copy).
func (s *Service) CatalogDraft(id string) (*CatalogDraft, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.mod.drafts[id]
	if !ok {
		return nil, false
	}
	c := *d
	return &c, true
}

// CatalogDrafts lists drafts sorted by creation time then id: a vendor's ("" = every vendor's),
// optionally of one status ("" = any).
func (s *Service) CatalogDrafts(vendor string, status DraftStatus) []*CatalogDraft {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*CatalogDraft
	for _, d := range s.mod.drafts {
		if (vendor == "" || d.Vendor == vendor) && (status == "" || d.Status == status) {
			c := *d
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// draftSummary lists what a fragment adds: the ids of the merged catalog that base lacks.
func draftSummary(d *CatalogDraft, base, merged *rating.Catalog) {
	d.Products, d.Meters, d.Plans = []string{}, []string{}, []string{}
	for _, p := range merged.Products {
		if _, ok := base.Product(p.ID); !ok {
			d.Products = append(d.Products, p.ID)
		}
	}
	for _, m := range merged.Meters {
		if _, ok := base.Meter(m.ID); !ok {
			d.Meters = append(d.Meters, m.ID)
		}
	}
	for _, p := range merged.Plans {
		if _, ok := base.PlanVersion(p.ID, p.Version); !ok {
			d.Plans = append(d.Plans, p.ID+"@"+strconv.Itoa(p.Version))
		}
	}
}

// mergeDraft merges a draft's document onto cat as its vendor; errors are the loader's
// (draft-<id>:line:col field.path: message), wrapped with kind.
func mergeDraft(cat *rating.Catalog, id, vendor string, doc []byte, kind error) (*rating.Catalog, error) {
	merged, err := rating.Merge(cat, "draft "+id, doc, rating.MergeOptions{Vendor: vendor})
	if err != nil {
		return nil, fmt.Errorf("catalog draft %s of vendor %s: %w: %w", id, vendor, err, kind)
	}
	return merged, nil
}
