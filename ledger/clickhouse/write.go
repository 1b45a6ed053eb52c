package clickhouse

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
	"github.com/shopspring/decimal"
)

// insert sends one INSERT of n rows to table t. Columns are appended whole (columnar), which
// keeps the Go side far cheaper than row-by-row Append. An error means the insert may or may
// not have happened; the rows' identities make a retry harmless.
func (s *Store) insert(ctx context.Context, t chsql.Table, columns []any) error {
	return s.send(ctx, t, func(batch driver.Batch) error {
		for i, col := range columns {
			var err error
			switch rows := col.(type) {
			case [][]string:
				// Array(String): the driver's whole-column Append goes through reflection per
				// element; AppendRow per row takes its typed fast path.
				err = appendRows(batch.Column(i), rows)
			default:
				err = batch.Column(i).Append(col)
			}
			if err != nil {
				return fmt.Errorf("append column %s.%s: %w", t.Name, t.Columns[i].Name, err)
			}
		}
		return nil
	})
}

// send prepares an INSERT into t, lets fill put the rows in, and sends it.
func (s *Store) send(ctx context.Context, t chsql.Table, fill func(driver.Batch) error) error {
	if s.closed.Load() {
		return ledger.ErrClosed
	}
	// The driver closes the connection when ctx ends, which is what unblocks a hung server.
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadTimeout)
	defer cancel()
	batch, err := s.conn.PrepareBatch(ctx, t.InsertSQL(s.cfg.Database))
	if err != nil {
		return fmt.Errorf("prepare insert into %s: %w", t.Name, classify(err))
	}
	if err := fill(batch); err != nil {
		_ = batch.Abort()
		return err
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("send insert into %s: %w", t.Name, classify(err))
	}
	return nil
}

// appendRows appends an array column row by row.
func appendRows[T any](c driver.BatchColumn, rows [][]T) error {
	for _, r := range rows {
		if err := c.AppendRow(r); err != nil {
			return err
		}
	}
	return nil
}

// chunks calls fn on consecutive slices of at most size rows.
func chunks[T any](rows []T, size int, fn func([]T) error) error {
	for len(rows) > 0 {
		n := min(size, len(rows))
		if err := fn(rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// parallelChunks splits rows into at most size-row chunks, and into at least workers chunks
// when there are enough rows to make that worthwhile, and runs fn on up to workers of them at
// once: one chunk's columns are built in Go while the server writes another's part. The
// result is the first error; the whole call then counts as not durable.
func parallelChunks[T any](rows []T, size, workers int, fn func([]T) error) error {
	const minChunk = 10_000 // below this a part's fixed cost on the server dominates
	if workers > 1 && len(rows) >= 2*minChunk {
		size = min(size, max(minChunk, (len(rows)+workers-1)/workers))
	}
	if workers <= 1 || len(rows) <= size {
		return chunks(rows, size, fn)
	}
	sem := make(chan struct{}, workers)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	_ = chunks(rows, size, func(part []T) error {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(part); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
		return nil
	})
	wg.Wait()
	return first
}

// WriteTransactions implements ledger.Writer: one row per entry, all transactions validated
// (balance included) before anything is sent.
func (s *Store) WriteTransactions(ctx context.Context, txs []ledger.Transaction) error {
	if err := ledger.ValidateTransactions(txs); err != nil {
		return err
	}
	var c struct {
		txID, kind, desc, account, party, currency, invoice, line, event []string
		index                                                            []uint32
		txTime                                                           []time.Time
		amount                                                           []decimal.Decimal
	}
	for _, tx := range txs {
		for i, e := range tx.Entries {
			c.txID = append(c.txID, tx.ID)
			c.index = append(c.index, uint32(i))
			c.txTime = append(c.txTime, chsql.StoredTime(tx.Time))
			c.kind = append(c.kind, tx.Kind)
			c.desc = append(c.desc, tx.Description)
			c.account = append(c.account, e.Account)
			c.party = append(c.party, ledger.Party(e.Account))
			c.amount = append(c.amount, e.Amount)
			c.currency = append(c.currency, e.Currency)
			c.invoice = append(c.invoice, e.InvoiceID)
			c.line = append(c.line, e.LineID)
			c.event = append(c.event, e.EventID)
		}
	}
	if len(c.txID) == 0 {
		return nil
	}
	// One INSERT for the whole call: a transaction's entries are never split across inserts.
	if err := s.insert(ctx, chsql.JournalTable(), []any{c.txID, c.index, c.txTime, c.kind, c.desc, c.account, c.party,
		c.amount, c.currency, c.invoice, c.line, c.event}); err != nil {
		return fmt.Errorf("ledger/clickhouse: write %d transactions to %s: %w", len(txs), s.cfg.Addr, err)
	}
	return nil
}

// WriteDocuments implements ledger.Writer. Lines and status events are written before headers,
// so a reader that sees a new header version also finds its lines.
func (s *Store) WriteDocuments(ctx context.Context, docs []ledger.Document) error {
	if err := ledger.ValidateDocuments(docs); err != nil {
		return err
	}
	if len(docs) == 0 {
		return nil
	}
	var l struct {
		docID, desc, charge, meter []string
		version                    []uint64
		lineNo                     []uint32
		qty, price, amount, tax    []decimal.Decimal
	}
	var e struct {
		docID, status, actor []string
		version              []uint64
		at                   []time.Time
	}
	var d struct {
		id, kind, number, issuer, account, currency, status, refersTo, actor []string
		version                                                              []uint64
		start, end, issued, changed                                          []time.Time
		subtotal, tax, total                                                 []decimal.Decimal
	}
	for _, doc := range docs {
		for _, line := range doc.Lines {
			l.docID = append(l.docID, doc.ID)
			l.version = append(l.version, doc.Version)
			l.lineNo = append(l.lineNo, line.LineNo)
			l.desc = append(l.desc, line.Description)
			l.charge = append(l.charge, line.Charge)
			l.meter = append(l.meter, line.Meter)
			l.qty = append(l.qty, line.Quantity)
			l.price = append(l.price, line.UnitPrice)
			l.amount = append(l.amount, line.Amount)
			l.tax = append(l.tax, line.TaxAmount)
		}
		e.docID = append(e.docID, doc.ID)
		e.version = append(e.version, doc.Version)
		e.status = append(e.status, string(doc.Status))
		e.at = append(e.at, chsql.StoredTime(doc.ChangedAt))
		e.actor = append(e.actor, doc.Actor)

		d.id = append(d.id, doc.ID)
		d.version = append(d.version, doc.Version)
		d.kind = append(d.kind, string(doc.Kind))
		d.number = append(d.number, doc.Number)
		d.issuer = append(d.issuer, doc.Issuer)
		d.account = append(d.account, doc.Account)
		d.currency = append(d.currency, doc.Currency)
		d.start = append(d.start, chsql.StoredTime(doc.PeriodStart))
		d.end = append(d.end, chsql.StoredTime(doc.PeriodEnd))
		d.issued = append(d.issued, chsql.StoredTime(doc.IssuedAt))
		d.status = append(d.status, string(doc.Status))
		d.subtotal = append(d.subtotal, doc.Subtotal)
		d.tax = append(d.tax, doc.Tax)
		d.total = append(d.total, doc.Total)
		d.refersTo = append(d.refersTo, doc.RefersTo)
		d.changed = append(d.changed, chsql.StoredTime(doc.ChangedAt))
		d.actor = append(d.actor, doc.Actor)
	}
	wrap := func(err error) error {
		return fmt.Errorf("ledger/clickhouse: write %d documents to %s: %w", len(docs), s.cfg.Addr, err)
	}
	if len(l.docID) > 0 {
		if err := s.insert(ctx, chsql.DocumentLinesTable(), []any{l.docID, l.version, l.lineNo, l.desc, l.charge, l.meter,
			l.qty, l.price, l.amount, l.tax}); err != nil {
			return wrap(err)
		}
	}
	if err := s.insert(ctx, chsql.DocumentEventsTable(), []any{e.docID, e.version, e.status, e.at, e.actor}); err != nil {
		return wrap(err)
	}
	if err := s.insert(ctx, chsql.DocumentsTable(), []any{d.id, d.version, d.kind, d.number, d.issuer, d.account, d.currency,
		d.start, d.end, d.issued, d.status, d.subtotal, d.tax, d.total, d.refersTo, d.changed, d.actor}); err != nil {
		return wrap(err)
	}
	return nil
}

// WriteRejects implements ledger.Writer.
func (s *Store) WriteRejects(ctx context.Context, rows []ledger.Reject) error {
	if err := ledger.ValidateRejects(rows); err != nil {
		return err
	}
	err := chunks(rows, s.cfg.BatchSize, func(rows []ledger.Reject) error {
		var c struct {
			topic, reason, detail, source, event, original []string
			partition                                      []int32
			offset                                         []int64
			at                                             []time.Time
		}
		for _, r := range rows {
			c.topic = append(c.topic, r.Topic)
			c.partition = append(c.partition, r.Partition)
			c.offset = append(c.offset, r.Offset)
			c.at = append(c.at, chsql.StoredTime(r.At))
			c.reason = append(c.reason, r.Reason)
			c.detail = append(c.detail, r.Detail)
			c.source = append(c.source, r.Source)
			c.event = append(c.event, r.EventID)
			c.original = append(c.original, string(r.Original))
		}
		return s.insert(ctx, chsql.RejectsTable(), []any{c.topic, c.partition, c.offset, c.at, c.reason, c.detail, c.source,
			c.event, c.original})
	})
	if err != nil {
		return fmt.Errorf("ledger/clickhouse: write %d rejects to %s: %w", len(rows), s.cfg.Addr, err)
	}
	return nil
}

// WriteAudit implements ledger.Writer.
func (s *Store) WriteAudit(ctx context.Context, rows []ledger.AuditEntry) error {
	if err := ledger.ValidateAudit(rows); err != nil {
		return err
	}
	err := chunks(rows, s.cfg.BatchSize, func(rows []ledger.AuditEntry) error {
		var c struct {
			id, actor, action, object, origin, detail []string
			at                                        []time.Time
		}
		for _, a := range rows {
			c.id = append(c.id, a.ID)
			c.at = append(c.at, chsql.StoredTime(a.At))
			c.actor = append(c.actor, a.Actor)
			c.action = append(c.action, a.Action)
			c.object = append(c.object, a.Object)
			c.origin = append(c.origin, a.Origin)
			c.detail = append(c.detail, a.Detail)
		}
		return s.insert(ctx, chsql.AuditTable(), []any{c.id, c.at, c.actor, c.action, c.object, c.origin, c.detail})
	})
	if err != nil {
		return fmt.Errorf("ledger/clickhouse: write %d audit entries to %s: %w", len(rows), s.cfg.Addr, err)
	}
	return nil
}
