package rating_test

import (
	"math"
	"testing"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

func TestFixedFromDecimal(t *testing.T) {
	cases := []struct {
		in   string
		want rating.Fixed
		ok   bool
	}{
		{"0", 0, true},
		{"1.5", 1_500_000_000, true},
		{"-0.000000001", -1, true},
		{"0.000000001", 1, true},
		{"1.0000000000", 1_000_000_000, true}, // trailing zeros beyond 9 digits are exact
		{"0.0000000001", 0, false},            // a 10th significant decimal
		{"9223372036.854775807", math.MaxInt64, true},
		{"9223372036.854775808", 0, false},
		{"-9223372036.854775808", math.MinInt64, true},
		{"12345678901", 0, false},
		{"1e3", 1_000_000_000_000, true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := rating.FixedFromDecimal(qty(tc.in))
			if ok != tc.ok || (ok && got != tc.want) {
				t.Fatalf("FixedFromDecimal(%s) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
			if ok && !got.Decimal().Equal(qty(tc.in)) {
				t.Fatalf("round trip %s -> %s", tc.in, got.Decimal())
			}
		})
	}
}

func TestParseFixed(t *testing.T) {
	cases := []struct {
		in   string
		want rating.Fixed
		ok   bool
	}{
		{"12", 12_000_000_000, true},
		{"-0.000001", -1_000, true},
		{"+3.50", 3_500_000_000, true},
		{"0.1234567890", 123_456_789, true},
		{"0.1234567891", 0, false},
		{".5", 500_000_000, true},
		{"5.", 5_000_000_000, true},
		{"", 0, false},
		{"-", 0, false},
		{".", 0, false},
		{"1e3", 0, false},
		{"1.2.3", 0, false},
		{"9223372036.854775807", math.MaxInt64, true},
		{"9223372036.854775808", 0, false},
		{"-9223372036.854775808", math.MinInt64, true},
		{"99999999999999999999999", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := rating.ParseFixed(tc.in)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Fatalf("ParseFixed(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestFixedArithmetic(t *testing.T) {
	f := func(s string) rating.Fixed {
		v, ok := rating.ParseFixed(s)
		if !ok {
			t.Fatalf("ParseFixed(%q) failed", s)
		}
		return v
	}
	mul := []struct {
		a, b string
		want string
		ok   bool
	}{
		{"1.5", "2", "3", true},
		{"0.000001", "0.09", "0.00000009", true},
		{"-1.5", "0.2", "-0.3", true},
		{"-1.5", "-0.2", "0.3", true},
		{"0.00001", "0.00001", "", false}, // 10 decimals: not exact in Fixed
		{"9000000000", "2", "", false},    // overflow
		{"0", "9223372036", "0", true},
	}
	for _, tc := range mul {
		got, ok := rating.MulFixed(f(tc.a), f(tc.b))
		if ok != tc.ok || (ok && got != f(tc.want)) {
			t.Errorf("MulFixed(%s, %s) = %s, %v; want %s, %v", tc.a, tc.b, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := rating.AddFixed(math.MaxInt64, 1); ok {
		t.Error("AddFixed overflow not detected")
	}
	if _, ok := rating.SubFixed(math.MinInt64, 1); ok {
		t.Error("SubFixed overflow not detected")
	}
	if got, ok := rating.SubFixed(f("1"), f("2.5")); !ok || got != f("-1.5") {
		t.Errorf("SubFixed(1, 2.5) = %s, %v", got, ok)
	}
}

// FuzzParseFixed checks the hot-path decoder against decimal.NewFromString: whatever ParseFixed
// accepts must be exactly the decimal value of the text, and what it rejects must be outside
// Fixed (or not a plain decimal).
func FuzzParseFixed(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-0.000000001", "9223372036.854775807", "1e3", ".5", "0.1234567891", "+7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := rating.ParseFixed(s)
		d, err := decimal.NewFromString(s)
		if ok {
			if err != nil {
				t.Fatalf("ParseFixed(%q) accepted what decimal rejects: %v", s, err)
			}
			if !got.Decimal().Equal(d) {
				t.Fatalf("ParseFixed(%q) = %s, decimal says %s", s, got, d)
			}
			return
		}
		if err == nil && isPlainDecimal(s) {
			if _, fits := rating.FixedFromDecimal(d); fits {
				t.Fatalf("ParseFixed(%q) rejected a value that fits Fixed", s)
			}
		}
	})
}

// isPlainDecimal reports whether s has only an optional sign, digits and at most one dot.
func isPlainDecimal(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '.':
			dots++
		case s[i] >= '0' && s[i] <= '9':
			digits++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}
