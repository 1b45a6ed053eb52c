package billing

import (
	"fmt"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// ReverseChargeNote is the mention an invoice carries when the buyer self-assesses the tax
// (EU VAT Directive art. 226(11a) asks for it in words).
const ReverseChargeNote = "Reverse charge: VAT to be accounted for by the recipient"

// TaxTreatment is how one invoice is taxed: the rule of the buyer's jurisdiction (the
// destination principle for digital services), with the rate forced to 0 under reverse charge.
type TaxTreatment struct {
	Jurisdiction  string
	Name          string          // "VAT", "Consumption tax"
	Rate          decimal.Decimal // percent; 0 under reverse charge
	Inclusive     bool
	ReverseCharge bool
}

// Treatment picks the rule for an issuer → buyer invoice. Reverse charge applies when the rule
// allows it, the buyer is a business (has a tax id) and sits in another jurisdiction than the
// issuer: a domestic B2B sale is taxed normally. An unknown buyer jurisdiction is ErrInvalid —
// billing a buyer at a guessed rate is worse than not billing.
func (r *TaxRules) Treatment(issuer, buyer *Account) (TaxTreatment, error) {
	if r == nil || issuer == nil || buyer == nil {
		return TaxTreatment{}, fmt.Errorf("tax treatment: missing tax rules, issuer or buyer: %w", ErrInvalid)
	}
	j, ok := r.Jurisdictions[buyer.TaxJurisdiction]
	if !ok {
		return TaxTreatment{}, fmt.Errorf("tax treatment for buyer %s: tax jurisdiction %q has no rule: %w",
			buyer.ID, buyer.TaxJurisdiction, ErrInvalid)
	}
	t := TaxTreatment{Jurisdiction: j.Code, Name: j.Name, Rate: j.Rate, Inclusive: j.Inclusive}
	if t.Jurisdiction == "" {
		t.Jurisdiction = buyer.TaxJurisdiction
	}
	if j.ReverseCharge && buyer.TaxID != "" && buyer.TaxJurisdiction != issuer.TaxJurisdiction {
		t.Rate, t.ReverseCharge = decimal.Zero, true
	}
	return t, nil
}

// Label is the summary's name: "VAT 19%", "VAT reverse charge".
func (t TaxTreatment) Label() string {
	if t.ReverseCharge {
		return t.Name + " reverse charge"
	}
	return t.Name + " " + t.Rate.String() + "%"
}

// apply fills a line's TaxRate, Net, Tax and Gross from its rounded Amount. The tax is computed
// and rounded per line (issue 5, item 4) with the line's plan rounding mode; a negative line
// carries a negative tax, and Round is odd (round(−x) = −round(x)), so a credit exactly mirrors
// the charge it gives back.
func (t TaxTreatment) apply(l *Line, cur rating.Currency, mode rating.RoundingMode) {
	hundred := decimal.NewFromInt(100)
	l.TaxRate = t.Rate
	switch {
	case t.Rate.IsZero():
		l.Net, l.Tax, l.Gross = l.Amount, decimal.Zero, l.Amount
	case t.Inclusive:
		l.Gross = l.Amount
		l.Tax = cur.Round(l.Amount.Mul(t.Rate).DivRound(hundred.Add(t.Rate), 18), mode)
		l.Net = l.Gross.Sub(l.Tax)
	default:
		l.Net = l.Amount
		l.Tax = cur.Round(l.Amount.Mul(t.Rate).DivRound(hundred, 18), mode)
		l.Gross = l.Net.Add(l.Tax)
	}
}

// summary is the one per-rate entry of an invoice taxed under t: every line of an invoice has
// the same treatment (the buyer's jurisdiction), so the sums are the lines' sums.
func (t TaxTreatment) summary(lines []Line) []TaxSummary {
	if len(lines) == 0 {
		return []TaxSummary{}
	}
	s := TaxSummary{Jurisdiction: t.Jurisdiction, Name: t.Label(), Rate: t.Rate, Inclusive: t.Inclusive,
		ReverseCharge: t.ReverseCharge, Net: decimal.Zero, Tax: decimal.Zero}
	for _, l := range lines {
		s.Net = s.Net.Add(l.Net)
		s.Tax = s.Tax.Add(l.Tax)
	}
	return []TaxSummary{s}
}
