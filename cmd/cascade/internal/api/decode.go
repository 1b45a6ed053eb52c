package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// maxBody bounds a request body: every body of this API is a small command, so a larger one is
// a mistake or an attack, refused before it is read into memory.
const maxBody = 1 << 20

// badRequest is a client error found while reading a request, naming the JSON field (or query
// parameter) at fault.
type badRequest struct {
	status  int
	field   string
	message string
}

func (e *badRequest) Error() string { return e.message }

// invalid builds a 400 naming a field.
func invalid(field, format string, args ...any) error {
	return &badRequest{status: http.StatusBadRequest, field: field, message: field + ": " + fmt.Sprintf(format, args...)}
}

// decode reads a JSON body into v strictly: at most maxBody bytes, unknown fields refused, one
// value only. An empty body decodes as {} when allowEmpty (commands whose fields are all
// optional).
func decode(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	body := http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) && allowEmpty {
		return nil
	}
	if err == nil {
		if dec.More() {
			return &badRequest{status: http.StatusBadRequest, message: "body: one JSON object expected, found more after it"}
		}
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			return &badRequest{status: http.StatusBadRequest, message: "body: one JSON object expected, found more after it"}
		}
		return nil
	}
	var (
		syn   *json.SyntaxError
		typ   *json.UnmarshalTypeError
		large *http.MaxBytesError
	)
	switch {
	case errors.As(err, &large):
		return &badRequest{status: http.StatusRequestEntityTooLarge, message: fmt.Sprintf("body: larger than %d bytes", maxBody)}
	case errors.Is(err, io.EOF):
		return &badRequest{status: http.StatusBadRequest, message: "body: a JSON object is required"}
	case errors.As(err, &syn):
		return &badRequest{status: http.StatusBadRequest, message: fmt.Sprintf("body: invalid JSON at byte %d: %v", syn.Offset, syn)}
	case errors.As(err, &typ):
		if typ.Field == "" {
			return invalid("body", "want a JSON object, got JSON %s", typ.Value)
		}
		return invalid(typ.Field, "want %s, got JSON %s", typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(name, "unknown field")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &badRequest{status: http.StatusBadRequest, message: "body: truncated JSON"}
	}
	// A field's own UnmarshalJSON failed (a decimal or a time): the decoder does not say which.
	return &badRequest{status: http.StatusBadRequest, message: "body: " + err.Error()}
}

// writeFail answers a request error: a badRequest as itself, anything else as billing error.
func (a *API) writeFail(w http.ResponseWriter, r *http.Request, err error) {
	var br *badRequest
	if errors.As(err, &br) {
		code := "invalid"
		if br.status == http.StatusRequestEntityTooLarge {
			code = "too_large"
		}
		writeError(w, br.status, code, br.message, br.field)
		return
	}
	a.writeBillingError(w, r, err)
}

// required refuses an empty string field.
func required(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return invalid(field, "is required")
	}
	return nil
}

// decimalString is a decimal read from JSON as a string ("12.50"). A JSON number is refused, since a
// client that sends numbers has likely been through float64 already. A bad value does not fail
// the decoding (the decoder could not say which field it was): decimalField reports it with
// its field path.
type decimalString struct {
	val decimal.Decimal
	bad string // why the value is not a decimal string
	set bool
}

// UnmarshalJSON records the value; decimalField checks it.
func (d *decimalString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil // null is absent, as for every other optional field
	}
	d.set = true
	var s string
	if len(b) == 0 || b[0] != '"' || json.Unmarshal(b, &s) != nil {
		d.bad = "must be a decimal in a JSON string, like \"12.50\", got " + string(b)
		return nil
	}
	if !plainDecimal(s) {
		d.bad = fmt.Sprintf("%q is not a decimal (digits, an optional sign and point, at most %d digits)", s, maxDigits)
		return nil
	}
	v, err := decimal.NewFromString(s)
	if err != nil {
		d.bad = fmt.Sprintf("%q is not a decimal", s)
		return nil
	}
	d.val = v
	return nil
}

// maxDigits bounds a decimal's digits: the ledger stores 26 integer and 12 fraction digits.
const maxDigits = 38

// plainDecimal accepts [+-]digits[.digits] with at most maxDigits digits. Exponents are refused:
// "1e999999999" is a short string but a gigabyte once printed.
func plainDecimal(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	intPart, frac, dot := strings.Cut(s, ".")
	if intPart == "" || dot && frac == "" || len(intPart)+len(frac) > maxDigits {
		return false
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// decimalField returns a decoded decimalString, or an error naming the field when it is missing
// (and required) or not a decimal string.
func decimalField(field string, d decimalString, need bool) (decimal.Decimal, error) {
	switch {
	case !d.set && need:
		return decimal.Decimal{}, invalid(field, "is required (a decimal string)")
	case !d.set:
		return decimal.Decimal{}, nil
	case d.bad != "":
		return decimal.Decimal{}, invalid(field, "%s", d.bad)
	}
	return d.val, nil
}

// parseTime reads an RFC 3339 instant (a query parameter or a body field); empty is zero.
func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, invalid(field, "%q is not an RFC 3339 time (2026-10-01T00:00:00Z)", v)
	}
	if t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, invalid(field, "%s is outside %s..%s", v, minTime.Format(time.RFC3339), maxTime.Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// The instants a request may name. The ledger stores times up to 2106-02-07 (32-bit seconds),
// and billing reads periods up to a year past the instant it is given (a preview's next
// invoice), so requests stop at 2100: a later time could only fail deep in a ledger read.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// money prints an amount with exactly its currency's minor digits, as documents do ("49.00",
// JPY "3000"); an unknown currency prints the decimal as it is.
func money(d decimal.Decimal, currency string) string {
	cur, err := rating.LookupCurrency(currency)
	if err != nil {
		return d.String()
	}
	return cur.Round(d, rating.RoundHalfUp).StringFixed(cur.MinorUnits)
}

// utc prints an instant as RFC 3339 UTC, or nil for the zero time (JSON null / omitted).
func utc(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}
