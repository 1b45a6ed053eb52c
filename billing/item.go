package billing

import (
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// ItemKind says what a subscription owes at a billing boundary.
type ItemKind string

// The item kinds.
const (
	// ItemRecurring is a recurring charge for a service window, billed in advance. Days <
	// PeriodDays when prorated (a start or plan change mid-period, a trial ending mid-period).
	ItemRecurring ItemKind = "recurring"
	// ItemOneTime is a one-time charge, billed with the subscription's first paid period.
	ItemOneTime ItemKind = "one_time"
	// ItemUsage is every usage charge of the plan over a usage window, in arrears. A period
	// split by an immediate plan change has one usage item per plan segment; each segment is
	// rated from zero under its own plan (tiers and allowances start again).
	ItemUsage ItemKind = "usage"
	// ItemProrationCredit gives back the unused part of a recurring charge already billed in
	// advance (a downgrade, cancel or plan change before the window's end). Priced like
	// ItemRecurring over Days/PeriodDays, with the sign reversed.
	ItemProrationCredit ItemKind = "proration_credit"
	// ItemUsageAdjustment re-rates a usage window already invoiced (late usage for a closed
	// period): the line is the re-rated amount minus Invoiced, per charge.
	ItemUsageAdjustment ItemKind = "usage_adjustment"
)

// Item is one thing one subscription owes at one billing boundary. The subscription side
// (Subscription.Items) decides which items are due; Build prices them. Items carry plan ids,
// not plans, so the invoice stays a function of the catalog version it is built with.
type Item struct {
	Subscription string   `json:"subscription"`
	Kind         ItemKind `json:"kind"`
	PlanID       string   `json:"plan_id"`
	PlanVersion  int      `json:"plan_version"`
	// ChargeID names the charge for recurring, one-time and proration-credit items; empty for
	// usage items (every usage charge of the plan).
	ChargeID string `json:"charge_id,omitempty"`
	// Window is the service window billed: the covered part of the period for recurring and
	// credit items, the usage window for usage items.
	Window Period `json:"window"`
	// Period is the whole billing period Window belongs to.
	Period Period `json:"period"`
	// Days and PeriodDays prorate recurring and credit items: amount × Days ÷ PeriodDays,
	// computed to 18 decimals and rounded once at the line. Days == PeriodDays: no proration.
	Days       int `json:"days,omitempty"`
	PeriodDays int `json:"period_days,omitempty"`
	// Seats multiplies per-seat recurring and one-time charges (zero means 1).
	Seats decimal.Decimal `json:"seats"`
	// PriceList overrides plan prices (the buyer's price list, "" for none).
	PriceList string `json:"price_list,omitempty"`
	// Coupon is the coupon redeemed by the subscription ("" for none) and CouponPeriod the index
	// of the billing period this item belongs to, counted from the redemption (0 = first); the
	// coupon discounts the subscription's lines while CouponPeriod < the coupon's duration.
	Coupon       string    `json:"coupon,omitempty"`
	CouponPeriod int       `json:"coupon_period,omitempty"`
	CouponAt     time.Time `json:"coupon_at,omitempty"` // when it was redeemed
	// Usage maps meter id to the window's aggregated quantity (usage and adjustment items);
	// filled by the cycle from the ledger before Build.
	Usage map[string]decimal.Decimal `json:"usage,omitempty"`
	// Invoiced maps charge id to the (rounded) amount already invoiced for Window (adjustment
	// items), plus what discounts and coupons already took: "discount:<id>" for Window
	// (adjustment items) and "coupon:<code>" for Period (every item with a coupon); filled by the
	// cycle, see build_coupon.go and build_discount_late.go.
	Invoiced map[string]decimal.Decimal `json:"invoiced,omitempty"`
	// Commitment applies the plan's minimum commitment to this usage item (the item closes a
	// whole billing period of the plan). A period split by a plan change applies none.
	Commitment bool `json:"commitment,omitempty"`
	// Pools gives, for a pooled usage charge's meter, every member of the group with its window
	// quantity (member ID = subscription id, this item's included); filled by the cycle. Build
	// prices the group and bills this subscription its share (rating.PoolCharge).
	Pools map[string][]rating.PoolMember `json:"pools,omitempty"`
	// Fees gives, for a percentage charge with a per-transaction minimum or maximum fee, the
	// exact sum of its per-transaction fees over Window (charge id → amount): such a charge is
	// not a function of the period total, so the cycle sums the fee mediation rated for each
	// transaction from its quantity (ledger rated deltas) and Build bills that sum.
	Fees map[string]decimal.Decimal `json:"fees,omitempty"`
}

// PerTransaction reports whether a charge's fee is computed per transaction (a percentage
// with a minimum or maximum fee), so the invoice bills Item.Fees rather than a price of the
// period total.
func PerTransaction(ch *rating.Charge) bool {
	return ch.Spec.Kind == rating.ModelPercentage && (ch.Spec.MinFee != nil || ch.Spec.MaxFee != nil)
}
