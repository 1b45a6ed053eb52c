package billing

import (
	"time"

	"github.com/cascade-billing/cascade/rating"
)

// UsageSubscription returns the account's subscription that takes usage of meter at the
// instant at: started, not ended, not suspended, and under a plan version (at that instant) with
// a usage charge on the meter. The earliest-created match wins (created event's recording
// time to the second, then the lower id: the same order live and after a replay), so the answer
// is stable across restarts. It is the building block of mediation's enrichment Directory; it
// allocates nothing.
func (s *State) UsageSubscription(account, meter string, at time.Time) (*Subscription, Terms, bool) {
	if s.cat == nil {
		return nil, Terms{}, false
	}
	for _, id := range s.subsOf[account] {
		sub := s.subs[id]
		if !sub.AcceptsUsage(at) {
			continue
		}
		t := sub.TermsAt(at)
		p, ok := s.cat.PlanVersion(t.PlanID, t.PlanVersion)
		if !ok {
			continue
		}
		for _, c := range p.Charges {
			if c.Kind == rating.ChargeUsage && c.Meter == meter {
				return sub, t, true
			}
		}
	}
	return nil, Terms{}, false
}
