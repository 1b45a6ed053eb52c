package mediation

import "time"

// Enrichment is what the directory knows about a usage record's subject, as of the event time:
// who is billed, under which plan version and prices, and the billing period the event falls in.
//
// Its strings and slices must be owned by the directory and stay unchanged (the directory's
// in-memory state is rebuilt from ledger events, DESIGN.md), so enriching allocates nothing.
type Enrichment struct {
	Account      string
	Subscription string
	PlanID       string
	PlanVersion  int
	// PricingGroup is the customer group (enterprise) for group pricing and enterprise pools; "" when none.
	PricingGroup string
	// Reseller is the reseller whose customers share a reseller pool; "" when sold direct.
	Reseller string
	// Channel is the sales chain from the vendor down to the customer (ids, vendor first).
	Channel []string
	// PriceList overrides the plan's prices for this buyer ("" for none).
	PriceList string
	// PeriodStart and PeriodEnd bound the billing period [start, end) containing the event time.
	PeriodStart, PeriodEnd time.Time
	// Closed says the period's invoice was already cut: the event is late. It is still accepted
	// and rated into the period's running totals like any other (so the period's deltas keep
	// summing to its re-rated total), counted as late_closed_period, and billing adds the
	// difference as an adjustment on the next invoice; it tells late rows apart by their ingest
	// time (ledger.PeriodUsageQuery.IngestedBefore), so no ledger column records this flag.
	Closed bool
}

// Directory answers enrichment lookups. billing implements it from its in-memory state;
// cmd/cascade wires it; mediationtest has a fake. It must be safe for concurrent use, since
// partitions are handled in parallel.
type Directory interface {
	// Lookup returns the enrichment of subject for meter at the event time at; ok is false
	// when no subscription of subject prices that meter then (the record is rejected with
	// ReasonUnknownSubject).
	Lookup(subject, meter string, at time.Time) (e Enrichment, ok bool)
}
