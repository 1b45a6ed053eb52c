package rating

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Currency is an ISO-4217 currency with the number of digits of its minor unit (JPY 0, EUR 2,
// BHD 3). Amounts are rounded to that minor unit only at line totals, through Round, so that
// there is exactly one rounding rule per currency in the whole system.
type Currency struct {
	Code       string
	MinorUnits int32
}

// LookupCurrency returns the active ISO-4217 currency with the given code. The code must be
// three upper-case letters exactly as ISO writes it; lower case is rejected rather than
// normalised so that catalogs and ledgers never hold two spellings of one currency.
func LookupCurrency(code string) (Currency, error) {
	if len(code) != 3 {
		return Currency{}, fmt.Errorf("currency %q: want a 3-letter ISO-4217 code", code)
	}
	for i := 0; i < 3; i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return Currency{}, fmt.Errorf("currency %q: want upper-case letters A-Z", code)
		}
	}
	minor, ok := iso4217MinorUnits(code)
	if !ok {
		return Currency{}, fmt.Errorf("currency %q: not an active ISO-4217 currency", code)
	}
	return Currency{Code: code, MinorUnits: minor}, nil
}

// String returns the ISO code, so a Currency prints the way people write it.
func (c Currency) String() string { return c.Code }

// RoundingMode says how an amount that falls between two minor units is rounded. The values are
// the strings used in catalog YAML.
type RoundingMode string

// The rounding modes. Half-up is the default because it is what invoices in most jurisdictions
// expect; the catalog may choose another per price list.
const (
	RoundHalfUp   RoundingMode = "half_up"   // half away from zero: 0.005 → 0.01, −0.005 → −0.01
	RoundHalfEven RoundingMode = "half_even" // banker's rounding: 0.005 → 0.00, 0.015 → 0.02
	RoundUp       RoundingMode = "up"        // away from zero: 0.001 → 0.01, −0.001 → −0.01
	RoundDown     RoundingMode = "down"      // toward zero (truncation): 0.009 → 0.00
)

// ParseRoundingMode accepts exactly the four mode strings; "" means the default, half_up.
// Anything else is an error so that a typo in a catalog is not silently rounded half-up.
func ParseRoundingMode(s string) (RoundingMode, error) {
	switch m := RoundingMode(s); m {
	case "":
		return RoundHalfUp, nil
	case RoundHalfUp, RoundHalfEven, RoundUp, RoundDown:
		return m, nil
	}
	return "", fmt.Errorf("rounding mode %q: want one of half_up, half_even, up, down", s)
}

// Round rounds amount to c's minor unit with the given mode. It is the single rounding function
// of Cascade (invariant 6). A mode that ParseRoundingMode would reject (including "") rounds
// half-up, the documented default, since Round has no error to return.
func (c Currency) Round(amount decimal.Decimal, mode RoundingMode) decimal.Decimal {
	switch mode {
	case RoundHalfEven:
		return amount.RoundBank(c.MinorUnits)
	case RoundUp:
		return amount.RoundUp(c.MinorUnits)
	case RoundDown:
		return amount.RoundDown(c.MinorUnits)
	default:
		return amount.Round(c.MinorUnits)
	}
}

// IsRounded reports whether amount is already a whole number of c's minor units, which
// Allocate requires of the totals it splits.
func (c Currency) IsRounded(amount decimal.Decimal) bool {
	return amount.Equal(amount.Truncate(c.MinorUnits))
}
