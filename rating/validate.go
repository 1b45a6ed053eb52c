package rating

import "errors"

// build cross-checks the decoded catalog (uniqueness, references, windows), compiles every
// price and indexes the result. Errors are collected, never returned early.
func (l *loader) build(raw *rawCatalog) *Catalog {
	c := &Catalog{
		vendors: map[string]*Vendor{}, products: map[string]*Product{}, meters: map[string]*Meter{},
		plans: map[string][]*Plan{}, priceLists: map[string]*PriceList{}, coupons: map[string]*Coupon{},
	}
	l.mergeInto(raw, c)
	l.buildPriceLists(raw, c)
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
