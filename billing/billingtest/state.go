// Package billingtest holds fixtures for billing's tests: a small catalog with one plan per
// calendar shape, and helpers that run commands against a State the way the Service does
// (validate, then apply), failing the test on error.
package billingtest

import (
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// CatalogYAML is the fixtures' catalog. Every plan is EUR and monthly unless its name says
// otherwise; "basic" has a flat fee, a per-seat fee, a one-time setup fee and a usage charge so
// one subscription exercises every item kind.
const CatalogYAML = `
vendors: [{id: v1, name: Vendor One}]
products: [{id: p1, vendor: v1, name: Product One}]
meters:
  - {id: calls, name: Calls, unit: call, aggregation: sum}
plans:
  - id: basic
    version: 1
    product: p1
    name: Basic
    currency: EUR
    billing_period: month
    minimum_commitment: 20
    charges:
      - {id: base, type: recurring, model: flat, amount: 31}
      - {id: seat, type: recurring, per_seat: true, model: per_unit, unit_price: 10}
      - {id: setup, type: one_time, model: flat, amount: 100}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 0.01}
  - id: pro
    version: 1
    product: p1
    name: Pro
    currency: EUR
    billing_period: month
    effective_to: 2026-06-01
    charges:
      - {id: base, type: recurring, model: flat, amount: 62}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 0.005}
  - id: pro
    version: 2
    product: p1
    name: Pro
    currency: EUR
    billing_period: month
    effective_from: 2026-06-01
    charges:
      - {id: base, type: recurring, model: flat, amount: 70}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 0.005}
  - id: trial
    version: 1
    product: p1
    name: With trial
    currency: EUR
    billing_period: month
    trial_days: 14
    charges:
      - {id: base, type: recurring, model: flat, amount: 31}
      - {id: setup, type: one_time, model: flat, amount: 50}
      - {id: calls, type: usage, meter: calls, model: per_unit, unit_price: 0.01}
  - id: yen
    version: 1
    product: p1
    name: Yen
    currency: JPY
    billing_period: month
    charges:
      - {id: base, type: recurring, model: flat, amount: 3000}
  - id: annual
    version: 1
    product: p1
    name: Annual
    currency: EUR
    billing_period: year
    charges:
      - {id: base, type: recurring, model: flat, amount: 365}
  - id: quarterly
    version: 1
    product: p1
    name: Quarterly
    currency: EUR
    billing_period: {every: 3, unit: month}
    charges:
      - {id: base, type: recurring, model: flat, amount: 90}
  - id: daily
    version: 1
    product: p1
    name: Daily
    currency: EUR
    billing_period: day
    charges:
      - {id: base, type: recurring, model: flat, amount: 1}
price_lists:
  - id: vip
    name: VIP buyers
    group: vip
    entries:
      - {plan: basic, charge: base, model: flat, amount: 25}
coupons:
  - {code: HALF, percent: 50, duration_periods: 3, max_redemptions: 1}
  - {code: BASICONLY, plan: basic, percent: 10}
  - {code: OLD, percent: 10, valid_to: 2026-01-01}
`

// Catalog loads CatalogYAML.
func Catalog(tb testing.TB) *rating.Catalog {
	tb.Helper()
	cat, err := rating.Load("billingtest", []byte(CatalogYAML))
	if err != nil {
		tb.Fatalf("load fixture catalog: %v", err)
	}
	return cat
}

// Apply applies events as the Service does after writing them.
func Apply(tb testing.TB, st *billing.State, evs []ledger.Event) {
	tb.Helper()
	for _, ev := range evs {
		if err := st.Apply(ev); err != nil {
			tb.Fatalf("apply %s: %v", ev.Key(), err)
		}
	}
}

// Log is a State that records every event it applied, so a test can replay them.
type Log struct {
	*billing.State
	Events []ledger.Event
	tb     testing.TB
}

// NewLog returns an empty recording state over cat; commands that fail fail tb.
func NewLog(tb testing.TB, cat *rating.Catalog) *Log {
	return &Log{State: billing.NewState(cat), tb: tb}
}

// Must applies and records the events of a command that must succeed:
// l.Must(l.CreateAccount(a, at, "test")).
func (l *Log) Must(evs []ledger.Event, err error) []ledger.Event {
	l.tb.Helper()
	if err != nil {
		l.tb.Fatalf("command: %v", err)
	}
	Apply(l.tb, l.State, evs)
	l.Events = append(l.Events, evs...)
	return evs
}

// Channel creates vendor V, distributor D, reseller R and customers C (under R, anniversary
// billing) and K (under R, billing day 1), all in EUR.
func (l *Log) Channel(at time.Time) {
	l.tb.Helper()
	for _, a := range []billing.Account{
		{ID: "V", Kind: billing.KindVendor, Name: "Vendor", Currency: "EUR", TaxJurisdiction: "DE"},
		{ID: "D", Kind: billing.KindDistributor, Parent: "V", Name: "Dist", Currency: "EUR", TaxJurisdiction: "DE"},
		{ID: "R", Kind: billing.KindReseller, Parent: "D", Name: "Reseller", Currency: "EUR", TaxJurisdiction: "FR"},
		{ID: "C", Kind: billing.KindCustomer, Parent: "R", Name: "Customer", Currency: "EUR", TaxJurisdiction: "FR", PaymentTermsDays: 30},
		{ID: "K", Kind: billing.KindCustomer, Parent: "R", Name: "Calendar", Currency: "EUR", TaxJurisdiction: "FR", BillingDay: 1},
	} {
		l.Must(l.CreateAccount(a, at, "test"))
	}
}

// Day returns 00:00 UTC of a date.
func Day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
