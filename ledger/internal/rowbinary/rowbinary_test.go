package rowbinary_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger/internal/rowbinary"
	"github.com/shopspring/decimal"
)

// int128LE is the reference encoding: value*10^scale as 16 little-endian
// two's-complement bytes, computed with big.Int only.
func int128LE(t testing.TB, d decimal.Decimal, scale int32) []byte {
	t.Helper()
	v := d.Shift(scale)
	if !v.IsInteger() {
		t.Fatalf("%s has more than %d fraction digits", d, scale)
	}
	n := v.BigInt()
	if n.Sign() < 0 {
		n.Add(n, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	be := n.FillBytes(make([]byte, 16))
	out := make([]byte, 16)
	for i := range be {
		out[15-i] = be[i]
	}
	return out
}

func TestDecimal128MatchesBigIntReference(t *testing.T) {
	cases := []struct {
		in    string
		scale int32
	}{
		{"0", 12}, {"1.5", 12}, {"-1.5", 12}, {"0.000000000001", 12}, {"-0.000000000001", 12},
		{"99999999999999999999999999.999999999999", 12},  // 38 digits, the column's maximum
		{"-99999999999999999999999999.999999999999", 12}, // and minimum
		{"12345678901234567890.123456789012345678", 18},
		{"0.000000000000000001", 18}, {"1e25", 12}, {"1.500000000000000000000", 12}, // trailing zeros beyond the scale
		{"9223372036854775807", 0}, {"-9223372036854775808", 0}, {"18446744073709551616", 0},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			d := decimal.RequireFromString(c.in)
			var e rowbinary.Encoder
			if err := e.Decimal128(d, c.scale); err != nil {
				t.Fatal(err)
			}
			if want := int128LE(t, d, c.scale); !bytes.Equal(e.Bytes(), want) {
				t.Fatalf("Decimal128(%s, %d) = %x, want %x", c.in, c.scale, e.Bytes(), want)
			}
			// And the decoder renders the same value back.
			got, err := rowbinary.DecodeWithNamesAndTypes(resultOf(t, "Decimal(38, "+itoa(c.scale)+")", e.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if back := decimal.RequireFromString(got.Rows[0][0]); !back.Equal(d) {
				t.Fatalf("decoded %s, want %s", back, d)
			}
		})
	}
}

func TestDecimal128Refuses(t *testing.T) {
	cases := []struct {
		in    string
		scale int32
	}{
		{"0.0000000000001", 12},                        // 13 fraction digits would be truncated by ClickHouse
		{"200000000000000000000000000000000000000", 0}, // 2e38 > 2^127
		{"-0.0000000000000000001", 18},
	}
	for _, c := range cases {
		var e rowbinary.Encoder
		if err := e.Decimal128(decimal.RequireFromString(c.in), c.scale); err == nil {
			t.Errorf("Decimal128(%s, %d) = nil error, want refusal", c.in, c.scale)
		}
	}
}

func TestScalarEncodings(t *testing.T) {
	var e rowbinary.Encoder
	e.String("héllo")
	e.Strings([]string{"a", ""})
	e.UInt32(7)
	e.Int64(-2)
	if err := e.DateTime(time.Date(2026, 11, 1, 0, 0, 0, 999, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := e.DateTime(time.Time{}); err != nil {
		t.Fatal(err)
	}
	want := []byte{6, 'h', 0xc3, 0xa9, 'l', 'l', 'o', 2, 1, 'a', 0, 7, 0, 0, 0}
	want = binary.LittleEndian.AppendUint64(want, uint64(1<<64-2))
	want = binary.LittleEndian.AppendUint32(want, uint32(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix()))
	want = append(want, 0, 0, 0, 0)
	if !bytes.Equal(e.Bytes(), want) {
		t.Fatalf("got  %x\nwant %x", e.Bytes(), want)
	}
	if err := e.DateTime(time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("DateTime before 1970 accepted")
	}
}

// resultOf builds a one-column, one-row RowBinaryWithNamesAndTypes answer.
func resultOf(t testing.TB, typ string, cell []byte) []byte {
	t.Helper()
	var e rowbinary.Encoder
	e.ArrayLen(1)
	e.String("c")
	e.String(typ)
	return append(e.Bytes(), cell...)
}

func TestDecodeTypes(t *testing.T) {
	cases := []struct {
		typ  string
		cell []byte
		want string
	}{
		{"String", []byte{2, 'a', '\t'}, "a\t"},
		{"UInt64", binary.LittleEndian.AppendUint64(nil, 1<<63), "9223372036854775808"},
		{"Int32", []byte{0xfe, 0xff, 0xff, 0xff}, "-2"},
		{"Int8", []byte{0x80}, "-128"},
		{"Decimal(18, 2)", binary.LittleEndian.AppendUint64(nil, uint64(1<<64-150)), "-1.5"},
		{"Decimal(9, 3)", []byte{0xe8, 0x03, 0, 0}, "1"},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			got, err := rowbinary.DecodeWithNamesAndTypes(resultOf(t, c.typ, c.cell))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Rows) != 1 || got.Rows[0][0] != c.want {
				t.Fatalf("rows = %q, want [[%q]]", got.Rows, c.want)
			}
		})
	}
}

func TestDecodeCorrupt(t *testing.T) {
	cases := map[string][]byte{
		"truncated string":   resultOf(t, "String", []byte{5, 'a'}),
		"truncated decimal":  resultOf(t, "Decimal(38, 12)", []byte{1, 2, 3}),
		"huge column count":  {0xff, 0xff, 0x03},
		"unsupported type":   resultOf(t, "Array(String)", []byte{0}),
		"bad header varint":  {0x80},
		"zero column header": {0},
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := rowbinary.DecodeWithNamesAndTypes(data); err == nil {
				t.Fatal("decoded corrupt input without error")
			} else if name != "unsupported type" && !errors.Is(err, rowbinary.ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func FuzzDecodeWithNamesAndTypes(f *testing.F) {
	f.Add(resultOf(f, "String", []byte{2, 'o', 'k'}))
	f.Add(resultOf(f, "Decimal(38, 12)", make([]byte, 16)))
	f.Add(resultOf(f, "UInt64", make([]byte, 8)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := rowbinary.DecodeWithNamesAndTypes(data)
		if err != nil {
			return
		}
		for i, r := range tab.Rows {
			if len(r) != len(tab.Types) {
				t.Fatalf("row %d has %d cells, header %d", i, len(r), len(tab.Types))
			}
		}
	})
}

func FuzzDecimal128(f *testing.F) {
	f.Add(int64(15), int32(-1), int32(12))
	f.Add(int64(-1), int32(20), int32(18))
	f.Fuzz(func(t *testing.T, coef int64, exp int32, scale int32) {
		if scale < 0 || scale > 38 || exp < -40 || exp > 40 {
			return
		}
		d := decimal.New(coef, exp)
		var e rowbinary.Encoder
		err := e.Decimal128(d, scale)
		v := d.Shift(scale)
		fits := v.IsInteger() && v.BigInt().BitLen() <= 127
		if (err == nil) != fits {
			t.Fatalf("Decimal128(%s, %d): err %v, representable %v", d, scale, err, fits)
		}
		if err == nil && !bytes.Equal(e.Bytes(), int128LE(t, d, scale)) {
			t.Fatalf("Decimal128(%s, %d) = %x, want %x", d, scale, e.Bytes(), int128LE(t, d, scale))
		}
	})
}

func itoa(i int32) string { return big.NewInt(int64(i)).String() }
