package main

import (
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/rating"
)

// demoDirectory is the demo's mediation.Directory: the generated customers, each billed under
// one plan version for the whole month, with calendar-month (UTC) billing periods. Billing
// owns the directory once it lands (issue 5); until then the binary states its customers here.
// It is built once and only read afterwards, so it is safe for concurrent use without locks.
type demoDirectory struct {
	subs map[string]demoSubscription // subject → subscription
}

// demoSubscription is one subject's enrichment and the meters its plan prices.
type demoSubscription struct {
	enrichment mediation.Enrichment
	meters     map[string]bool
}

// newDemoDirectory subscribes every customer (its id is both its subject and its account) to
// its plan. The reseller is the last link of the chain; no customer is in a pricing group, so
// every customer's account is its ownership scope.
func newDemoDirectory(customers []demoCustomer) *demoDirectory {
	d := &demoDirectory{subs: make(map[string]demoSubscription, len(customers))}
	for _, c := range customers {
		meters := map[string]bool{}
		for _, ch := range c.Plan.Charges {
			if ch.Kind == rating.ChargeUsage && ch.Meter != "" {
				meters[ch.Meter] = true
			}
		}
		d.subs[c.ID] = demoSubscription{
			enrichment: mediation.Enrichment{
				Account:      c.ID,
				Subscription: "sub-" + c.ID,
				PlanID:       c.Plan.ID,
				PlanVersion:  c.Plan.Version,
				Reseller:     c.Chain[len(c.Chain)-1],
				Channel:      c.Chain,
			},
			meters: meters,
		}
	}
	return d
}

// Lookup implements mediation.Directory: ok is false for an unknown subject or a meter its plan
// does not price, so such records are rejected as unknown_subject.
func (d *demoDirectory) Lookup(subject, meter string, at time.Time) (mediation.Enrichment, bool) {
	s, ok := d.subs[subject]
	if !ok || !s.meters[meter] {
		return mediation.Enrichment{}, false
	}
	e := s.enrichment
	at = at.UTC()
	e.PeriodStart = time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	e.PeriodEnd = e.PeriodStart.AddDate(0, 1, 0)
	return e, true
}
