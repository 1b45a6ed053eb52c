package ledger

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Storage bounds. Quantities are stored as Decimal(38, 12) and amounts as Decimal(38, 18):
// quantities need many integer digits (bytes, tokens) and 12 fraction digits are enough for
// any meter; rated amounts are unrounded products of quantity and unit price and need the
// extra fraction digits, while 20 integer digits still hold any real sum of money.
const (
	// Precision is the number of significant digits of every decimal column.
	Precision = 38
	// QuantityScale is the number of fraction digits a quantity keeps.
	QuantityScale = 12
	// AmountScale is the number of fraction digits an amount keeps.
	AmountScale = 18
)

// The ledger stores times as ClickHouse DateTime('UTC'): whole seconds, 1970-01-01 to 2106-02-07.
// ClickHouse 18.16 has no DateTime64, so sub-second parts are dropped (see TruncateTime).
const maxUnix = 1<<32 - 1

// TruncateTime returns t as the ledger stores it: in UTC, to the second. Stores apply it on
// write, so reads return exactly this value.
func TruncateTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// checkDecimal reports why d does not fit Decimal(Precision, scale) exactly, or "" if it does.
func checkDecimal(d decimal.Decimal, scale int32) string {
	if d.IsZero() {
		return ""
	}
	exp := d.Exponent()
	if exp < -scale && !d.Equal(d.Truncate(scale)) {
		return fmt.Sprintf("%s has more than %d fraction digits", d.String(), scale)
	}
	if int32(d.NumDigits())+exp > Precision-scale {
		return fmt.Sprintf("%s has more than %d integer digits", d.String(), Precision-scale)
	}
	return ""
}

// checkTime reports why t cannot be stored as DateTime, or "" if it can. The zero time is
// refused too: it is almost always a field someone forgot to set.
func checkTime(t time.Time) string {
	if t.IsZero() {
		return "time is not set"
	}
	if s := t.Unix(); s < 0 || s > maxUnix {
		return fmt.Sprintf("%s is outside the storable range %s..%s", t.UTC().Format(time.RFC3339), time.Unix(0, 0).UTC().Format(time.RFC3339), time.Unix(maxUnix, 0).UTC().Format(time.RFC3339))
	}
	return ""
}

// validator collects the first problem found on one record.
type validator struct {
	record, id string
	// key, when set, computes id only on failure: building "source/event_id" for every valid
	// row would cost an allocation per row on the hot path.
	key interface{ Key() string }
	err *RecordError
}

func (v *validator) fail(kind error, field, detail string) {
	if v.err == nil {
		id := v.id
		if v.key != nil {
			id = v.key.Key()
		}
		v.err = &RecordError{Kind: kind, Record: v.record, ID: id, Field: field, Detail: detail}
	}
}

func (v *validator) required(field, value string) {
	if value == "" {
		v.fail(ErrInvalid, field, "is required")
	}
}

func (v *validator) decimal(field string, d decimal.Decimal, scale int32) {
	if msg := checkDecimal(d, scale); msg != "" {
		v.fail(ErrOutOfBounds, field, msg)
	}
}

func (v *validator) time(field string, t time.Time) {
	if msg := checkTime(t); msg != "" {
		v.fail(ErrOutOfBounds, field, msg)
	}
}

func (v *validator) currency(field, c string) {
	if len(c) != 3 || !isUpper(c) {
		v.fail(ErrInvalid, field, fmt.Sprintf("currency %q is not an ISO 4217 code", c))
	}
}

func isUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// result returns the collected error as an error interface (nil when none).
func (v *validator) result() error {
	if v.err == nil {
		return nil
	}
	return v.err
}
