package rating

import (
	"errors"
	"fmt"
	"time"
)

// Coupon errors, checked with errors.Is. Check wraps them with the coupon code and the detail.
var (
	ErrUnknownCoupon       = errors.New("unknown coupon")
	ErrCouponNotApplicable = errors.New("coupon does not apply to this plan")
	ErrCouponNotYetValid   = errors.New("coupon not yet valid")
	ErrCouponExpired       = errors.New("coupon expired")
	ErrCouponExhausted     = errors.New("coupon fully redeemed")
	ErrCouponEnded         = errors.New("coupon duration over")
)

// Coupon is a redeemable discount code. The catalog only declares it; counting redemptions is
// billing's state, which is why Check takes the count as an argument.
type Coupon struct {
	Code string
	// Plan restricts the coupon to one plan id (every version); empty: any plan.
	Plan string
	// Off is the discount the coupon grants (percentage or fixed amount, on the running total).
	Off Discount
	// ValidFrom/ValidTo bound when the coupon may be redeemed (from inclusive, to exclusive;
	// zero: unbounded on that side).
	ValidFrom time.Time
	ValidTo   time.Time
	// MaxRedemptions caps how many subscriptions may redeem it (0: unlimited).
	MaxRedemptions int
	// DurationPeriods is how many billing periods a redemption keeps discounting (0: forever).
	DurationPeriods int
}

// Check says whether the coupon may discount the period with index periodIndex (0 = the first
// period after redemption) of a redemption made at `at`, given redeemedSoFar earlier redemptions
// by others. It is pure: the caller owns the redemption count. For a redemption already made,
// pass the redemption instant and the count before it.
func (c *Coupon) Check(at time.Time, redeemedSoFar, periodIndex int) error {
	switch {
	case !c.ValidFrom.IsZero() && at.Before(c.ValidFrom):
		return fmt.Errorf("coupon %q at %s (valid from %s): %w", c.Code, at.Format(time.RFC3339), c.ValidFrom.Format(time.RFC3339), ErrCouponNotYetValid)
	case !c.ValidTo.IsZero() && !at.Before(c.ValidTo):
		return fmt.Errorf("coupon %q at %s (valid to %s): %w", c.Code, at.Format(time.RFC3339), c.ValidTo.Format(time.RFC3339), ErrCouponExpired)
	case c.MaxRedemptions > 0 && redeemedSoFar >= c.MaxRedemptions:
		return fmt.Errorf("coupon %q redeemed %d of %d times: %w", c.Code, redeemedSoFar, c.MaxRedemptions, ErrCouponExhausted)
	case periodIndex < 0:
		return fmt.Errorf("coupon %q: period index %d is negative", c.Code, periodIndex)
	case c.DurationPeriods > 0 && periodIndex >= c.DurationPeriods:
		return fmt.Errorf("coupon %q period %d of %d: %w", c.Code, periodIndex, c.DurationPeriods, ErrCouponEnded)
	}
	return nil
}

// AppliesTo reports whether the coupon may be used on a plan id.
func (c *Coupon) AppliesTo(planID string) bool { return c.Plan == "" || c.Plan == planID }
