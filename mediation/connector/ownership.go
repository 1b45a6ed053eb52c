package connector

import (
	"slices"
	"strings"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/rating"
)

// ownership answers "may this vendor send this record?" from the catalog, which is immutable,
// so the table is built once and read concurrently without locks.
//
// A meter belongs to the vendors whose products have a plan (any version) with a usage charge
// on it. A meter of exactly one vendor is that vendor's. A meter shared by several vendors'
// products is decided per record: the sender must be one of them AND the plan the directory
// bills the subject under must be of a product of the sender, so no vendor can put usage on
// another vendor's subscription through a shared meter. A meter no plan prices belongs to
// nobody, so no vendor may send it.
type ownership struct {
	catalog *rating.Catalog
	vendors map[string][]string // meter id → owning vendor ids, sorted
}

func newOwnership(c *rating.Catalog) *ownership {
	o := &ownership{catalog: c, vendors: map[string][]string{}}
	for _, p := range c.Plans {
		prod, ok := c.Product(p.Product)
		if !ok {
			continue
		}
		for _, ch := range p.Charges {
			if ch.Kind != rating.ChargeUsage || ch.Meter == "" {
				continue
			}
			vs := o.vendors[ch.Meter]
			if !slices.Contains(vs, prod.Vendor) {
				vs = append(vs, prod.Vendor)
				slices.Sort(vs)
				o.vendors[ch.Meter] = vs
			}
		}
	}
	return o
}

// checkSource: the CloudEvents source must be the vendor id or start with "<vendor>/", so
// a vendor can name its producers ("acme/gateway-eu") but never claim another vendor's
// source, and (source, id), the dedup key, never collides across vendors.
func checkSource(vendor string, rec *mediation.Record) *mediation.RecordError {
	if rec.Source == vendor || (strings.HasPrefix(rec.Source, vendor) && len(rec.Source) > len(vendor) && rec.Source[len(vendor)] == '/') {
		return nil
	}
	return &mediation.RecordError{Reason: ReasonForeignSource, Field: "source", ID: rec.ID,
		Detail: `source "` + clip(rec.Source) + `" is not "` + vendor + `" or "` + vendor + `/…"`}
}

// checkMeter reports whether vendor may send rec's meter, before the subject is known. It
// returns shared=true when the meter has several owners and the enrichment must be checked.
func (o *ownership) checkMeter(vendor string, rec *mediation.Record) (shared bool, _ *mediation.RecordError) {
	vs := o.vendors[rec.Type]
	if !slices.Contains(vs, vendor) {
		detail := `meter "` + clip(rec.Type) + `" is not priced by any product of vendor "` + vendor + `"`
		return false, &mediation.RecordError{Reason: ReasonForeignMeter, Field: "type", ID: rec.ID, Detail: detail}
	}
	return len(vs) > 1, nil
}

// checkShared checks a shared meter's record against the plan the subject is billed under.
func (o *ownership) checkShared(vendor string, rec *mediation.Record, e *mediation.Enrichment) *mediation.RecordError {
	owner := ""
	if p, ok := o.catalog.PlanVersion(e.PlanID, e.PlanVersion); ok {
		if prod, ok := o.catalog.Product(p.Product); ok {
			owner = prod.Vendor
		}
	}
	if owner == vendor {
		return nil
	}
	return &mediation.RecordError{Reason: ReasonForeignMeter, Field: "type", ID: rec.ID,
		Detail: `meter "` + clip(rec.Type) + `" is shared and subject "` + clip(rec.Subject) + `" is billed under plan "` +
			clip(e.PlanID) + `" of another vendor`}
}

// clip shortens a value quoted in a detail, so one hostile record cannot bloat a response.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
