package clickhouse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
	"github.com/cascade-billing/cascade/ledger/internal/rowbinary"
	"github.com/shopspring/decimal"
)

// block is an INSERT's columns, filled row by row and loaded into a prepared batch at once.
// String columns are handed to the driver as []string, which it copies cheaply. Every other
// column is written in ClickHouse's Native format and loaded through the driver column's
// Decode — the path the driver takes for a block the server sends.
//
// Why not the driver's Append for those: it turns every decimal into a big.Int three times over
// (seven allocations a value) and walks every array element through reflection; on the usage
// table that was most of the client's CPU on the hot path. Here a decimal of up to 18 digits
// costs no allocation and an array row two appends.
//
// Native format, per column: Decimal(38, s) is a little-endian Int128 of the value times 10^s,
// DateTime a UInt32 of Unix seconds, String a uvarint length then the bytes, and Array(T) the
// running end offset of each row as UInt64, then every element of T in order: each value's
// RowBinary encoding (rowbinary.Encoder), laid out by column.
type block struct {
	table chsql.Table
	cols  []blockColumn
	rows  int
}

// blockColumn is one column of a block.
type blockColumn struct {
	typ     string
	strs    []string          // a String column's values
	offsets rowbinary.Encoder // an Array column's running end offsets
	values  rowbinary.Encoder // any other column's values in Native format
	end     uint64            // an Array column's elements so far
	err     error             // the first value that could not be encoded
}

// newBlock starts a block for table t, sized for rows rows.
func newBlock(t chsql.Table, rows int) *block {
	b := &block{table: t, cols: make([]blockColumn, len(t.Columns))}
	for i, c := range t.Columns {
		b.cols[i].typ = c.Type
		switch {
		case c.Type == "String":
			b.cols[i].strs = make([]string, 0, rows)
		case strings.HasPrefix(c.Type, "Array("):
			b.cols[i].offsets.Grow(8 * rows)
		case strings.HasPrefix(c.Type, "Decimal("):
			b.cols[i].values.Grow(16 * rows)
		case strings.HasPrefix(c.Type, "DateTime"):
			b.cols[i].values.Grow(4 * rows)
		}
	}
	return b
}

// endRow counts a row whose every column has been written.
func (b *block) endRow() { b.rows++ }

// fail keeps a column's first encoding error, naming the row.
func (c *blockColumn) fail(row int, err error) {
	if c.err == nil {
		c.err = fmt.Errorf("row %d: %w", row, err)
	}
}

// str writes a String value.
func (c *blockColumn) str(s string) { c.strs = append(c.strs, s) }

// time writes a DateTime('UTC') value as chsql.StoredTime keeps it.
func (c *blockColumn) time(row int, t time.Time) {
	if err := c.values.DateTime(chsql.StoredTime(t)); err != nil {
		c.fail(row, err)
		c.values.UInt32(0) // keeps the column's length; the block is refused anyway
	}
}

// decimal writes a Decimal(38, scale) value, or an element of an Array of them.
func (c *blockColumn) decimal(row int, d decimal.Decimal, scale int32) {
	if err := c.values.Decimal128(d, scale); err != nil {
		c.fail(row, err)
		c.values.UInt64(0)
		c.values.UInt64(0)
	}
}

// array ends an Array row of n elements; the elements are written before or after, in order.
func (c *blockColumn) array(n int) {
	c.end += uint64(n)
	c.offsets.UInt64(c.end)
}

// strings writes an Array(String) row.
func (c *blockColumn) strings(ss []string) {
	c.array(len(ss))
	for _, s := range ss {
		c.values.String(s)
	}
}

// load puts the block into batch's columns.
func (b *block) load(batch driver.Batch) error {
	return b.decode(batch.Columns(), func(i int, strs []string) error { return batch.Column(i).Append(strs) })
}

// decode puts the block into cols, after checking that they are the columns it was written
// for (a ledger whose schema differs is refused, not garbled); String columns go through
// appendStrings.
func (b *block) decode(cols []column.Interface, appendStrings func(i int, strs []string) error) error {
	t := b.table
	for i := range b.cols {
		if err := b.cols[i].err; err != nil {
			return fmt.Errorf("column %s.%s (%s), %w", t.Name, t.Columns[i].Name, b.cols[i].typ, err)
		}
	}
	if len(cols) != len(b.cols) {
		return fmt.Errorf("the server's %s table has %d columns, the ledger writes %d", t.Name, len(cols), len(b.cols))
	}
	var native []io.Reader
	for i, c := range cols {
		if got := string(c.Type()); got != b.cols[i].typ {
			return fmt.Errorf("column %s.%s is %s on the server, the ledger writes %s", t.Name, t.Columns[i].Name, got, b.cols[i].typ)
		}
		if b.cols[i].typ != "String" {
			native = append(native, bytes.NewReader(b.cols[i].offsets.Bytes()), bytes.NewReader(b.cols[i].values.Bytes()))
		}
	}
	r := proto.NewReader(io.MultiReader(native...))
	for i, c := range cols {
		var err error
		if b.cols[i].typ == "String" {
			err = appendStrings(i, b.cols[i].strs)
		} else {
			err = c.Decode(r, b.rows)
		}
		if err != nil {
			return fmt.Errorf("load column %s.%s: %w", t.Name, t.Columns[i].Name, err)
		}
		if got := c.Rows(); got != b.rows {
			return fmt.Errorf("load column %s.%s: %d rows, want %d", t.Name, t.Columns[i].Name, got, b.rows)
		}
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("load %s: bytes left over after the last column", t.Name)
	}
	return nil
}
