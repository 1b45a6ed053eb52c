package rating_test

import (
	"errors"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/rating"
)

func TestCouponCheck(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	limited := &rating.Coupon{Code: "X", ValidFrom: from, ValidTo: to, MaxRedemptions: 10, DurationPeriods: 3}
	open := &rating.Coupon{Code: "OPEN"}
	cases := []struct {
		name     string
		c        *rating.Coupon
		at       time.Time
		redeemed int
		period   int
		want     error // nil: valid
	}{
		{"first instant", limited, from, 0, 0, nil},
		{"before window", limited, from.Add(-time.Second), 0, 0, rating.ErrCouponNotYetValid},
		{"last instant", limited, to.Add(-time.Nanosecond), 9, 2, nil},
		{"window end is exclusive", limited, to, 0, 0, rating.ErrCouponExpired},
		{"redemptions used up", limited, from, 10, 0, rating.ErrCouponExhausted},
		{"last period", limited, from, 0, 2, nil},
		{"duration over", limited, from, 0, 3, rating.ErrCouponEnded},
		{"unbounded coupon far future", open, to.AddDate(50, 0, 0), 1_000_000, 1000, nil},
		{"unbounded coupon far past", open, time.Time{}.Add(time.Hour), 0, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.Check(tc.at, tc.redeemed, tc.period)
			switch {
			case tc.want == nil && err != nil:
				t.Errorf("Check = %v, want valid", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("Check = %v, want %v", err, tc.want)
			}
		})
	}
	if err := open.Check(from, 0, -1); err == nil {
		t.Errorf("negative period index accepted")
	}
}

func TestCouponAppliesTo(t *testing.T) {
	c := catExample(t)
	jp, _ := c.Coupon("JPLAUNCH")
	all, _ := c.Coupon("WELCOME10")
	cases := []struct {
		c    *rating.Coupon
		plan string
		want bool
	}{
		{jp, "compute-jp", true}, {jp, "api-pro", false}, {all, "api-pro", true}, {all, "compute-jp", true},
	}
	for _, tc := range cases {
		if got := tc.c.AppliesTo(tc.plan); got != tc.want {
			t.Errorf("%s.AppliesTo(%s) = %v, want %v", tc.c.Code, tc.plan, got, tc.want)
		}
	}
	if _, ok := c.Coupon("welcome10"); ok {
		t.Errorf("coupon codes must be case-sensitive")
	}
}
