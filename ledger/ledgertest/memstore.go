package ledgertest

import (
	"context"
	"sync"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// MemStore is an in-memory ledger.Store for unit tests of packages that use the ledger. It keeps
// the same semantics as the ClickHouse backends (duplicates collapse, latest version wins, times
// truncated to the second) and passes the same conformance suite. Safe for concurrent use.
type MemStore struct {
	mu        sync.Mutex
	closed    bool
	usage     map[[2]string]ledger.Usage
	rated     map[string]ledger.RatedDelta // written through WriteRated
	carried   map[string]ledger.RatedDelta // carried by usage rows (Usage.Rated)
	journal   map[journalKey]ledger.JournalLine
	documents map[string]ledger.Document // latest header version
	lines     map[string]map[uint64][]ledger.DocumentLine
	rejects   map[rejectKey]ledger.Reject
	audit     map[string]ledger.AuditEntry
	events    map[eventKey]ledger.Event
}

type eventKey struct {
	aggregate string
	seq       uint64
}

type journalKey struct {
	tx    string
	index uint32
}

type rejectKey struct {
	topic     string
	partition int32
	offset    int64
}

var _ ledger.Store = (*MemStore)(nil)

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore {
	return &MemStore{
		usage:     map[[2]string]ledger.Usage{},
		rated:     map[string]ledger.RatedDelta{},
		carried:   map[string]ledger.RatedDelta{},
		journal:   map[journalKey]ledger.JournalLine{},
		documents: map[string]ledger.Document{},
		lines:     map[string]map[uint64][]ledger.DocumentLine{},
		rejects:   map[rejectKey]ledger.Reject{},
		audit:     map[string]ledger.AuditEntry{},
		events:    map[eventKey]ledger.Event{},
	}
}

// lock takes the mutex unless the store is closed.
func (m *MemStore) lock() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ledger.ErrClosed
	}
	return nil
}

// Close implements ledger.Store.
func (m *MemStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

func tt(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return ledger.TruncateTime(t)
}

func inPeriod(t time.Time, p ledger.Period) bool {
	return !t.Before(tt(p.From)) && t.Before(tt(p.To))
}

// WriteUsage implements ledger.Writer.
func (m *MemStore) WriteUsage(_ context.Context, rows []ledger.Usage) error {
	if err := ledger.ValidateUsage(rows); err != nil {
		return err
	}
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for _, u := range rows {
		u.EventTime, u.IngestTime = tt(u.EventTime), tt(u.IngestTime)
		u.Attributes = append([]ledger.Attribute(nil), u.Attributes...)
		u.Chain = append([]string(nil), u.Chain...)
		k := [2]string{u.Source, u.EventID}
		// A redelivery may carry a later ingest time; the event was known since the first
		// copy, which is what PeriodUsage's IngestedBefore asks (the ClickHouse backends
		// filter copies before collapsing them, to the same effect).
		if old, ok := m.usage[k]; ok && old.IngestTime.Before(u.IngestTime) {
			u.IngestTime = old.IngestTime
		}
		for i := range u.Rated {
			d := u.Delta(i)
			d.EventTime = tt(d.EventTime)
			m.carried[d.ID] = d
		}
		u.Rated = nil
		m.usage[k] = u
	}
	return nil
}

// allRated returns every rated delta as the ClickHouse backends read them: the latest version
// of each id written through WriteRated, and the carried deltas whose id was not (a delta
// written under a carried one's id replaces it). The caller holds the lock.
func (m *MemStore) allRated() []ledger.RatedDelta {
	out := make([]ledger.RatedDelta, 0, len(m.rated)+len(m.carried))
	for _, r := range m.rated {
		out = append(out, r)
	}
	for id, r := range m.carried {
		if _, ok := m.rated[id]; !ok {
			out = append(out, r)
		}
	}
	return out
}

// WriteRated implements ledger.Writer.
func (m *MemStore) WriteRated(_ context.Context, rows []ledger.RatedDelta) error {
	if err := ledger.ValidateRated(rows); err != nil {
		return err
	}
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for _, r := range rows {
		r.EventTime = tt(r.EventTime)
		if old, ok := m.rated[r.ID]; !ok || r.Version >= old.Version {
			m.rated[r.ID] = r
		}
	}
	return nil
}

// WriteTransactions implements ledger.Writer.
func (m *MemStore) WriteTransactions(_ context.Context, txs []ledger.Transaction) error {
	if err := ledger.ValidateTransactions(txs); err != nil {
		return err
	}
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for _, tx := range txs {
		for i, e := range tx.Entries {
			m.journal[journalKey{tx.ID, uint32(i)}] = ledger.JournalLine{
				TxID: tx.ID, Index: uint32(i), Time: tt(tx.Time), Kind: tx.Kind, Description: tx.Description, Entry: e,
			}
		}
	}
	return nil
}

// WriteDocuments implements ledger.Writer.
func (m *MemStore) WriteDocuments(_ context.Context, docs []ledger.Document) error {
	if err := ledger.ValidateDocuments(docs); err != nil {
		return err
	}
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for _, d := range docs {
		if len(d.Lines) > 0 {
			if m.lines[d.ID] == nil {
				m.lines[d.ID] = map[uint64][]ledger.DocumentLine{}
			}
			m.lines[d.ID][d.Version] = append([]ledger.DocumentLine(nil), d.Lines...)
		}
		d.Lines = nil
		d.PeriodStart, d.PeriodEnd, d.IssuedAt, d.ChangedAt = tt(d.PeriodStart), tt(d.PeriodEnd), tt(d.IssuedAt), tt(d.ChangedAt)
		if old, ok := m.documents[d.ID]; !ok || d.Version >= old.Version {
			m.documents[d.ID] = d
		}
	}
	return nil
}

// WriteRejects implements ledger.Writer.
func (m *MemStore) WriteRejects(_ context.Context, rows []ledger.Reject) error {
	if err := ledger.ValidateRejects(rows); err != nil {
		return err
	}
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for _, r := range rows {
		r.At = tt(r.At)
		r.Original = append([]byte{}, r.Original...)
		m.rejects[rejectKey{r.Topic, r.Partition, r.Offset}] = r
	}
	return nil
}

// WriteAudit implements ledger.Writer.
func (m *MemStore) WriteAudit(_ context.Context, rows []ledger.AuditEntry) error {
	if err := ledger.ValidateAudit(rows); err != nil {
		return err
	}
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for _, a := range rows {
		a.At = tt(a.At)
		m.audit[a.ID] = a
	}
	return nil
}
