package billing

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// maxTrialDays bounds a trial (100 years): a longer one is a typo, and one ending past year 9999
// cannot even be recorded (its event does not encode), which failed the request as a 500.
const maxTrialDays = 36525

// DefaultMaxBackdate is Config.MaxBackdate's default: a year and a day, so a customer migrated
// from another system keeps its current annual term, while a start in 1970 (a typo, or a zero
// date from the other system) is refused instead of billing hundreds of periods at once.
const DefaultMaxBackdate = 366 * 24 * time.Hour

// maxAheadYears bounds how far after now a start or an effective date may be: a contract
// starting (or a change taking effect) more than ten years out is a typo, and with a trial and
// terms on top such a date drifts toward the ledger's last storable second (a 500 before).
const maxAheadYears = 10

// The ledger stores an event's instant as ClickHouse DateTime: 1970-01-01 to 2106-02-07 (its
// bounds.go). A command's date outside is refused here, naming the field, rather than by the
// ledger's check on a field the caller never sent ("at").
const lastStorableUnix = 1<<32 - 1

// UseMaxBackdate sets how far before now commands may date a subscription's start or change
// (Config.MaxBackdate; 0 is DefaultMaxBackdate). Apply never checks it: a subscription loaded
// from history stays valid however old it is.
func (s *State) UseMaxBackdate(d time.Duration) { s.maxBackdate = d }

// checkDate bounds a date a command was given (a start, an effective date) to at − the max
// backdate … at + maxAheadYears, within the ledger's range, as an ErrInvalid naming field.
// past, when not nil, says what the backdating would do (appended to the message).
func (s *State) checkDate(field string, t, at time.Time, past func() string) error {
	limit := s.maxBackdate
	if limit <= 0 {
		limit = DefaultMaxBackdate
	}
	if t.Before(at.Add(-limit)) {
		most := thousands(int64(limit/(24*time.Hour))) + " days"
		if limit%(24*time.Hour) != 0 {
			most = limit.String()
		}
		msg := fmt.Sprintf("%s: %s is %s days before now; at most %s of backdating (billing.max_backdate)",
			field, fmtDate(t), thousands(daysBetween(t, at)), most)
		if past != nil {
			if why := past(); why != "" {
				msg += " — " + why
			}
		}
		return fmt.Errorf("%s: %w", msg, ErrInvalid)
	}
	switch {
	case t.After(at.AddDate(maxAheadYears, 0, 0)):
		return fmt.Errorf("%s: %s is more than %d years after now: %w", field, fmtDate(t), maxAheadYears, ErrInvalid)
	case t.Unix() < 0 || t.Unix() > lastStorableUnix:
		return fmt.Errorf("%s: %s is outside the dates the ledger stores (1970-01-01 to %s): %w", field, fmtDate(t),
			fmtInstant(time.Unix(lastStorableUnix, 0)), ErrInvalid)
	}
	return nil
}

// pastPeriods counts the grid's boundaries in (start, at]: the periods a cycle at at would bill
// at once. Plans billed by the day are counted from the elapsed seconds (grid.index estimates
// days from a time.Duration, which saturates after 292 years).
func pastPeriods(g grid, at time.Time) int64 {
	if at.Before(g.Anchor) {
		return 0
	}
	var n int64
	if g.Every.Unit == rating.PeriodDay {
		n = daysBetween(g.Anchor, at)/int64(g.Every.Every) + 1
	} else {
		n = int64(g.index(at)) + 1
	}
	if g.Anchor.Equal(g.From) {
		n-- // the start itself is not a boundary
	}
	return n
}

// daysBetween is whole days from a to b, from Unix seconds (no time.Duration overflow).
func daysBetween(a, b time.Time) int64 { return (b.Unix() - a.Unix()) / 86400 }

// fmtDate prints a date alone when it is midnight UTC, else the RFC 3339 instant.
func fmtDate(t time.Time) string {
	if t = t.UTC(); t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format(time.DateOnly)
	}
	return fmtInstant(t)
}

// thousands prints n with comma separators (20,759): finance reads day counts that way.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// CreateSubscription validates a new subscription and returns its "created" event. Only
// customers subscribe: distributors and resellers pay for their customers' subscriptions through
// the channel (their own invoices are built from the same subscriptions at their buy prices), so
// a subscription of theirs would bill the same service twice. The plan version is the one in
// force at the start, and stays until a plan change (a new catalog version does not move
// existing subscriptions: they keep the price they were sold).
func (s *State) CreateSubscription(c NewSubscription, at time.Time, actor string) ([]ledger.Event, error) {
	fail := func(field string, err error) error {
		if field == "" { // err names its field
			return fmt.Errorf("create subscription %s: %w", c.ID, err)
		}
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
		if derr := s.checkDate("start", start, at, nil); derr != nil {
			return nil, fail("", derr) // a 1970 start has no plan version either: name the start
		}
		return nil, fail("plan", err)
	}
	err = s.checkDate("start", start, at, func() string {
		switch n := pastPeriods(newGrid(start, plan.BillingPeriod, acc.BillingDay), at); n {
		case 0:
			return ""
		case 1:
			return "it would bill a past period at once"
		default:
			return fmt.Sprintf("it would bill %s past periods at once", thousands(n))
		}
	})
	if err != nil {
		return nil, fail("", err)
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
