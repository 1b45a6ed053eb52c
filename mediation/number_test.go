package mediation_test

import (
	"testing"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

func TestNumber(t *testing.T) {
	tests := []struct{ a, b, sum string }{
		{"1.5", "2.25", "3.75"},
		{"-1", "1", "0"},
		{"9223372036.854775807", "1", "9223372037.854775807"}, // overflows Fixed: decimal path
		{"0.0000000001", "0.9999999999", "1"},                 // below Fixed's precision
		{"1e20", "-1e20", "0"},
	}
	for _, tt := range tests {
		a, err1 := mediation.ParseQuantity(tt.a)
		b, err2 := mediation.ParseQuantity(tt.b)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		s := a.Add(b)
		if !s.Decimal().Equal(decimal.RequireFromString(tt.sum)) {
			t.Errorf("%s + %s = %s, want %s", tt.a, tt.b, s, tt.sum)
		}
		if !s.Equal(mediation.DecimalNumber(decimal.RequireFromString(tt.sum))) {
			t.Errorf("%s + %s: Equal disagrees with the decimal value", tt.a, tt.b)
		}
		if want := decimal.RequireFromString(tt.sum).Sign(); s.Sign() != want {
			t.Errorf("%s + %s: sign %d, want %d", tt.a, tt.b, s.Sign(), want)
		}
	}
	if f, ok := mediation.DecimalNumber(decimal.RequireFromString("2.5")).Fixed(); !ok || f != rating.Fixed(2_500_000_000) {
		t.Errorf("2.5 not held as Fixed: %v %v", f, ok)
	}
	if _, ok := mediation.DecimalNumber(decimal.RequireFromString("1e-12")).Fixed(); ok {
		t.Error("1e-12 claims to fit a Fixed")
	}
}
