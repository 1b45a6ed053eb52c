package billing_test

import (
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
)

func TestUsageSubscription(t *testing.T) {
	day := billingtest.Day
	l := stWorld(t)
	l.Must(l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "annual", Timing: billing.TimingPeriodEnd}, day(2026, 3, 20), "t"))
	l.Must(l.Suspend("T1", day(2026, 3, 20), day(2026, 3, 20), "dunning"))
	tests := []struct {
		name, account, meter string
		at                   time.Time
		want                 string // "" for none
	}{
		{"a running subscription pricing the meter", "C", "calls", day(2026, 3, 15), "S1"},
		{"before the start", "C", "calls", day(2026, 3, 9), ""},
		{"a meter the plan does not price", "C", "storage", day(2026, 3, 15), ""},
		{"after a change to a plan without the meter", "C", "calls", day(2026, 4, 10), ""},
		{"usage during a trial is taken", "K", "calls", day(2026, 3, 12), "T1"},
		{"suspended", "K", "calls", day(2026, 3, 21), ""},
		{"unknown account", "nobody", "calls", day(2026, 3, 15), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, terms, ok := l.UsageSubscription(tt.account, tt.meter, tt.at)
			got := ""
			if ok {
				got = sub.ID
				if terms != sub.TermsAt(tt.at) {
					t.Errorf("terms %+v, want those in force %+v", terms, sub.TermsAt(tt.at))
				}
			}
			if got != tt.want {
				t.Fatalf("UsageSubscription(%s, %s, %s) = %q, want %q", tt.account, tt.meter, tt.at, got, tt.want)
			}
		})
	}
}
