package api

import (
	"net/http"
	"time"

	"github.com/cascade-billing/cascade/rating"
)

// catalogView is GET /v1/catalog: the published catalog (the configured file plus every
// approved draft) as a customer-facing price book. Decimals are exact strings. Price lists and
// coupons are not shown: they are per buyer, and a coupon code is a secret until handed out.
type catalogView struct {
	Version  string        `json:"version"`
	Vendors  []vendorView  `json:"vendors"`
	Products []productView `json:"products"`
	Meters   []meterView   `json:"meters"`
	Plans    []planView    `json:"plans"`
}

type vendorView struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

type productView struct {
	ID          string `json:"id"`
	Vendor      string `json:"vendor"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

type meterView struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Unit        string `json:"unit,omitempty"`
	Aggregation string `json:"aggregation"`
}

type planView struct {
	ID                string       `json:"id"`
	Version           int          `json:"version"`
	Product           string       `json:"product"`
	Name              string       `json:"name,omitempty"`
	Currency          string       `json:"currency"`
	BillingPeriod     periodView   `json:"billing_period"`
	TrialDays         int          `json:"trial_days,omitempty"`
	EffectiveFrom     *string      `json:"effective_from,omitempty"`
	EffectiveTo       *string      `json:"effective_to,omitempty"`
	MinimumCommitment string       `json:"minimum_commitment,omitempty"`
	Charges           []chargeView `json:"charges"`
}

type periodView struct {
	Every int    `json:"every"`
	Unit  string `json:"unit"`
}

type chargeView struct {
	ID        string     `json:"id"`
	Name      string     `json:"name,omitempty"`
	Type      string     `json:"type"`
	Meter     string     `json:"meter,omitempty"`
	PerSeat   bool       `json:"per_seat,omitempty"`
	Allowance string     `json:"allowance,omitempty"`
	Pool      string     `json:"pool,omitempty"`
	Model     string     `json:"model"`
	Amount    string     `json:"amount,omitempty"`
	UnitPrice string     `json:"unit_price,omitempty"`
	Tiers     []tierView `json:"tiers,omitempty"`
	Package   string     `json:"package_size,omitempty"`
	FreeUnits string     `json:"free_units,omitempty"`
	Percent   string     `json:"percent,omitempty"`
	MinFee    string     `json:"min_fee,omitempty"`
	MaxFee    string     `json:"max_fee,omitempty"`
}

type tierView struct {
	UpTo      string `json:"up_to,omitempty"` // empty: the last, unbounded tier
	UnitPrice string `json:"unit_price"`
	FlatFee   string `json:"flat_fee,omitempty"`
}

// getCatalog: GET /v1/catalog (every role).
func (a *API) getCatalog(w http.ResponseWriter, _ *http.Request, _ Principal) {
	writeJSON(w, http.StatusOK, newCatalogView(a.cfg.Billing.Catalog(), a.cfg.Billing.CatalogVersion()))
}

func newCatalogView(c *rating.Catalog, version string) catalogView {
	v := catalogView{Version: version, Vendors: []vendorView{}, Products: []productView{}, Meters: []meterView{}, Plans: []planView{}}
	for _, x := range c.Vendors {
		v.Vendors = append(v.Vendors, vendorView{ID: x.ID, Name: x.Name})
	}
	for _, x := range c.Products {
		v.Products = append(v.Products, productView{ID: x.ID, Vendor: x.Vendor, Name: x.Name, Description: x.Description})
	}
	for _, x := range c.Meters {
		v.Meters = append(v.Meters, meterView{ID: x.ID, Name: x.Name, Unit: x.Unit, Aggregation: string(x.Aggregation)})
	}
	for _, p := range c.Plans {
		pv := planView{ID: p.ID, Version: p.Version, Product: p.Product, Name: p.Name, Currency: p.Currency.Code,
			BillingPeriod: periodView{Every: p.BillingPeriod.Every, Unit: string(p.BillingPeriod.Unit)},
			TrialDays:     p.TrialDays, EffectiveFrom: catalogTime(p.EffectiveFrom), EffectiveTo: catalogTime(p.EffectiveTo),
			MinimumCommitment: nonZero(p.MinimumCommitment.String()), Charges: []chargeView{}}
		for _, ch := range p.Charges {
			pv.Charges = append(pv.Charges, newChargeView(ch))
		}
		v.Plans = append(v.Plans, pv)
	}
	return v
}

func newChargeView(ch *rating.Charge) chargeView {
	s := ch.Spec
	cv := chargeView{ID: ch.ID, Name: ch.Name, Type: string(ch.Kind), Meter: ch.Meter, PerSeat: ch.PerSeat,
		Allowance: nonZero(ch.Allowance.String()), Pool: string(ch.Pool), Model: string(s.Kind),
		Amount: nonZero(s.Amount.String()), UnitPrice: nonZero(s.UnitPrice.String()),
		Package: nonZero(s.PackageSize.String()), FreeUnits: nonZero(s.FreeUnits.String()), Percent: nonZero(s.Percent.String())}
	if s.MinFee != nil {
		cv.MinFee = s.MinFee.String()
	}
	if s.MaxFee != nil {
		cv.MaxFee = s.MaxFee.String()
	}
	for _, t := range s.Tiers {
		tv := tierView{UnitPrice: t.UnitPrice.String(), FlatFee: nonZero(t.FlatFee.String())}
		if t.UpTo != nil {
			tv.UpTo = t.UpTo.String()
		}
		cv.Tiers = append(cv.Tiers, tv)
	}
	return cv
}

// nonZero drops a zero decimal from the view ("0" means "not set" in the catalog file).
func nonZero(s string) string {
	if s == "0" {
		return ""
	}
	return s
}

func catalogTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}
