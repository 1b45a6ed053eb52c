package ledger

import (
	"time"

	"github.com/shopspring/decimal"
)

// Attribute is one dimension of a usage event (region, model, sku...). Attributes are a slice,
// not a map, so a record's bytes and a replay's bytes are the same (ClickHouse 18.16 has no
// Map type either: they are stored as two parallel arrays).
type Attribute struct {
	Key   string
	Value string
}

// Usage is one accepted usage event, enriched by mediation. Its identity is (Source, EventID):
// the ledger keeps exactly one quantity per identity, however often it is written. Replays must
// write the same values (mediation is deterministic), which is what lets reads collapse them.
type Usage struct {
	Source   string // who sent it: a vendor connector or topic name
	EventID  string // unique within Source
	Subject  string // the vendor's subject (customer key, device id...) before enrichment
	Meter    string
	Quantity decimal.Decimal // Decimal(38, 12)
	// EventTime decides the billing period; IngestTime is when Cascade accepted it.
	EventTime  time.Time
	IngestTime time.Time
	Attributes []Attribute
	// Enrichment: who pays, under which subscription and plan version.
	Account      string
	Subscription string
	PlanVersion  string
	PricingGroup string   // empty when no pooled pricing applies
	Chain        []string // channel chain from vendor down to the customer, e.g. [vendor:V, distributor:D, reseller:R]
	// Rated are the rated deltas the event adds to its charges, stored in the same row: one
	// row per record instead of two halves what the ledger writes and merges on the hot path
	// (docs/ledger.md). Each is the RatedDelta Delta(i) returns; readers (RatedTotals,
	// ScanRated) see them exactly like deltas written through WriteRated.
	Rated []Rating
}

// RatingVersion is the version of a rated delta carried by its usage row (Usage.Rated). A
// re-rating is written through WriteRated with the same id and a higher version, and wins.
const RatingVersion = 1

// Rating is a rated delta carried by its usage row: only what differs from the row. Its
// source, event id, account, pricing group, subscription, plan version, meter and event time
// are the row's, and its version is RatingVersion.
type Rating struct {
	ID       string // as RatedDelta.ID: deterministic, unique across all deltas
	Charge   string
	Quantity decimal.Decimal // Decimal(38, 12)
	Amount   decimal.Decimal // Decimal(38, 18), unrounded
	Currency string
}

// Delta returns the i-th rating of u as the rated delta it stands for.
func (u *Usage) Delta(i int) RatedDelta {
	r := &u.Rated[i]
	return RatedDelta{ID: r.ID, Version: RatingVersion, Source: u.Source, EventID: u.EventID, Account: u.Account,
		PricingGroup: u.PricingGroup, Subscription: u.Subscription, PlanVersion: u.PlanVersion, Charge: r.Charge,
		Meter: u.Meter, EventTime: u.EventTime, Quantity: r.Quantity, Amount: r.Amount, Currency: r.Currency}
}

// Key returns the identity used in errors: "source/event_id".
func (u *Usage) Key() string { return u.Source + "/" + u.EventID }

// Validate checks identity, required fields and storage bounds; the error names the record
// and field.
func (u *Usage) Validate() error {
	v := validator{record: "usage", key: u}
	v.required("source", u.Source)
	v.required("event_id", u.EventID)
	v.required("meter", u.Meter)
	v.required("account", u.Account)
	v.decimal("quantity", u.Quantity, QuantityScale)
	v.time("event_time", u.EventTime)
	v.time("ingest_time", u.IngestTime)
	for i, a := range u.Attributes {
		if a.Key == "" {
			v.fail(ErrInvalid, "attributes["+itoa(i)+"].key", "is required")
		}
	}
	for i := range u.Rated {
		r := &u.Rated[i]
		if r.ID != "" && r.Charge != "" && checkDecimal(r.Quantity, QuantityScale) == "" &&
			checkDecimal(r.Amount, AmountScale) == "" && len(r.Currency) == 3 && isUpper(r.Currency) {
			continue // valid: no field names built on the hot path
		}
		f := "rated[" + itoa(i) + "]."
		v.required(f+"id", r.ID)
		v.required(f+"charge", r.Charge)
		v.decimal(f+"quantity", r.Quantity, QuantityScale)
		v.decimal(f+"amount", r.Amount, AmountScale)
		v.currency(f+"currency", r.Currency)
	}
	return v.result()
}

// RatedDelta is the money one usage event adds to a charge's running total: the difference
// rating made to the period's amount, unrounded. Summed over a period it equals the invoice's
// usage amount for that charge (invariant 2). ID is deterministic (e.g. DeterministicID of
// source, event id and charge); Version orders re-ratings of the same event, latest wins.
type RatedDelta struct {
	ID           string
	Source       string
	EventID      string
	Account      string
	PricingGroup string
	Subscription string
	PlanVersion  string
	Charge       string
	Meter        string
	EventTime    time.Time
	Quantity     decimal.Decimal // Decimal(38, 12)
	Amount       decimal.Decimal // Decimal(38, 18), unrounded
	Currency     string
	Version      uint64
}

// Validate checks identity, required fields and storage bounds.
func (r *RatedDelta) Validate() error {
	v := validator{record: "rated", id: r.ID}
	v.required("id", r.ID)
	v.required("account", r.Account)
	v.required("charge", r.Charge)
	v.decimal("quantity", r.Quantity, QuantityScale)
	v.decimal("amount", r.Amount, AmountScale)
	v.currency("currency", r.Currency)
	v.time("event_time", r.EventTime)
	return v.result()
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}
