// Package rating owns Cascade's catalog and its pricing: products, plans, charges, meters,
// price lists, discounts and currencies, and the pure functions that turn quantities into money.
//
// Rating does no I/O beyond reading a catalog file. Amounts it returns are exact and unrounded
// unless a function says otherwise; rounding to a currency's minor unit happens only at the
// documented points (line totals), through Currency.Round.
package rating

import "github.com/shopspring/decimal"

// ModelKind names a price model. The string values are the ones used in catalog YAML.
type ModelKind string

// The price models. Each is implemented in its own file.
const (
	ModelFlat       ModelKind = "flat"       // one amount per period, whatever the quantity
	ModelPerUnit    ModelKind = "per_unit"   // quantity × unit price
	ModelGraduated  ModelKind = "graduated"  // each unit priced by the tier it falls in; tiers may carry a flat fee
	ModelVolume     ModelKind = "volume"     // every unit priced at the tier the total reaches, plus that tier's flat fee
	ModelPackage    ModelKind = "package"    // free units first, then per started package of N units
	ModelStairstep  ModelKind = "stairstep"  // one amount for the band the total reaches
	ModelPercentage ModelKind = "percentage" // a percentage of transaction amounts, per-transaction min/max, optional graduated tiers
)

// Tier is one band of a tiered model (graduated, volume, stairstep, graduated percentage).
//
// Tiers are ordered; tier i covers quantities in (UpTo[i-1], UpTo[i]], the first starting at 0.
// UpTo is nil on the last tier only, which is unbounded.
type Tier struct {
	UpTo *decimal.Decimal
	// UnitPrice is the price per unit in this tier (for the percentage model: the percentage, 2.5 = 2.5 %).
	UnitPrice decimal.Decimal
	// FlatFee is charged once when usage first enters the tier (graduated), or as the band's
	// amount (volume: added to units × price; stairstep: the whole amount).
	FlatFee decimal.Decimal
}

// PriceSpec is the declarative description of a price, as written in the catalog. Only the
// fields of its Kind are meaningful; Compile checks them.
type PriceSpec struct {
	Kind ModelKind

	Amount    decimal.Decimal // flat: the amount per period
	UnitPrice decimal.Decimal // per_unit; package: price per package
	Tiers     []Tier          // graduated, volume, stairstep; percentage (optional graduated-percentage tiers)

	PackageSize decimal.Decimal // package: units per package (> 0)
	FreeUnits   decimal.Decimal // package: units free before the first package

	Percent decimal.Decimal  // percentage without tiers: 2.5 = 2.5 %
	MinFee  *decimal.Decimal // percentage: per-transaction minimum fee (nil = none)
	MaxFee  *decimal.Decimal // percentage: per-transaction maximum fee (nil = none)
}

// Model is a compiled, immutable price model; safe for concurrent use.
//
// Quantities are period totals of one meter (for the percentage model, transaction amounts).
// Every result is exact and unrounded.
type Model interface {
	Kind() ModelKind
	// Price is the amount for a whole period whose total quantity is q (q ≥ 0).
	Price(q decimal.Decimal) decimal.Decimal
	// Delta is the amount an event of quantity q adds when the period total before it is
	// `before`. For any split of a period's usage into events, the deltas sum exactly to Price of
	// the total (for the percentage model with per-transaction min/max: to the sum over the
	// transactions, since each event is one transaction).
	Delta(before, q decimal.Decimal) decimal.Decimal
	// Explain breaks Price(q) into the parts a person reads on an invoice or a quote: tiers or
	// packages touched, with quantity, unit price and amount. The parts sum exactly to Price(q).
	Explain(q decimal.Decimal) []Part
}

// Part is one explained piece of a price: a tier touched, packages started, a flat fee.
type Part struct {
	Description string          // e.g. "tier 2 (100 < q ≤ 1000)", "3 packages of 100", "flat fee"
	Quantity    decimal.Decimal // units priced in this part (zero for a pure flat fee)
	UnitPrice   decimal.Decimal // price per unit (or per package), zero when not applicable
	Amount      decimal.Decimal // exact, unrounded
}

// SpecError says what is wrong with a PriceSpec, naming the field relative to the price
// (for example "tiers[1].up_to"); the catalog loader prefixes the path of the price in the file.
type SpecError struct {
	Field   string
	Message string
}

func (e *SpecError) Error() string { return e.Field + ": " + e.Message }

// Compile checks a spec and returns its model. Errors are *SpecError (see errors.As).
// Implemented in compile.go.
var _ = Compile
