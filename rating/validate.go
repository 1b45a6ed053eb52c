package rating

import "errors"

// build cross-checks the decoded catalog (uniqueness, references, windows), compiles every
// price and indexes the result. Errors are collected, never returned early.
func (l *loader) build(raw *rawCatalog) *Catalog {
	c := &Catalog{
		vendors: map[string]*Vendor{}, products: map[string]*Product{}, meters: map[string]*Meter{},
		plans: map[string][]*Plan{}, priceLists: map[string]*PriceList{}, coupons: map[string]*Coupon{},
	}
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
	l.buildPriceLists(raw, c)
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
	// The slices above hold copies; point the indexes at them so both views agree.
	for i := range c.Vendors {
		c.vendors[c.Vendors[i].ID] = &c.Vendors[i]
	}
	for i := range c.Products {
		c.products[c.Products[i].ID] = &c.Products[i]
	}
	for i := range c.Meters {
		c.meters[c.Meters[i].ID] = &c.Meters[i]
	}
	return c
}

// ldUnique registers id in seen, reporting a duplicate at path. Empty ids were already reported
// as missing and are not registered.
func ldUnique[T any](l *loader, path, what, id string, seen map[string]T, v T) bool {
	if id == "" {
		return false
	}
	if _, dup := seen[id]; dup {
		l.errPath(path, "duplicate %s %q", what, id)
		return false
	}
	seen[id] = v
	return true
}

// compile compiles a decoded price, re-rooting the *SpecError field under the price's path.
func (l *loader) compile(raw *rawCatalog, path string, spec PriceSpec) Model {
	if !raw.pricesOK[path] {
		return nil
	}
	m, err := Compile(spec)
	if err != nil {
		var se *SpecError
		if errors.As(err, &se) {
			l.errPath(ldJoin(path, se.Field), "%s", se.Message)
		} else {
			l.errPath(path, "%v", err)
		}
		return nil
	}
	return m
}

func (l *loader) buildPriceLists(raw *rawCatalog, c *Catalog) {
	levels, groups := map[ChannelLevel]string{}, map[string]string{}
	for _, it := range raw.priceLists {
		pl := it.v
		if pl.Channel != "" {
			if prev, dup := levels[pl.Channel]; dup {
				l.errPath(it.path+".channel", "a price list for channel %s already exists (%s)", pl.Channel, prev)
			}
			levels[pl.Channel] = pl.ID
		}
		if pl.Group != "" {
			if prev, dup := groups[pl.Group]; dup {
				l.errPath(it.path+".group", "a price list for group %q already exists (%s)", pl.Group, prev)
			}
			groups[pl.Group] = pl.ID
		}
		pl.index = map[priceKey]int{}
		for i := range pl.Entries {
			e := &pl.Entries[i]
			ep := raw.entryPath[pl][i]
			e.Model = l.compile(raw, ep, e.Spec)
			versions := c.plans[e.Plan]
			if e.Plan != "" && len(versions) == 0 {
				l.errPath(ep+".plan", "unknown plan %q", e.Plan)
				continue
			}
			found, versionFound := false, e.Version == 0
			for _, p := range versions {
				if e.Version != 0 && p.Version != e.Version {
					continue
				}
				versionFound = true
				if ch, ok := p.Charge(e.Charge); ok {
					if !found { // once per entry, not once per version it covers
						validatePooledEntry(l, ep, pl, e, ch)
					}
					found = true
				}
			}
			switch {
			case !versionFound:
				l.errPath(ep+".version", "plan %q has no version %d", e.Plan, e.Version)
			case !found && e.Charge != "":
				l.errPath(ep+".charge", "plan %q has no charge %q", e.Plan, e.Charge)
			}
			k := priceKey{e.Plan, e.Version, e.Charge}
			if _, dup := pl.index[k]; dup {
				l.errPath(ep, "duplicate entry for plan %q charge %q in price list %q", e.Plan, e.Charge, pl.ID)
				continue
			}
			pl.index[k] = i
		}
		if ldUnique(l, it.path+".id", "price list id", pl.ID, c.priceLists, pl) {
			c.PriceLists = append(c.PriceLists, pl)
		}
	}
}
