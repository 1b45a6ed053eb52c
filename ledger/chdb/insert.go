package chdb

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/cascade-billing/cascade/ledger/internal/chsql"
	"github.com/cascade-billing/cascade/ledger/internal/rowbinary"
)

// encodeFunc appends one row, columns in the table's order.
type encodeFunc[T any] func(e *rowbinary.Encoder, row *T) error

// insert writes rows into table in chunks of chunkRows. libchdb has no insert
// API: each chunk is encoded as RowBinary into a temporary file that one
// INSERT ... SELECT FROM file() reads: the fastest path measured, about 2x
// SQL text (0.3-0.9M usage rows/s here, the engine's share dominating).
// A failed chunk leaves earlier chunks written, which the Writer contract
// allows: rows collapse by identity when written again.
func insert[T any](ctx context.Context, s *Store, table chsql.Table, rows []T, enc encodeFunc[T]) error {
	if len(rows) == 0 {
		return nil
	}
	var e rowbinary.Encoder
	for start := 0; start < len(rows); start += s.chunkRows {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("insert %s at row %d: %w", table.Name, start, err)
		}
		end := min(start+s.chunkRows, len(rows))
		e.Reset()
		if start == 0 {
			e.Grow(128 * (end - start)) // a typical usage row encodes to ~100 bytes
		}
		for i := start; i < end; i++ {
			if err := enc(&e, &rows[i]); err != nil {
				return fmt.Errorf("encode %s row %d: %w", table.Name, i, err)
			}
		}
		if err := s.insertChunk(table, e.Bytes()); err != nil {
			return fmt.Errorf("insert %s rows %d..%d: %w", table.Name, start, end-1, err)
		}
	}
	return nil
}

// insertChunk hands one RowBinary chunk to the engine through a temp file.
func (s *Store) insertChunk(table chsql.Table, data []byte) error {
	f, err := os.CreateTemp(s.tempDir, "cascade-chdb-"+table.Name+"-"+strconv.FormatUint(s.seq.Add(1), 10)+"-*.rowbinary")
	if err != nil {
		return fmt.Errorf("create chunk file: %w", err)
	}
	name := f.Name()
	defer os.Remove(name)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write chunk file %s: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close chunk file %s: %w", name, err)
	}
	if err := s.exec(insertFromFileSQL(s.db, table, name)); err != nil {
		return engineErr("INSERT", err)
	}
	return nil
}

// insertFromFileSQL is the statement that loads one chunk file. The column
// list and the file structure both come from chsql, so they cannot disagree.
//
// optimize_on_insert=0 skips collapsing duplicates inside the inserted block
// (~30% faster measured on 100k usage rows): every read collapses them anyway
// (FINAL or argMax), as it must for duplicates spread over several inserts.
func insertFromFileSQL(db string, table chsql.Table, path string) string {
	return "INSERT INTO " + table.Qualified(db) + " (" + table.ColumnNames() + ") SELECT " + table.ColumnNames() +
		" FROM file(" + chsql.String(path) + ", 'RowBinary', " + chsql.String(table.Structure()) + ")" +
		" SETTINGS optimize_on_insert = 0"
}
