package rating

import (
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// Catalog is a loaded, validated, immutable catalog: who sells what, how it is metered and how
// it is priced. It is built only by Load/LoadFile, so every reference in it resolves; it is safe
// for concurrent use because nothing mutates it after loading.
type Catalog struct {
	Vendors    []Vendor
	Products   []Product
	Meters     []Meter
	Plans      []*Plan // in file order; several versions of one plan id may appear
	PriceLists []*PriceList
	Coupons    []*Coupon

	vendors    map[string]*Vendor
	products   map[string]*Product
	meters     map[string]*Meter
	plans      map[string][]*Plan // versions sorted by Version ascending
	priceLists map[string]*PriceList
	coupons    map[string]*Coupon
}

// Vendor owns products; revenue splits start from it (billing's concern).
type Vendor struct {
	ID   string
	Name string
}

// Product is something a vendor sells; plans price it.
type Product struct {
	ID          string
	Vendor      string
	Name        string
	Description string
}

// Aggregation says how a meter folds a period's events into one quantity. Mediation and the
// ledger apply it; the catalog only declares it so every consumer agrees.
type Aggregation string

// The aggregations a meter may declare.
const (
	AggSum         Aggregation = "sum"          // sum of event quantities
	AggCount       Aggregation = "count"        // number of events
	AggMax         Aggregation = "max"          // largest event quantity in the period
	AggUniqueCount Aggregation = "unique_count" // distinct values of Meter.Attribute
	AggLatest      Aggregation = "latest"       // quantity of the last event in the period
)

// Meter is a named, unit-bearing usage stream that usage charges price.
type Meter struct {
	ID          string
	Name        string
	Unit        string
	Aggregation Aggregation
	// Attribute is the event attribute counted by unique_count (empty otherwise).
	Attribute string
	// AllowCredits lets usage records carry negative quantities (refunds, corrections);
	// mediation rejects them otherwise, since a negative quantity is usually a producer bug.
	AllowCredits bool
	// Multiply and Divide convert a record's quantity into the meter's unit
	// (quantity × Multiply ÷ Divide, bytes → GB is divide: 1000000000). Both default to 1;
	// zero means 1, so a Meter built by hand without them converts nothing.
	Multiply, Divide decimal.Decimal
	// Rename maps a record attribute name to the name the meter stores it under.
	Rename map[string]string
	// KeepAttributes, when not empty, is the only attributes kept (names after Rename);
	// DropAttributes are removed. At most one of the two is set.
	KeepAttributes, DropAttributes []string
}

// PeriodUnit is the calendar unit of a billing period.
type PeriodUnit string

// The billing period units.
const (
	PeriodDay   PeriodUnit = "day"
	PeriodMonth PeriodUnit = "month"
	PeriodYear  PeriodUnit = "year"
)

// BillingPeriod is "every N units" (every 1 month, every 3 months, every 1 year).
type BillingPeriod struct {
	Every int
	Unit  PeriodUnit
}

// Plan is one version of a priced offer for a product. Versions of one plan id have
// non-overlapping effective windows, so PlanAt is unambiguous.
type Plan struct {
	ID            string
	Version       int
	Product       string
	Name          string
	Currency      Currency
	BillingPeriod BillingPeriod
	TrialDays     int
	Rounding      RoundingMode
	// EffectiveFrom is the first instant the version is in force (zero: since ever).
	EffectiveFrom time.Time
	// EffectiveTo is the first instant it is no longer in force (zero: open-ended).
	EffectiveTo time.Time
	// MinimumCommitment is the least a period costs; a shortfall becomes a true-up line (zero: none).
	MinimumCommitment decimal.Decimal
	// Discounts apply to one charge (Discount.Charge set) or to the whole plan.
	Discounts []Discount
	Charges   []*Charge

	charges map[string]*Charge
}

// Charge returns the plan's charge with that id.
func (p *Plan) Charge(id string) (*Charge, bool) {
	c, ok := p.charges[id]
	return c, ok
}

// InForce reports whether the version's effective window contains at (from inclusive, to exclusive).
func (p *Plan) InForce(at time.Time) bool {
	if !p.EffectiveFrom.IsZero() && at.Before(p.EffectiveFrom) {
		return false
	}
	return p.EffectiveTo.IsZero() || at.Before(p.EffectiveTo)
}

// ChargeKind says when a charge is billed.
type ChargeKind string

// The charge kinds.
const (
	ChargeRecurring ChargeKind = "recurring" // every period, in advance
	ChargeOneTime   ChargeKind = "one_time"  // once, with the first period
	ChargeUsage     ChargeKind = "usage"     // every period, in arrears, from a meter's period total
)

// PoolScope names the group whose total usage positions a pooled charge in its tiers.
type PoolScope string

// The pool scopes; empty means not pooled (each subscription's own total).
const (
	PoolNone       PoolScope = ""
	PoolEnterprise PoolScope = "enterprise" // all accounts of one enterprise (customer group)
	PoolReseller   PoolScope = "reseller"   // all customers of one reseller
)

// Charge is one priced line of a plan.
type Charge struct {
	ID   string
	Name string
	Kind ChargeKind
	// Meter is the metered quantity a usage charge prices (usage only).
	Meter string
	// PerSeat makes a recurring or one-time charge price the subscription's seat count
	// instead of a quantity of one.
	PerSeat bool
	// Allowance is free usage per period, subtracted from the meter total before pricing (usage only).
	Allowance decimal.Decimal
	// Pool makes the group's total, not the subscription's, reach the tiers (usage only).
	Pool PoolScope
	// Spec is the price as declared; Model is it compiled.
	Spec  PriceSpec
	Model Model
}

// Plan returns the latest version of a plan (highest version number).
func (c *Catalog) Plan(id string) (*Plan, bool) {
	vs := c.plans[id]
	if len(vs) == 0 {
		return nil, false
	}
	return vs[len(vs)-1], true
}

// PlanVersion returns one exact version of a plan.
func (c *Catalog) PlanVersion(id string, version int) (*Plan, bool) {
	vs := c.plans[id]
	i := sort.Search(len(vs), func(i int) bool { return vs[i].Version >= version })
	if i < len(vs) && vs[i].Version == version {
		return vs[i], true
	}
	return nil, false
}

// PlanVersions returns every version of a plan, oldest first.
func (c *Catalog) PlanVersions(id string) []*Plan {
	return append([]*Plan(nil), c.plans[id]...)
}

// PlanAt returns the version of a plan in force at the given instant. Windows never overlap
// (Load rejects that), so at most one version matches.
func (c *Catalog) PlanAt(id string, at time.Time) (*Plan, bool) {
	for _, p := range c.plans[id] {
		if p.InForce(at) {
			return p, true
		}
	}
	return nil, false
}

// Meter returns the meter with that id.
func (c *Catalog) Meter(id string) (*Meter, bool) {
	m, ok := c.meters[id]
	return m, ok
}

// Product returns the product with that id.
func (c *Catalog) Product(id string) (*Product, bool) {
	p, ok := c.products[id]
	return p, ok
}

// Vendor returns the vendor with that id.
func (c *Catalog) Vendor(id string) (*Vendor, bool) {
	v, ok := c.vendors[id]
	return v, ok
}

// Coupon returns the coupon with that code (codes are case-sensitive).
func (c *Catalog) Coupon(code string) (*Coupon, bool) {
	cp, ok := c.coupons[code]
	return cp, ok
}
