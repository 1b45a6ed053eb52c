package billing

import (
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// maxTrialDays bounds a trial (100 years): a longer one is a typo, and one ending past year 9999
// cannot even be recorded (its event does not encode), which failed the request as a 500.
const maxTrialDays = 36525

// CreateSubscription validates a new subscription and returns its "created" event. Only
// customers subscribe: distributors and resellers pay for their customers' subscriptions through
// the channel (their own invoices are built from the same subscriptions at their buy prices), so
// a subscription of theirs would bill the same service twice. The plan version is the one in
// force at the start, and stays until a plan change (a new catalog version does not move
// existing subscriptions: they keep the price they were sold).
func (s *State) CreateSubscription(c NewSubscription, at time.Time, actor string) ([]ledger.Event, error) {
	fail := func(field string, err error) error {
		return fmt.Errorf("create subscription %s: %s: %w", c.ID, field, err)
	}
	if err := validStateID("subscription: id", c.ID); err != nil {
		return nil, err
	}
	if _, ok := s.subs[c.ID]; ok {
		return nil, fail("id", fmt.Errorf("already exists: %w", ErrConflict))
	}
	acc, ok := s.accounts[c.Account]
	if !ok {
		return nil, fail("account", fmt.Errorf("%q: %w", c.Account, ErrNotFound))
	}
	if acc.Kind != KindCustomer {
		return nil, fail("account", fmt.Errorf("%s is a %s; only customers subscribe: %w", acc.ID, acc.Kind, ErrInvalid))
	}
	start := c.Start.UTC()
	if start.IsZero() {
		start = at.UTC()
	}
	plan, err := s.planAt(c.PlanID, start, acc)
	if err != nil {
		return nil, fail("plan", err)
	}
	seats, err := normSeats(c.Seats)
	if err != nil {
		return nil, fail("seats", err)
	}
	trial := plan.TrialDays
	if c.TrialDays != nil {
		trial = *c.TrialDays
	}
	if trial < 0 || trial > maxTrialDays {
		return nil, fail("trial_days", fmt.Errorf("%d: want 0 to %d: %w", trial, maxTrialDays, ErrInvalid))
	}
	term := c.Term
	if term == "" {
		term = TermNone
	}
	var end time.Time
	switch term {
	case TermNone:
	case TermMonthly, TermAnnual:
		if !c.AutoRenew {
			end = termEnd(start, term)
		}
	default:
		return nil, fail("term", fmt.Errorf("%q: want monthly, annual or none: %w", c.Term, ErrInvalid))
	}
	if c.Coupon != "" {
		if err := s.checkCoupon(c.Coupon, c.PlanID, start); err != nil {
			return nil, fail("coupon", err)
		}
	}
	data := SubscriptionChange{Account: acc.ID, PlanID: plan.ID, PlanVersion: plan.Version,
		BillingPeriod: periodSpecOf(plan.BillingPeriod), Seats: decimalPtr(seats), Coupon: c.Coupon, Start: instantPtr(start),
		TrialEnd: instantPtr(start.AddDate(0, 0, trial)), Term: term, AutoRenew: c.AutoRenew, BillingDay: acc.BillingDay}
	if !end.IsZero() {
		data.End = instantPtr(end)
	}
	ev, err := newStateEvent(SubscriptionAggregate+c.ID, 1, EventCreated, start, at, actor, data)
	if err != nil {
		return nil, fail("event", err)
	}
	return []ledger.Event{ev}, nil
}

// termEnd is when one term from start ends (anniversary arithmetic: 31 Jan + 1 month = 28 Feb).
func termEnd(start time.Time, term Term) time.Time {
	if term == TermAnnual {
		return AddPeriods(start, rating.BillingPeriod{Every: 1, Unit: rating.PeriodYear}, 1)
	}
	return AddPeriods(start, rating.BillingPeriod{Every: 1, Unit: rating.PeriodMonth}, 1)
}

// planAt returns the version of a plan in force at t, checked against the buyer's currency.
func (s *State) planAt(id string, t time.Time, acc *Account) (*rating.Plan, error) {
	if id == "" {
		return nil, fmt.Errorf("required: %w", ErrInvalid)
	}
	if s.cat == nil {
		return nil, fmt.Errorf("%q: the state has no catalog: %w", id, ErrInvalid)
	}
	if _, ok := s.cat.Plan(id); !ok {
		return nil, fmt.Errorf("%q: %w", id, ErrNotFound)
	}
	p, ok := s.cat.PlanAt(id, t)
	if !ok {
		return nil, fmt.Errorf("%q: no version in force at %s: %w", id, t.Format(time.RFC3339), ErrInvalid)
	}
	if p.Currency.Code != acc.Currency {
		return nil, fmt.Errorf("%q is in %s, account %s pays in %s: %w", id, p.Currency.Code, acc.ID, acc.Currency, ErrCurrencyMismatch)
	}
	if err := validBillingPeriod(p.BillingPeriod); err != nil {
		return nil, fmt.Errorf("%q version %d: %w", id, p.Version, err)
	}
	if err := s.sellsProduct(acc, p); err != nil {
		return nil, fmt.Errorf("%q: %w", id, err)
	}
	return p, nil
}

// sellsProduct checks that the plan's product belongs to the vendor at the top of the buyer's
// channel: the revenue split pays that vendor, so a plan of another vendor's product sold
// through this channel would pay the wrong vendor. A catalog vendor without a vendor account
// of its id is not checked (catalogs and accounts name vendors alike in a deployment, but a
// catalog may serve accounts that name their vendor otherwise).
func (s *State) sellsProduct(acc *Account, p *rating.Plan) error {
	prod, ok := s.cat.Product(p.Product)
	if !ok {
		return fmt.Errorf("product %q of the plan is not in the catalog: %w", p.Product, ErrNotFound)
	}
	top := acc
	for depth := 0; top.Parent != "" && depth < maxChainDepth; depth++ {
		parent, ok := s.accounts[top.Parent]
		if !ok {
			return fmt.Errorf("channel of %s: account %s: %w", acc.ID, top.Parent, ErrNotFound)
		}
		top = parent
	}
	if other, ok := s.accounts[prod.Vendor]; !ok || other.Kind != KindVendor {
		return nil
	}
	if top.Kind != KindVendor || top.ID != prod.Vendor {
		return fmt.Errorf("product %s is sold by vendor %s, but %s buys through the channel of %s %s: %w",
			prod.ID, prod.Vendor, acc.ID, top.Kind, top.ID, ErrInvalid)
	}
	return nil
}

// checkCoupon checks a redemption at t: the coupon exists, applies to the plan, and passes the
// catalog's Check with the redemptions made so far. Errors wrap both the rating coupon error
// and ErrInvalid (or ErrNotFound).
func (s *State) checkCoupon(code, planID string, t time.Time) error {
	if s.cat == nil {
		return fmt.Errorf("%q: the state has no catalog: %w", code, ErrInvalid)
	}
	cp, ok := s.cat.Coupon(code)
	if !ok {
		return fmt.Errorf("%q: %w: %w", code, rating.ErrUnknownCoupon, ErrNotFound)
	}
	if !cp.AppliesTo(planID) {
		return fmt.Errorf("%q is for plan %q, not %q: %w: %w", code, cp.Plan, planID, rating.ErrCouponNotApplicable, ErrInvalid)
	}
	if err := cp.Check(t, s.redemptions[code], 0); err != nil {
		return fmt.Errorf("%w: %w", err, ErrInvalid)
	}
	return nil
}
