package rating

// Pricing semantics shared by every model (see also docs/catalog.md).
//
// Tier bounds. Tiers are ordered; tier i covers quantities in (UpTo[i-1], UpTo[i]] — the lower
// bound exclusive, the upper inclusive — and the first tier starts at 0. Only the last tier is
// unbounded (UpTo == nil). A quantity of exactly 100 with a first tier "up_to: 100" lies wholly in
// tier 1. A tier is entered when the total quantity exceeds its lower bound, so a quantity of 0
// enters no tier, and every model except flat prices q = 0 at 0.
//
// The delta contract. Running charges are rated one event at a time: Delta(before, q) is what an
// event of quantity q adds when `before` was already used in the period. For every model except
// percentage with a min/max fee, Delta(before, q) == Price(before+q) − Price(before) exactly, so
// the deltas of any split of a period's usage sum exactly to the price of its total (invariant 2:
// running charges agree with invoices). Flat is the documented variant: its deltas are all zero
// and Price(0) + Σ deltas == Price(total), because the period amount is billed by the period, not
// by usage. Percentage with min/max clamps each transaction, so Σ deltas == Σ per-transaction fees.
//
// Quantities are meant to be ≥ 0. Price of a negative quantity is 0 (no tier is entered), and a
// Delta with a negative q is the reversal Price(before+q) − Price(before), so a correction event
// undoes exactly what the original added; percentage treats an amount ≤ 0 as no transaction.
//
// All results are exact and unrounded; rounding to a currency's minor unit happens at line totals
// through Currency.Round. The hot path (FastModel, Fixed) computes the same numbers in scaled
// int64 arithmetic and reports ok=false whenever it could not do so exactly.

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Compile checks spec and returns its immutable model. Every error is a *SpecError whose Field is
// relative to the price ("tiers[1].up_to"), so that the catalog loader can prefix the price's
// path in the file. Fields the kind does not use must be left zero: a stray field is usually a
// mistaken kind, and silently ignoring it would bill something other than what was written.
func Compile(spec PriceSpec) (Model, error) {
	if err := checkKind(spec.Kind); err != nil {
		return nil, err
	}
	if err := checkUnused(spec); err != nil {
		return nil, err
	}
	switch spec.Kind {
	case ModelFlat:
		return compileFlat(spec)
	case ModelPerUnit:
		return compilePerUnit(spec)
	case ModelGraduated:
		return compileGraduated(spec)
	case ModelVolume:
		return compileVolume(spec)
	case ModelPackage:
		return compilePackage(spec)
	case ModelStairstep:
		return compileStairstep(spec)
	default: // ModelPercentage; checkKind rejected everything else.
		return compilePercentage(spec)
	}
}

// allKinds lists the models in the order error messages name them.
func allKinds() []ModelKind {
	return []ModelKind{ModelFlat, ModelPerUnit, ModelGraduated, ModelVolume, ModelPackage,
		ModelStairstep, ModelPercentage}
}

func checkKind(k ModelKind) error {
	names := make([]string, 0, 7)
	for _, known := range allKinds() {
		if k == known {
			return nil
		}
		names = append(names, string(known))
	}
	if k == "" {
		return &SpecError{Field: "model", Message: "required; want one of " + strings.Join(names, ", ")}
	}
	return &SpecError{Field: "model", Message: fmt.Sprintf("unknown model %q; want one of %s", k, strings.Join(names, ", "))}
}

// specField is one optional field of PriceSpec: its YAML name, the kinds that use it and whether
// it is set.
type specField struct {
	name  string
	set   bool
	kinds []ModelKind
}

func checkUnused(spec PriceSpec) error {
	fields := []specField{
		{"amount", !spec.Amount.IsZero(), []ModelKind{ModelFlat}},
		{"unit_price", !spec.UnitPrice.IsZero(), []ModelKind{ModelPerUnit, ModelPackage}},
		{"tiers", len(spec.Tiers) > 0, []ModelKind{ModelGraduated, ModelVolume, ModelStairstep, ModelPercentage}},
		{"package_size", !spec.PackageSize.IsZero(), []ModelKind{ModelPackage}},
		{"free_units", !spec.FreeUnits.IsZero(), []ModelKind{ModelPackage}},
		{"percent", !spec.Percent.IsZero(), []ModelKind{ModelPercentage}},
		{"min_fee", spec.MinFee != nil, []ModelKind{ModelPercentage}},
		{"max_fee", spec.MaxFee != nil, []ModelKind{ModelPercentage}},
	}
	for _, f := range fields {
		if !f.set {
			continue
		}
		used := false
		for _, k := range f.kinds {
			used = used || k == spec.Kind
		}
		if !used {
			return &SpecError{Field: f.name, Message: fmt.Sprintf("not used by the %s model; remove it or change the model", spec.Kind)}
		}
	}
	return nil
}

// nonNegative rejects a negative money or quantity field. Credits are modelled as discounts,
// never as negative prices, so that tier arithmetic can assume monotone prices.
func nonNegative(field string, d decimal.Decimal) error {
	if d.IsNegative() {
		return &SpecError{Field: field, Message: "must not be negative"}
	}
	return nil
}

// checkTiers validates the tier list of a tiered kind: at least one tier, strictly increasing
// positive bounds, only the last tier unbounded, no negative price or fee.
func checkTiers(tiers []Tier) error {
	if len(tiers) == 0 {
		return &SpecError{Field: "tiers", Message: "at least one tier is required"}
	}
	last := len(tiers) - 1
	prev := decimal.Zero
	for i, t := range tiers {
		field := fmt.Sprintf("tiers[%d]", i)
		switch {
		case t.UpTo == nil && i != last:
			return &SpecError{Field: field + ".up_to", Message: "only the last tier may be unbounded; set up_to"}
		case t.UpTo != nil && i == last:
			return &SpecError{Field: field + ".up_to", Message: "the last tier must be unbounded; omit up_to"}
		case t.UpTo != nil && i == 0 && !t.UpTo.IsPositive():
			return &SpecError{Field: field + ".up_to", Message: "must be greater than 0"}
		case t.UpTo != nil && i > 0 && t.UpTo.Cmp(prev) <= 0:
			return &SpecError{Field: field + ".up_to", Message: "must be greater than the previous tier's"}
		}
		if t.UpTo != nil {
			prev = *t.UpTo
		}
		if err := nonNegative(field+".unit_price", t.UnitPrice); err != nil {
			return err
		}
		if err := nonNegative(field+".flat_fee", t.FlatFee); err != nil {
			return err
		}
	}
	return nil
}
