package rating

import (
	"slices"

	"gopkg.in/yaml.v3"
)

// MergeOptions restricts what a fragment may add to a catalog.
type MergeOptions struct {
	// Vendor, when set, is who authored the fragment (catalog moderation): it may then add only
	// products of that vendor, meters, and plans of that vendor's products (new plans or new
	// versions of its own plans); its usage charges may price only meters that no other
	// vendor's plan prices. Vendors, price lists and coupons stay the operator's.
	Vendor string
}

// Merge loads a catalog fragment (the catalog file's format, YAML or JSON) on top of base and
// returns base plus the fragment as a new catalog; base is not changed. The fragment's
// references may name anything in base, its ids must not collide with base's, and every
// problem is a *LoadError located in the fragment (name:line:col field.path), exactly as Load
// reports a file. Folding the same fragments in the same order always gives the same catalog,
// which is how a published catalog is rebuilt from the approved drafts.
func Merge(base *Catalog, name string, data []byte, opt MergeOptions) (*Catalog, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, ldSyntaxError(name, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind == 0 || root.Kind == yaml.DocumentNode {
		return nil, &LoadError{File: name, Line: 1, Column: 1, Message: "empty catalog"}
	}
	l := &loader{file: name, budget: loaderNodeBudget}
	raw := l.decodeCatalog(root)
	if raw == nil {
		return nil, l.joined()
	}
	owners := base.meterVendors()
	c := base.clone()
	if opt.Vendor != "" {
		l.checkAuthor(raw, c, owners, opt.Vendor)
	}
	l.mergeInto(raw, c)
	if len(raw.priceLists) > 0 {
		l.errPath("price_lists", "a fragment cannot add price lists: they belong to the operator's catalog file")
	}
	if len(l.errs) > 0 {
		return nil, l.joined()
	}
	return c, nil
}

// clone copies base's slices and indexes so appending to them never touches base; the
// elements themselves are shared, which is safe because a loaded catalog is never mutated.
func (c *Catalog) clone() *Catalog {
	out := &Catalog{
		Vendors: slices.Clone(c.Vendors), Products: slices.Clone(c.Products), Meters: slices.Clone(c.Meters),
		Plans: slices.Clone(c.Plans), PriceLists: slices.Clone(c.PriceLists), Coupons: slices.Clone(c.Coupons),
		vendors: map[string]*Vendor{}, products: map[string]*Product{}, meters: map[string]*Meter{},
		plans: map[string][]*Plan{}, priceLists: map[string]*PriceList{}, coupons: map[string]*Coupon{},
	}
	for id, vs := range c.plans {
		out.plans[id] = slices.Clip(slices.Clone(vs))
	}
	for id, pl := range c.priceLists {
		out.priceLists[id] = pl
	}
	for code, cp := range c.coupons {
		out.coupons[code] = cp
	}
	out.reindex()
	return out
}

// reindex points the value-slice indexes at the slices' elements (as build does).
func (c *Catalog) reindex() {
	for i := range c.Vendors {
		c.vendors[c.Vendors[i].ID] = &c.Vendors[i]
	}
	for i := range c.Products {
		c.products[c.Products[i].ID] = &c.Products[i]
	}
	for i := range c.Meters {
		c.meters[c.Meters[i].ID] = &c.Meters[i]
	}
}

// meterVendors maps each meter to the vendors whose plans price it: who owns a meter, since
// meters carry no vendor of their own.
func (c *Catalog) meterVendors() map[string][]string {
	out := map[string][]string{}
	for _, p := range c.Plans {
		prod, ok := c.products[p.Product]
		if !ok {
			continue
		}
		for _, ch := range p.Charges {
			if ch.Kind == ChargeUsage && ch.Meter != "" && !slices.Contains(out[ch.Meter], prod.Vendor) {
				out[ch.Meter] = append(out[ch.Meter], prod.Vendor)
			}
		}
	}
	return out
}

// mergeInto checks raw's vendors, products, meters, plans and coupons against c (uniqueness,
// references, windows) and adds them to c, reindexed: all of a catalog file's elements but its
// price lists, which build adds after it and a merged fragment may not have.
func (l *loader) mergeInto(raw *rawCatalog, c *Catalog) {
	for _, it := range raw.vendors {
		if ldUnique(l, it.path+".id", "vendor id", it.v.ID, c.vendors, it.v) {
			c.Vendors = append(c.Vendors, *it.v)
		}
	}
	for _, it := range raw.products {
		if _, ok := c.vendors[it.v.Vendor]; !ok && it.v.Vendor != "" {
			l.errPath(it.path+".vendor", "unknown vendor %q", it.v.Vendor)
		}
		if ldUnique(l, it.path+".id", "product id", it.v.ID, c.products, it.v) {
			c.Products = append(c.Products, *it.v)
		}
	}
	for _, it := range raw.meters {
		m := it.v
		switch {
		case m.Aggregation == AggUniqueCount && m.Attribute == "":
			l.errPath(it.path+".attribute", "required when aggregation is unique_count (the attribute whose distinct values are counted)")
		case m.Aggregation != AggUniqueCount && m.Attribute != "":
			l.errPath(it.path+".attribute", "only used with aggregation unique_count")
		}
		if ldUnique(l, it.path+".id", "meter id", m.ID, c.meters, m) {
			c.Meters = append(c.Meters, *m)
		}
	}
	l.buildPlans(raw, c)
	for _, it := range raw.coupons {
		cp := it.v
		if cp.Plan != "" && len(c.plans[cp.Plan]) == 0 {
			l.errPath(it.path+".plan", "unknown plan %q", cp.Plan)
		}
		if !cp.ValidFrom.IsZero() && !cp.ValidTo.IsZero() && !cp.ValidTo.After(cp.ValidFrom) {
			l.errPath(it.path+".valid_to", "must be after valid_from")
		}
		if ldUnique(l, it.path+".code", "coupon code", cp.Code, c.coupons, cp) {
			c.Coupons = append(c.Coupons, cp)
		}
	}
	c.reindex()
}

// checkAuthor enforces MergeOptions.Vendor: a vendor drafts only its own products, plans and
// meters. c is the base catalog (before the fragment is merged); owners is meterVendors(base).
func (l *loader) checkAuthor(raw *rawCatalog, c *Catalog, owners map[string][]string, vendor string) {
	for _, section := range []struct {
		name string
		n    int
	}{{"vendors", len(raw.vendors)}, {"coupons", len(raw.coupons)}} {
		if section.n > 0 {
			l.errPath(section.name, "a vendor's draft may hold only products, meters and plans")
		}
	}
	own := map[string]bool{} // products of this vendor, in base or in the fragment
	for _, p := range c.Products {
		own[p.ID] = p.Vendor == vendor
	}
	for _, it := range raw.products {
		if it.v.Vendor != "" && it.v.Vendor != vendor {
			l.errPath(it.path+".vendor", "vendor %s may not draft a product of vendor %q", vendor, it.v.Vendor)
		}
		if _, inBase := own[it.v.ID]; !inBase {
			own[it.v.ID] = it.v.Vendor == vendor
		}
	}
	fragmentMeters := map[string]bool{}
	for _, it := range raw.meters {
		fragmentMeters[it.v.ID] = true
	}
	for _, it := range raw.plans {
		p := it.v
		if p.Product != "" && !own[p.Product] {
			if _, known := own[p.Product]; known {
				l.errPath(it.path+".product", "product %q belongs to another vendor than %s", p.Product, vendor)
			}
		}
		for _, prev := range c.plans[p.ID] {
			if prod, ok := c.products[prev.Product]; ok && prod.Vendor != vendor {
				l.errPath(it.path+".id", "plan %q belongs to vendor %q", p.ID, prod.Vendor)
				break
			}
		}
		for _, ch := range p.Charges {
			if ch.Kind != ChargeUsage || ch.Meter == "" || fragmentMeters[ch.Meter] {
				continue
			}
			for _, v := range owners[ch.Meter] {
				if v != vendor {
					l.errPath(raw.chargePath[ch]+".meter", "meter %q is priced by vendor %q's plans", ch.Meter, v)
					break
				}
			}
		}
	}
}
