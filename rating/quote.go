package rating

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// Quote errors, checked with errors.Is (coupon errors are in coupon.go).
var (
	ErrUnknownPlan      = errors.New("unknown plan")
	ErrNoPlanVersion    = errors.New("no plan version in force")
	ErrUnknownMeter     = errors.New("meter not priced by the plan")
	ErrBadQuantity      = errors.New("bad quantity")
	ErrUnknownPriceList = errors.New("unknown price list")
)

// LineKind says what a quote or invoice line is.
type LineKind string

// The line kinds, in the order a quote lists them within their groups.
const (
	LineRecurring  LineKind = "recurring"
	LineOneTime    LineKind = "one_time"
	LineUsage      LineKind = "usage"
	LineDiscount   LineKind = "discount"
	LineCoupon     LineKind = "coupon"
	LineCommitment LineKind = "commitment"
)

// QuoteInput is what a quote prices: one plan for one period.
type QuoteInput struct {
	PlanID string
	// At picks the plan version in force at that instant, and is when a coupon must be valid.
	// Zero: the latest version, and the coupon's validity window is not checked.
	At time.Time
	// Usage maps meter id to the period total. Every meter must be priced by a usage charge of the plan.
	Usage map[string]decimal.Decimal
	// Seats is the quantity for per-seat recurring and one-time charges; zero means 1.
	Seats decimal.Decimal
	// Coupon is a coupon code to apply (optional).
	Coupon string
	// PriceList is a price list id whose entries override the plan's prices (optional).
	PriceList string
	// Pools gives, by meter id, every member of the group for a pooled usage charge; the quote
	// then prices the whole group's line (tiers reached by the group total) and shows each
	// member's share. A meter in Pools must not also be in Usage.
	Pools map[string][]PoolMember
}

// Quote is a priced period: what `cascade price` prints.
type Quote struct {
	PlanID   string
	Version  int
	Currency Currency
	Rounding RoundingMode
	Lines    []QuoteLine
	Total    decimal.Decimal
}

// QuoteLine is one line: a charge, or a discount, coupon or commitment adjustment.
type QuoteLine struct {
	// ChargeID is the charge priced, or the charge a charge-level discount reduces ("" for
	// plan-level lines).
	ChargeID string
	// Ref names the discount id or coupon code of an adjustment line.
	Ref      string
	Kind     LineKind
	Model    ModelKind
	Meter    string
	Quantity decimal.Decimal // billable quantity (after the allowance)
	// Allowance is the free quantity subtracted from the meter total before pricing.
	Allowance decimal.Decimal
	Parts     []Part
	Exact     decimal.Decimal // unrounded
	Amount    decimal.Decimal // Exact rounded once to the currency with the plan's mode
	Shares    []PoolShare     // pooled lines only: each member's part of Amount
}

// Quote prices one period of a plan in the documented order: (1) allowances reduce usage,
// (2) each charge's model gives its exact amount, which is rounded once as the line total,
// (3) charge-level discounts, (4) plan-level discounts, (5) the coupon, (6) the minimum
// commitment true-up, (7) the total. Percentages precede fixed amounts within each step, and
// no step takes the running amount below zero. Every line is rounded exactly once.
func (c *Catalog) Quote(in QuoteInput) (*Quote, error) {
	p, pl, err := c.quoteTarget(in)
	if err != nil {
		return nil, err
	}
	if err := checkQuoteUsage(p, in); err != nil {
		return nil, fmt.Errorf("quote plan %q version %d: %w", p.ID, p.Version, err)
	}
	q := &Quote{PlanID: p.ID, Version: p.Version, Currency: p.Currency, Rounding: p.Rounding}
	for _, ch := range p.Charges {
		line, err := q.chargeLine(p, ch, ChargeModel(p, ch, pl), in)
		if err != nil {
			return nil, fmt.Errorf("quote plan %q charge %q: %w", p.ID, ch.ID, err)
		}
		q.Lines = append(q.Lines, line)
		q.chargeDiscounts(p, ch, line)
	}
	var plan []Discount
	for _, d := range p.Discounts {
		if d.Charge == "" {
			plan = append(plan, d)
		}
	}
	subtotal := q.sum() // plan-level percentages all apply to this, not to each other's result
	for _, d := range orderDiscounts(plan) {
		q.adjust(LineDiscount, d, d.ID, subtotal)
	}
	if in.Coupon != "" {
		cp, err := c.quoteCoupon(p, in)
		if err != nil {
			return nil, err
		}
		q.adjust(LineCoupon, cp.Off, cp.Code, q.sum())
	}
	if sum := q.sum(); sum.LessThan(p.MinimumCommitment) {
		exact := p.MinimumCommitment.Sub(sum)
		q.Lines = append(q.Lines, QuoteLine{Kind: LineCommitment, Ref: "minimum_commitment",
			Exact: exact, Amount: q.Currency.Round(exact, q.Rounding)})
	}
	q.Total = q.sum()
	return q, nil
}

func (c *Catalog) quoteTarget(in QuoteInput) (*Plan, *PriceList, error) {
	if _, ok := c.plans[in.PlanID]; !ok {
		return nil, nil, fmt.Errorf("quote plan %q: %w", in.PlanID, ErrUnknownPlan)
	}
	p, ok := c.Plan(in.PlanID)
	if !in.At.IsZero() {
		p, ok = c.PlanAt(in.PlanID, in.At)
	}
	if !ok {
		return nil, nil, fmt.Errorf("quote plan %q at %s: %w", in.PlanID, in.At.Format(time.RFC3339), ErrNoPlanVersion)
	}
	var pl *PriceList
	if in.PriceList != "" {
		if pl, ok = c.PriceList(in.PriceList); !ok {
			return nil, nil, fmt.Errorf("quote plan %q price list %q: %w", in.PlanID, in.PriceList, ErrUnknownPriceList)
		}
	}
	return p, pl, nil
}

func checkQuoteUsage(p *Plan, in QuoteInput) error {
	metered := map[string]bool{}
	for _, ch := range p.Charges {
		if ch.Kind == ChargeUsage {
			metered[ch.Meter] = true
		}
	}
	for _, m := range ldSortedKeys(in.Usage) {
		if !metered[m] {
			return fmt.Errorf("usage[%s]: %w", m, ErrUnknownMeter)
		}
		if v := in.Usage[m]; v.IsNegative() {
			return fmt.Errorf("usage[%s] = %s: must not be negative: %w", m, v, ErrBadQuantity)
		}
	}
	for _, m := range ldSortedKeys(in.Pools) {
		if !metered[m] {
			return fmt.Errorf("pools[%s]: %w", m, ErrUnknownMeter)
		}
		if _, both := in.Usage[m]; both {
			return fmt.Errorf("meter %s given in both usage and pools: %w", m, ErrBadQuantity)
		}
	}
	if in.Seats.IsNegative() {
		return fmt.Errorf("seats = %s: must not be negative: %w", in.Seats, ErrBadQuantity)
	}
	return nil
}

func (q *Quote) chargeLine(p *Plan, ch *Charge, m Model, in QuoteInput) (QuoteLine, error) {
	line := QuoteLine{ChargeID: ch.ID, Kind: LineKind(ch.Kind), Model: m.Kind(), Meter: ch.Meter}
	switch {
	case ch.Kind != ChargeUsage:
		line.Quantity = decimal.NewFromInt(1)
		if ch.PerSeat && !in.Seats.IsZero() {
			line.Quantity = in.Seats
		}
	case in.Pools[ch.Meter] != nil && ch.Pool != PoolNone:
		res, err := PoolCharge(m, in.Pools[ch.Meter], p.Currency, p.Rounding)
		if err != nil {
			return line, fmt.Errorf("%w: %v", ErrBadQuantity, err)
		}
		line.Quantity, line.Parts, line.Exact, line.Amount, line.Shares = res.Total, res.Parts, res.Exact, res.Amount, res.Shares
		return line, nil
	case in.Pools[ch.Meter] != nil:
		return line, fmt.Errorf("meter %s: pool members given for a charge that is not pooled: %w", ch.Meter, ErrBadQuantity)
	default:
		total := in.Usage[ch.Meter]
		line.Allowance = decimal.Min(total, ch.Allowance)
		line.Quantity = total.Sub(line.Allowance)
	}
	line.Parts = m.Explain(line.Quantity)
	line.Exact = m.Price(line.Quantity)
	line.Amount = q.Currency.Round(line.Exact, q.Rounding)
	return line, nil
}

// chargeDiscounts adds the plan's discounts on one charge: percentages of the charge's exact
// amount, then fixed amounts, never past the charge's rounded amount.
func (q *Quote) chargeDiscounts(p *Plan, ch *Charge, line QuoteLine) {
	var ds []Discount
	for _, d := range p.Discounts {
		if d.Charge == ch.ID {
			ds = append(ds, d)
		}
	}
	remaining := line.Amount
	for _, d := range orderDiscounts(ds) {
		exact, amount := reduction(d, line.Exact, remaining, q.Currency, q.Rounding)
		remaining = remaining.Add(amount)
		q.Lines = append(q.Lines, QuoteLine{ChargeID: ch.ID, Ref: d.ID, Kind: LineDiscount, Exact: exact, Amount: amount})
	}
}

// adjust adds a plan-level discount or the coupon: a percentage of base, never more than the
// running (rounded) total.
func (q *Quote) adjust(kind LineKind, d Discount, ref string, base decimal.Decimal) {
	exact, amount := reduction(d, base, q.sum(), q.Currency, q.Rounding)
	q.Lines = append(q.Lines, QuoteLine{Ref: ref, Kind: kind, Exact: exact, Amount: amount})
}

func (q *Quote) sum() decimal.Decimal {
	s := decimal.Zero
	for _, l := range q.Lines {
		s = s.Add(l.Amount)
	}
	return s
}

func (c *Catalog) quoteCoupon(p *Plan, in QuoteInput) (*Coupon, error) {
	cp, ok := c.Coupon(in.Coupon)
	if !ok {
		return nil, fmt.Errorf("quote plan %q coupon %q: %w", p.ID, in.Coupon, ErrUnknownCoupon)
	}
	if !cp.AppliesTo(p.ID) {
		return nil, fmt.Errorf("quote plan %q coupon %q (for plan %q): %w", p.ID, cp.Code, cp.Plan, ErrCouponNotApplicable)
	}
	if !in.At.IsZero() {
		if err := cp.Check(in.At, 0, 0); err != nil {
			return nil, fmt.Errorf("quote plan %q: %w", p.ID, err)
		}
	}
	return cp, nil
}

func ldSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
