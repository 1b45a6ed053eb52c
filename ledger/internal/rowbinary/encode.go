// Package rowbinary writes and reads ClickHouse's RowBinary format, the fastest
// way in and out of the embedded engine: it has no insert API, and a
// RowBinary file read by INSERT ... SELECT FROM file() beats SQL text by 2x.
//
// The server adapter uses the same encoder for the columns of its Native-format
// inserts (ledger/clickhouse/native.go): Native lays each value out exactly as
// RowBinary does, only column after column.
package rowbinary

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"math/bits"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Encoder appends RowBinary values to a growing buffer. The caller writes each
// row's columns in table order and flushes Bytes() when it is large enough.
type Encoder struct {
	buf []byte
	tmp big.Int            // scratch for decimals whose coefficient exceeds 64 bits
	rem big.Int            // scratch remainder
	p10 map[int32]*big.Int // powers of ten the slow path needed, kept across rows
}

// Bytes returns the encoded data; valid until the next write or Reset.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len is the number of bytes encoded so far.
func (e *Encoder) Len() int { return len(e.buf) }

// Reset empties the buffer, keeping its capacity for the next chunk.
func (e *Encoder) Reset() { e.buf = e.buf[:0] }

// String writes a String column: uvarint length, then the bytes.
func (e *Encoder) String(s string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// Blob writes raw bytes as a String column.
func (e *Encoder) Blob(b []byte) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(b)))
	e.buf = append(e.buf, b...)
}

// Strings writes an Array(String) column.
func (e *Encoder) Strings(ss []string) {
	e.buf = binary.AppendUvarint(e.buf, uint64(len(ss)))
	for _, s := range ss {
		e.String(s)
	}
}

// UInt32 writes a UInt32 column.
func (e *Encoder) UInt32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }

// UInt64 writes a UInt64 column.
func (e *Encoder) UInt64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }

// Int32 writes an Int32 column.
func (e *Encoder) Int32(v int32) { e.UInt32(uint32(v)) }

// Int64 writes an Int64 column.
func (e *Encoder) Int64(v int64) { e.UInt64(uint64(v)) }

// DateTime writes a DateTime column as Unix seconds. The zero time is written
// as the epoch, DateTime's default; times outside 1970..2106 are an error
// (ledger validation refuses them before this point).
func (e *Encoder) DateTime(t time.Time) error {
	if t.IsZero() {
		e.UInt32(0)
		return nil
	}
	s := t.Unix()
	if s < 0 || s > 1<<32-1 {
		return fmt.Errorf("rowbinary: time %s outside DateTime range", t.UTC().Format(time.RFC3339))
	}
	e.UInt32(uint32(s))
	return nil
}

var pow10 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// Decimal128 writes a Decimal(38, scale) column: the value times 10^scale as a
// little-endian two's-complement Int128. Extra fraction digits are an error,
// not truncated, because ClickHouse would truncate them silently.
func (e *Encoder) Decimal128(d decimal.Decimal, scale int32) error {
	shift := d.Exponent() + scale
	// Fast path without allocation: up to 18 digits fit an int64 coefficient
	// (NumDigits and CoefficientInt64 do not copy it, Coefficient does).
	if shift >= 0 && shift < int32(len(pow10)) && d.NumDigits() <= 18 {
		c := d.CoefficientInt64()
		neg := c < 0
		mag := uint64(c)
		if neg {
			mag = uint64(-c)
		}
		hi, lo := bits.Mul64(mag, pow10[shift])
		if hi>>63 == 0 {
			e.putInt128(hi, lo, neg)
			return nil
		}
	}
	coef := d.Coefficient()
	return e.decimalSlow(d, coef, shift, coef.Sign() < 0)
}

// decimalSlow handles coefficients or shifts that do not fit the 64x64 path.
func (e *Encoder) decimalSlow(d decimal.Decimal, coef *big.Int, shift int32, neg bool) error {
	v := &e.tmp
	v.Abs(coef)
	if shift >= 0 {
		v.Mul(v, e.pow10(shift))
	} else {
		v.QuoRem(v, e.pow10(-shift), &e.rem)
		if e.rem.Sign() != 0 {
			return fmt.Errorf("rowbinary: decimal %s has more than %d fraction digits", d.String(), -(shift - d.Exponent()))
		}
	}
	if v.BitLen() > 127 {
		return fmt.Errorf("rowbinary: decimal %s does not fit Decimal128", d.String())
	}
	words := v.Bits()
	var lo, hi uint64
	if len(words) > 0 {
		lo = uint64(words[0])
	}
	if len(words) > 1 {
		hi = uint64(words[1])
	}
	e.putInt128(hi, lo, neg)
	return nil
}

// pow10 returns 10^n, computed once per Encoder.
func (e *Encoder) pow10(n int32) *big.Int {
	if p, ok := e.p10[n]; ok {
		return p
	}
	if e.p10 == nil {
		e.p10 = make(map[int32]*big.Int)
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	e.p10[n] = p
	return p
}

// Grow makes room for n more bytes, so a chunk's buffer is sized once.
func (e *Encoder) Grow(n int) { e.buf = slices.Grow(e.buf, n) }

// putInt128 writes the magnitude (hi, lo) with sign as two's complement.
func (e *Encoder) putInt128(hi, lo uint64, neg bool) {
	if neg {
		lo, hi = ^lo, ^hi
		var c uint64
		lo, c = bits.Add64(lo, 1, 0)
		hi += c
	}
	e.buf = binary.LittleEndian.AppendUint64(e.buf, lo)
	e.buf = binary.LittleEndian.AppendUint64(e.buf, hi)
}

// ArrayLen starts an Array column of n elements; the caller then writes them.
// It lets callers encode arrays from struct fields without building a slice.
func (e *Encoder) ArrayLen(n int) { e.buf = binary.AppendUvarint(e.buf, uint64(n)) }
