package rowbinary

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// ErrCorrupt reports RowBinary data that does not parse as the expected rows.
var ErrCorrupt = errors.New("rowbinary: corrupt data")

// Table is a decoded RowBinaryWithNamesAndTypes answer, every cell as text:
// Strings as their bytes, integers and decimals in exact decimal notation.
// The ledger's decoders (chsql) parse text, so one representation serves the
// server and the embedded adapter alike.
type Table struct {
	Names []string
	Types []string
	Rows  [][]string
}

// reader walks a byte slice, remembering the first error.
type reader struct {
	data []byte
	off  int
	err  error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: at byte %d: %s", ErrCorrupt, r.off, fmt.Sprintf(format, args...))
	}
}

func (r *reader) take(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.data)-r.off) {
		r.fail("need %d bytes, %d left", n, len(r.data)-r.off)
		return nil
	}
	b := r.data[r.off : r.off+int(n)]
	r.off += int(n)
	return b
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	n, k := binary.Uvarint(r.data[r.off:])
	if k <= 0 {
		r.fail("bad uvarint")
		return 0
	}
	r.off += k
	return n
}

func (r *reader) str() string { return string(r.take(r.uvarint())) }

// column decodes one cell of a type to text.
type column func(r *reader) string

// columnFor returns the decoder for a ClickHouse type name.
func columnFor(typ string) (column, error) {
	switch typ {
	case "String":
		return (*reader).str, nil
	case "UInt8", "UInt16", "UInt32", "UInt64":
		size := map[string]int{"UInt8": 1, "UInt16": 2, "UInt32": 4, "UInt64": 8}[typ]
		return func(r *reader) string { return strconv.FormatUint(leUint(r.take(uint64(size))), 10) }, nil
	case "Int8", "Int16", "Int32", "Int64":
		size := map[string]int{"Int8": 1, "Int16": 2, "Int32": 4, "Int64": 8}[typ]
		return func(r *reader) string {
			v := leUint(r.take(uint64(size)))
			shift := 64 - 8*size
			return strconv.FormatInt(int64(v<<shift)>>shift, 10)
		}, nil
	}
	if p, s, ok := parseDecimal(typ); ok {
		size := 16
		switch {
		case p <= 9:
			size = 4
		case p <= 18:
			size = 8
		case p > 38:
			size = 32
		}
		return func(r *reader) string { return decimalText(r.take(uint64(size)), s) }, nil
	}
	return nil, fmt.Errorf("rowbinary: unsupported result column type %q", typ)
}

// parseDecimal reads "Decimal(P, S)".
func parseDecimal(typ string) (p, s int, ok bool) {
	inner, found := strings.CutPrefix(typ, "Decimal(")
	if !found || !strings.HasSuffix(inner, ")") {
		return 0, 0, false
	}
	ps, ss, found := strings.Cut(strings.TrimSuffix(inner, ")"), ",")
	if !found {
		return 0, 0, false
	}
	p, err1 := strconv.Atoi(strings.TrimSpace(ps))
	s, err2 := strconv.Atoi(strings.TrimSpace(ss))
	if err1 != nil || err2 != nil || p < 1 || p > 76 || s < 0 || s > p {
		return 0, 0, false
	}
	return p, s, true
}

func leUint(b []byte) uint64 {
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// decimalText renders a little-endian two's-complement integer scaled by
// 10^-scale as exact decimal text.
func decimalText(b []byte, scale int) string {
	if b == nil {
		return ""
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if len(b) > 0 && b[len(b)-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return decimal.NewFromBigInt(v, int32(-scale)).String()
}

// DecodeWithNamesAndTypes decodes a RowBinaryWithNamesAndTypes answer. It
// never panics on malformed input (fuzzed) and reports where it broke.
func DecodeWithNamesAndTypes(data []byte) (*Table, error) {
	if len(data) == 0 {
		return &Table{}, nil // libchdb returns nothing at all for some empty answers
	}
	r := &reader{data: data}
	n := r.uvarint()
	if n == 0 || n > uint64(len(data)) {
		return nil, fmt.Errorf("%w: column count %d", ErrCorrupt, n)
	}
	t := &Table{Names: make([]string, n), Types: make([]string, n)}
	for i := range t.Names {
		t.Names[i] = r.str()
	}
	for i := range t.Types {
		t.Types[i] = r.str()
	}
	if r.err != nil {
		return nil, r.err
	}
	cols := make([]column, n)
	for i, typ := range t.Types {
		c, err := columnFor(typ)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", t.Names[i], err)
		}
		cols[i] = c
	}
	for row := 0; r.off < len(data); row++ {
		cells := make([]string, n)
		for i, c := range cols {
			cells[i] = c(r)
		}
		if r.err != nil {
			return nil, fmt.Errorf("row %d: %w", row, r.err)
		}
		t.Rows = append(t.Rows, cells)
	}
	return t, nil
}
