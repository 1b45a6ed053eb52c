package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// Store is what billing needs of the ledger: its state events, the bulk usage read, and the
// documents and journal it writes. ledger.Store satisfies it.
type Store interface {
	ledger.EventLog
	ledger.PeriodUsageReader
	// RatedTotals sums the rated deltas of one account's charges over a window: the per-
	// transaction fees a percentage charge with a minimum or maximum fee bills (Item.Fees).
	RatedTotals(ctx context.Context, q ledger.UsageQuery) ([]ledger.RatedTotal, error)
	WriteDocuments(ctx context.Context, docs []ledger.Document) error
	WriteTransactions(ctx context.Context, txs []ledger.Transaction) error
}

// Config configures a Service.
type Config struct {
	Store   Store
	Catalog *rating.Catalog
	// CatalogVersion names the catalog the invoices are priced with (a file hash or release
	// name); it is printed on every invoice, for reproducibility.
	CatalogVersion string
	Taxes          *TaxRules
	// LateWindow is how far back the cycle looks for usage that arrived after its period was
	// invoiced (default 35 days, mediation's default late window).
	LateWindow time.Duration
	// BatchSize is how many invoices the cycle issues per ledger write (default 20000).
	BatchSize int
	Now       func() time.Time
	Logger    *slog.Logger
	// PlatformFee, optional (H1): the marketplace operator's percentage of every customer
	// line, taken before the vendor's share in the revenue split (platform.go).
	PlatformFee *PlatformFee
	// MaxBackdate is how far before now a new subscription may start (default
	// DefaultMaxBackdate, 366 days): migrating customers backdates legitimately, but a start in
	// 1970 would bill hundreds of past periods in the next cycle. Loaded history is never held
	// to it.
	MaxBackdate time.Duration
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case c.Store == nil:
		return fmt.Errorf("billing config: store is required: %w", ErrInvalid)
	case c.Catalog == nil:
		return fmt.Errorf("billing config: catalog is required: %w", ErrInvalid)
	case c.Taxes == nil:
		return fmt.Errorf("billing config: tax rules are required: %w", ErrInvalid)
	case c.LateWindow < 0:
		return fmt.Errorf("billing config: late_window %s is negative: %w", c.LateWindow, ErrInvalid)
	case c.BatchSize < 0:
		return fmt.Errorf("billing config: batch_size %d is negative: %w", c.BatchSize, ErrInvalid)
	case c.MaxBackdate < 0:
		return fmt.Errorf("billing config: max_backdate %s is negative: %w", c.MaxBackdate, ErrInvalid)
	}
	return nil
}

// Service runs billing: it owns the in-memory state rebuilt from the ledger's events, turns
// commands into events, and runs invoice cycles. One Service owns the accounts it bills (the
// Kafka partition ownership of DESIGN.md); within it, commands and cycles are serialised, so
// two cycles at once issue nothing twice. Safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	state     *State
	numbering *Numbering
	docs      map[string]*Invoice // latest snapshot of every document by id
	docSeq    map[string]uint64   // last snapshot event seq per document
	credited  map[string][]string // invoice id -> credit note ids
	broken    error               // set when memory may be ahead of the ledger; Load clears it

	dun dunningRuntime // HN: serialises dunning runs and outbox enqueues (dunning.go)

	payments paymentBook // HP: payments and their allocations, rebuilt by load (payment_book.go)

	wholesale wholesaleBook // H1: settled pooled wholesale tiers, rebuilt by load (wholesale_journal.go)

	mod moderation // H3: catalog drafts and the published (live) catalog, rebuilt by load (moderation.go)
}

// New returns a Service; call Load before using it. If a ledger write fails, memory may be ahead
// of the ledger: the next cycle or command reloads the state first.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.LateWindow == 0 {
		cfg.LateWindow = 35 * 24 * time.Hour
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 20000
	}
	if cfg.MaxBackdate == 0 {
		cfg.MaxBackdate = DefaultMaxBackdate
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: cfg.Logger}, nil
}

// Load rebuilds the state from every event in the ledger: accounts and subscriptions, number
// series, document snapshots. It replaces what was in memory.
func (s *Service) Load(ctx context.Context) error { return s.reload(ctx, slog.LevelInfo) }

// Refresh is Load for an instance following another one that writes billing (a deployment of
// several instances): the same rebuild, logged at debug level since it runs every few seconds.
func (s *Service) Refresh(ctx context.Context) error { return s.reload(ctx, slog.LevelDebug) }

func (s *Service) reload(ctx context.Context, level slog.Level) error {
	s.mu.Lock()
	err := s.loadAt(ctx, level)
	listeners := slices.Clone(s.mod.listeners) // H3: OnCatalog (moderation.go)
	s.mu.Unlock()
	if err == nil {
		notifyCatalog(listeners, s.Catalog())
	}
	return err
}

func (s *Service) load(ctx context.Context) error { return s.loadAt(ctx, slog.LevelInfo) }

func (s *Service) loadAt(ctx context.Context, level slog.Level) error {
	events, err := s.cfg.Store.Events(ctx, ledger.EventQuery{})
	if err != nil {
		return fmt.Errorf("load billing state: %w", err)
	}
	lc, err := rebuildCatalog(s.cfg.Catalog, events) // H3: base catalog + approved drafts (moderation_load.go)
	if err != nil {
		return fmt.Errorf("load billing state: %w", err)
	}
	if prev := s.mod.live.Load(); prev != nil && lc.published > 0 && lc.published == s.mod.published {
		// The same approved drafts (they are numbered without gaps): keep the catalog in use,
		// so a reload (a follower's, or a writer's on election) does not restart mediation.
		lc.live = prev
	}
	st, num := NewState(lc.live), NewNumbering()
	st.UseTaxRules(s.cfg.Taxes) // commands check tax_jurisdiction; Apply (below) never does
	// Commands bound subscription dates to now − MaxBackdate; Apply (history) never does.
	st.UseMaxBackdate(s.cfg.MaxBackdate)
	docs, seqs, credited := map[string]*Invoice{}, map[string]uint64{}, map[string][]string{}
	wb := newWholesaleBook()
	for _, ev := range events {
		switch {
		case strings.HasPrefix(ev.Aggregate, "series:"):
			err = num.Apply(ev)
		case strings.HasPrefix(ev.Aggregate, PaymentAggregate): // HP: payments (payment_book.go)
			err = s.payments.apply(st, ev)
		case strings.HasPrefix(ev.Aggregate, WholesaleAggregate): // H1: pooled settlements (wholesale_journal.go)
			err = wb.apply(ev)
		case strings.HasPrefix(ev.Aggregate, "document:"):
			var inv *Invoice
			if inv, err = InvoiceFromEvent(ev); err == nil {
				docs[inv.ID], seqs[inv.ID] = inv, ev.Seq
			}
		case strings.HasPrefix(ev.Aggregate, CatalogDraftAggregate):
			err = nil // H3: read by rebuildCatalog above
		case strings.HasPrefix(ev.Aggregate, DunningAggregate), strings.HasPrefix(ev.Aggregate, OutboxAggregate):
			err = nil // HN: dunning and outbox events are read by RunDunning and the dispatcher, not state
		default:
			err = st.Apply(ev)
		}
		if err != nil {
			return fmt.Errorf("load billing state: event %s: %w", ev.Key(), err)
		}
	}
	for _, inv := range docs {
		if inv.Kind == DocCreditNote && inv.Status != StatusVoid {
			credited[inv.RefersTo] = append(credited[inv.RefersTo], inv.ID)
		}
	}
	for _, ids := range credited {
		sort.Strings(ids)
	}
	s.state, s.numbering, s.docs, s.docSeq, s.credited, s.broken = st, num, docs, seqs, credited, nil
	s.wholesale = wb
	s.publish(lc.live, lc.drafts, lc.published)
	s.log.Log(ctx, level, "billing state loaded", "events", len(events), "accounts", len(st.Accounts()),
		"subscriptions", len(st.Subscriptions()), "documents", len(docs))
	return nil
}

// recover reloads the state after a failed write (memory may be ahead of the ledger), so a
// retried cycle or command works on what the ledger holds. Called with the lock held.
func (s *Service) recover(ctx context.Context) error {
	if s.broken == nil || s.state == nil {
		return nil
	}
	s.log.Warn("reloading billing state after a failed ledger write", "err", s.broken)
	return s.load(ctx)
}

// unissued lists invoices that hold a number but were never issued: an interrupted cycle. Until
// a cycle issues them, commands are refused — a change could remove the boundary they bill, and
// the numbers (and journal postings) already written would be orphaned.
func (s *Service) unissued() []string {
	issued := 0
	for _, inv := range s.docs {
		if inv.Kind == DocInvoice && inv.Status != StatusDraft {
			issued++
		}
	}
	if issued == s.numbering.Count(DocInvoice) {
		return nil // the usual case, without sorting every number
	}
	var out []string
	for _, id := range s.numbering.Documents(DocInvoice) {
		if inv, ok := s.docs[id]; !ok || inv.Status == StatusDraft {
			out = append(out, id)
		}
	}
	return out
}

// ready is called with the lock held by every operation.
func (s *Service) ready() error {
	switch {
	case s.state == nil:
		return errors.New("billing service: Load was not called")
	case s.broken != nil:
		return fmt.Errorf("billing service: a ledger write failed, state must be reloaded: %w", s.broken)
	}
	return nil
}

// Command is one state change, run against the state; it returns the events to write.
type Command func(st *State, at time.Time) ([]ledger.Event, error)

// Do runs commands as one unit: each is validated against the state as the previous ones
// left it, and all their events are written in one ledger call. If any command fails, nothing
// is written and the state is unchanged. If the write fails, the Service refuses work until
// Load succeeds (memory could be ahead of the ledger).
func (s *Service) Do(ctx context.Context, cmds ...Command) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.recover(ctx); err != nil {
		return err
	}
	if err := s.ready(); err != nil {
		return err
	}
	if pending := s.unissued(); len(pending) > 0 {
		return fmt.Errorf("an interrupted invoice cycle left %d numbered invoices unissued (first %s): run the cycle before changing accounts or subscriptions: %w",
			len(pending), pending[0], ErrConflict)
	}
	at := s.cfg.Now().UTC()
	var all []ledger.Event
	for i, cmd := range cmds {
		evs, err := cmd(s.state, at)
		if err == nil {
			for _, ev := range evs {
				if err = s.state.Apply(ev); err != nil {
					break
				}
			}
		}
		if err != nil {
			if len(all) > 0 || len(evs) > 0 {
				// Earlier commands of this unit were applied to memory only: rebuild it.
				if lerr := s.load(ctx); lerr != nil {
					s.broken = lerr
				}
			}
			if len(cmds) > 1 {
				return fmt.Errorf("command %d of %d: %w", i+1, len(cmds), err)
			}
			return err
		}
		all = append(all, evs...)
	}
	if err := s.writeEvents(ctx, all); err != nil {
		s.broken = err
		return err
	}
	return nil
}

// writeEvents writes in chunks so a unit of a hundred thousand commands stays within a
// backend's insert size.
func (s *Service) writeEvents(ctx context.Context, evs []ledger.Event) error {
	const chunk = 50_000
	for len(evs) > 0 {
		n := min(chunk, len(evs))
		if err := s.cfg.Store.WriteEvents(ctx, evs[:n]); err != nil {
			return fmt.Errorf("write %d billing events: %w", n, err)
		}
		evs = evs[n:]
	}
	return nil
}

// State returns a read-only view for lookups; the caller must not keep it across commands.
func (s *Service) View(fn func(st *State) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return err
	}
	return fn(s.state)
}

// Invoice returns the latest version of a document.
func (s *Service) Invoice(id string) (*Invoice, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv, ok := s.docs[id]
	return inv, ok
}

// InvoiceFilter selects documents; empty fields match everything.
type InvoiceFilter struct {
	Issuer string
	Buyer  string
	Kind   DocumentKind
	Status Status
}

// Invoices lists the latest version of matching documents, sorted by issue time, number, id.
func (s *Service) Invoices(f InvoiceFilter) []*Invoice {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Invoice
	for _, inv := range s.docs {
		if (f.Issuer == "" || inv.Issuer.ID == f.Issuer) && (f.Buyer == "" || inv.Buyer.ID == f.Buyer) &&
			(f.Kind == "" || inv.Kind == f.Kind) && (f.Status == "" || inv.Status == f.Status) {
			out = append(out, inv)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].IssuedAt.Equal(out[j].IssuedAt) {
			return out[i].IssuedAt.Before(out[j].IssuedAt)
		}
		if out[i].Number != out[j].Number {
			return out[i].Number < out[j].Number
		}
		return out[i].ID < out[j].ID
	})
	return out
}
