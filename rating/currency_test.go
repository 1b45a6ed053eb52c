package rating_test

import (
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

func TestLookupCurrency(t *testing.T) {
	cases := []struct {
		code  string
		minor int32
		ok    bool
	}{
		{"JPY", 0, true}, {"KRW", 0, true}, {"EUR", 2, true}, {"USD", 2, true}, {"BHD", 3, true},
		{"KWD", 3, true}, {"CLF", 4, true}, {"XCG", 2, true},
		{"eur", 0, false}, {"EU", 0, false}, {"EURO", 0, false}, {"XXX", 0, false}, {"HRK", 0, false},
		{"XAU", 0, false}, {"", 0, false}, {"E1R", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			c, err := rating.LookupCurrency(tc.code)
			if (err == nil) != tc.ok {
				t.Fatalf("LookupCurrency(%q) error = %v, want ok=%v", tc.code, err, tc.ok)
			}
			if tc.ok && (c.Code != tc.code || c.MinorUnits != tc.minor) {
				t.Fatalf("LookupCurrency(%q) = %+v, want minor %d", tc.code, c, tc.minor)
			}
		})
	}
}

func TestParseRoundingMode(t *testing.T) {
	cases := []struct {
		in   string
		want rating.RoundingMode
		ok   bool
	}{
		{"", rating.RoundHalfUp, true},
		{"half_up", rating.RoundHalfUp, true},
		{"half_even", rating.RoundHalfEven, true},
		{"up", rating.RoundUp, true},
		{"down", rating.RoundDown, true},
		{"HALF_UP", "", false},
		{"bankers", "", false},
		{"ceil", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := rating.ParseRoundingMode(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("ParseRoundingMode(%q) = %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestCurrencyRound(t *testing.T) {
	cases := []struct {
		code, amount string
		mode         rating.RoundingMode
		want         string
	}{
		// EUR, 2 decimals: exact halves in every mode, both signs.
		{"EUR", "1.005", rating.RoundHalfUp, "1.01"},
		{"EUR", "-1.005", rating.RoundHalfUp, "-1.01"},
		{"EUR", "1.005", rating.RoundHalfEven, "1.00"},
		{"EUR", "1.015", rating.RoundHalfEven, "1.02"},
		{"EUR", "-1.005", rating.RoundHalfEven, "-1.00"},
		{"EUR", "-1.015", rating.RoundHalfEven, "-1.02"},
		{"EUR", "1.001", rating.RoundUp, "1.01"},
		{"EUR", "-1.001", rating.RoundUp, "-1.01"},
		{"EUR", "1.009", rating.RoundDown, "1.00"},
		{"EUR", "-1.009", rating.RoundDown, "-1.00"},
		{"EUR", "1.0049999", rating.RoundHalfUp, "1.00"},
		{"EUR", "2.50", rating.RoundUp, "2.50"},
		{"EUR", "1.005", "", "1.01"},
		// JPY, 0 decimals.
		{"JPY", "0.5", rating.RoundHalfUp, "1"},
		{"JPY", "-0.5", rating.RoundHalfUp, "-1"},
		{"JPY", "2.5", rating.RoundHalfEven, "2"},
		{"JPY", "3.5", rating.RoundHalfEven, "4"},
		{"JPY", "-2.5", rating.RoundHalfEven, "-2"},
		{"JPY", "100.1", rating.RoundUp, "101"},
		{"JPY", "-100.1", rating.RoundUp, "-101"},
		{"JPY", "100.9", rating.RoundDown, "100"},
		{"JPY", "-100.9", rating.RoundDown, "-100"},
		// BHD, 3 decimals.
		{"BHD", "1.0005", rating.RoundHalfUp, "1.001"},
		{"BHD", "-1.0005", rating.RoundHalfUp, "-1.001"},
		{"BHD", "1.0005", rating.RoundHalfEven, "1.000"},
		{"BHD", "1.0015", rating.RoundHalfEven, "1.002"},
		{"BHD", "1.0001", rating.RoundUp, "1.001"},
		{"BHD", "1.0009", rating.RoundDown, "1.000"},
		{"BHD", "-0.0009", rating.RoundDown, "0"},
	}
	for _, tc := range cases {
		t.Run(tc.code+"/"+string(tc.mode)+"/"+tc.amount, func(t *testing.T) {
			c, err := rating.LookupCurrency(tc.code)
			if err != nil {
				t.Fatal(err)
			}
			got := c.Round(qty(tc.amount), tc.mode)
			if !got.Equal(qty(tc.want)) {
				t.Fatalf("%s.Round(%s, %q) = %s, want %s", tc.code, tc.amount, tc.mode, got, tc.want)
			}
			if !c.IsRounded(got) {
				t.Fatalf("IsRounded(%s) = false after rounding", got)
			}
		})
	}
}
