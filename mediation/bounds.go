package mediation

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Bounds are the exact decimals the ledger can store: Precision significant digits, of which
// QuantityScale (quantities) or AmountScale (rated amounts) are fraction digits. A record whose
// quantity, or a delta rated from it, does not fit is rejected with ReasonOutOfBounds — it
// could never be written, and retrying its batch forever would stop its partition.
type Bounds struct {
	Precision     int32
	QuantityScale int32
	AmountScale   int32
}

// DefaultBounds are the ledger's columns: Decimal(38, 12) quantities and Decimal(38, 18)
// amounts (ledger.Precision, ledger.QuantityScale, ledger.AmountScale; mediation/ledgerstore
// tests that they agree).
var DefaultBounds = Bounds{Precision: 38, QuantityScale: 12, AmountScale: 18}

// CheckQuantity refuses a record whose quantity (after Normalize: unit conversion changes its
// digits) the ledger could not store exactly. The pipeline and the HTTP connector both call it,
// so a vendor hears "rejected" at once rather than "accepted" followed by a dead letter.
func (b Bounds) CheckQuantity(rec *Record) *RecordError {
	if why := b.fits(rec.Quantity, b.QuantityScale); why != "" {
		return &RecordError{Reason: ReasonOutOfBounds, Field: "data.quantity", ID: rec.ID,
			Detail: "quantity " + why + " (after unit conversion); the ledger could never store it"}
	}
	return nil
}

// fits reports why n cannot be stored exactly with scale fraction digits, or "" if it can.
// Fixed-point numbers always fit (9 fraction digits, |n| < 9.3e9), so the hot path costs a
// branch; only decimal fallbacks are inspected.
func (b Bounds) fits(n Number, scale int32) string {
	if !n.big {
		if fixedDigits > scale {
			return fitsDecimal(n.Decimal(), b.Precision, scale)
		}
		return ""
	}
	return fitsDecimal(n.Decimal(), b.Precision, scale)
}

// fixedDigits is rating.Fixed's number of fraction digits.
const fixedDigits = 9

func fitsDecimal(d decimal.Decimal, precision, scale int32) string {
	if d.IsZero() {
		return ""
	}
	if exp := d.Exponent(); exp < -scale && !d.Equal(d.Truncate(scale)) {
		return fmt.Sprintf("%s has more than %d fraction digits", d, scale)
	}
	if int32(d.NumDigits())+d.Exponent() > precision-scale {
		return fmt.Sprintf("%s has more than %d integer digits", d, precision-scale)
	}
	return ""
}
