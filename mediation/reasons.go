package mediation

import "fmt"

// Reason codes of rejected records. They are stable: dashboards, alerts and replays of the
// dead-letter topic key on them, so a code is never renamed or reused.
const (
	ReasonDecode         = "decode"          // not a JSON object, or a field of the wrong JSON type
	ReasonMissingField   = "missing_field"   // a required CloudEvents attribute or data.quantity is absent or empty
	ReasonBadSpecVersion = "bad_specversion" // specversion is not "1.0"
	ReasonBadTime        = "bad_time"        // time is not RFC 3339
	ReasonBadQuantity    = "bad_quantity"    // quantity not a finite decimal, or negative for a meter without credits
	ReasonUnknownMeter   = "unknown_meter"   // type names no meter of the catalog
	ReasonTooOld         = "too_old"         // time is before now − the late window
	ReasonInFuture       = "in_future"       // time is after now + the clock skew allowance
	ReasonUnknownSubject = "unknown_subject" // the directory knows no subscription for subject and meter at time
	ReasonNegativeTotal  = "negative_total"  // a credit would take a period's running total below zero
	ReasonUnknownPlan    = "unknown_plan"    // the directory named a plan version the catalog does not have
	ReasonOutOfBounds    = "out_of_bounds"   // the quantity, or an amount rated from it, has more digits than the ledger stores
	// The HTTP connector's codes (mediation/connector answers them at the edge; they are listed
	// here so every code a dashboard can see is in Reasons and has a counter series).
	ReasonForeignMeter  = "foreign_meter"  // the meter is not priced by any product of the authenticated vendor
	ReasonForeignSource = "foreign_source" // source is neither the vendor id nor "<vendor id>/..."
)

// reasons lists every reason code, in a fixed order: counters are indexed by it.
var reasons = [...]string{ReasonDecode, ReasonMissingField, ReasonBadSpecVersion, ReasonBadTime,
	ReasonBadQuantity, ReasonUnknownMeter, ReasonTooOld, ReasonInFuture, ReasonUnknownSubject,
	ReasonNegativeTotal, ReasonUnknownPlan, ReasonOutOfBounds, ReasonForeignMeter, ReasonForeignSource}

// Reasons returns every reason code, in a fixed order.
func Reasons() []string { return append([]string(nil), reasons[:]...) }

func reasonIndex(code string) int {
	for i, r := range reasons {
		if r == code {
			return i
		}
	}
	return 0
}

// RecordError is why a stage refused one record. Reason is a reason code; Field is the
// CloudEvents field path ("data.quantity"); ID is the record id when it was decoded.
type RecordError struct {
	Reason string
	Field  string
	ID     string
	Detail string
}

// Error formats the reason code, the record id when known, the field path and the detail, so a
// dead letter's detail alone says what to fix and where.
func (e *RecordError) Error() string {
	if e.ID == "" {
		return fmt.Sprintf("%s: %s: %s", e.Reason, e.Field, e.Detail)
	}
	return fmt.Sprintf("%s: record %q: %s: %s", e.Reason, e.ID, e.Field, e.Detail)
}
