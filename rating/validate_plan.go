package rating

import (
	"fmt"
	"sort"
	"time"
)

// buildPlans checks every plan version: its product, charges (ids, meters, kind-specific
// fields, prices), discounts, effective window, and that versions of one plan do not overlap.
func (l *loader) buildPlans(raw *rawCatalog, c *Catalog) {
	paths := map[*Plan]string{}
	for _, it := range raw.plans {
		p := it.v
		paths[p] = it.path
		if _, ok := c.products[p.Product]; !ok && p.Product != "" {
			l.errPath(it.path+".product", "unknown product %q", p.Product)
		}
		if !p.EffectiveFrom.IsZero() && !p.EffectiveTo.IsZero() && !p.EffectiveTo.After(p.EffectiveFrom) {
			l.errPath(it.path+".effective_to", "must be after effective_from")
		}
		l.buildCharges(raw, c, p)
		l.checkDiscounts(raw, p)
		if p.ID == "" {
			continue
		}
		if prev, dup := c.PlanVersion(p.ID, p.Version); dup {
			l.errPath(it.path+".version", "duplicate plan %q version %d (first at %s)", p.ID, p.Version, paths[prev])
			continue
		}
		vs := append(c.plans[p.ID], p)
		sort.Slice(vs, func(i, j int) bool { return vs[i].Version < vs[j].Version })
		c.plans[p.ID] = vs
		c.Plans = append(c.Plans, p)
	}
	for _, vs := range c.plans {
		l.checkOverlaps(vs, paths)
	}
}

func (l *loader) buildCharges(raw *rawCatalog, c *Catalog, p *Plan) {
	p.charges = map[string]*Charge{}
	for _, ch := range p.Charges {
		cp := raw.chargePath[ch]
		ch.Model = l.compile(raw, cp, ch.Spec)
		if ch.ID != "" {
			if _, dup := p.charges[ch.ID]; dup {
				l.errPath(cp+".id", "duplicate charge id %q in plan %q", ch.ID, p.ID)
			} else {
				p.charges[ch.ID] = ch
			}
		}
		switch ch.Kind {
		case ChargeUsage:
			if ch.Meter == "" {
				l.errAt(l.nodes[cp], cp+".meter", "required for a usage charge")
			} else if _, ok := c.meters[ch.Meter]; !ok {
				l.errPath(cp+".meter", "unknown meter %q", ch.Meter)
			}
			if ch.PerSeat {
				l.errPath(cp+".per_seat", "only for recurring and one_time charges (usage is priced by its meter)")
			}
			if ch.Pool != PoolNone && !ch.Allowance.IsZero() {
				l.errPath(cp+".allowance", "not supported on a pooled charge (the group total reaches the tiers)")
			}
		case ChargeRecurring, ChargeOneTime:
			for _, f := range []struct {
				name string
				set  bool
			}{{"meter", ch.Meter != ""}, {"allowance", !ch.Allowance.IsZero()}, {"pool", ch.Pool != PoolNone}} {
				if f.set {
					l.errPath(cp+"."+f.name, "only for usage charges")
				}
			}
			if ch.PerSeat && ch.Spec.Kind == ModelFlat {
				l.errPath(cp+".per_seat", "a flat price ignores quantity; use per_unit (or a tiered model) to price seats")
			}
		}
	}
}

func (l *loader) checkDiscounts(raw *rawCatalog, p *Plan) {
	seen := map[string]bool{}
	for i, d := range p.Discounts {
		dp := raw.discountPath[p][i]
		if d.ID != "" {
			if seen[d.ID] {
				l.errPath(dp+".id", "duplicate discount id %q in plan %q", d.ID, p.ID)
			}
			seen[d.ID] = true
		}
		if _, ok := p.charges[d.Charge]; d.Charge != "" && !ok {
			l.errPath(dp+".charge", "plan %q has no charge %q", p.ID, d.Charge)
		}
	}
}

// checkOverlaps rejects versions of one plan whose [effective_from, effective_to) windows
// intersect; a zero bound is open on that side.
func (l *loader) checkOverlaps(vs []*Plan, paths map[*Plan]string) {
	byStart := append([]*Plan(nil), vs...)
	sort.SliceStable(byStart, func(i, j int) bool { return byStart[i].EffectiveFrom.Before(byStart[j].EffectiveFrom) })
	for i := 1; i < len(byStart); i++ {
		a, b := byStart[i-1], byStart[i]
		if a.EffectiveTo.IsZero() || a.EffectiveTo.After(b.EffectiveFrom) {
			l.errPath(paths[b]+".effective_from", "plan %q version %d overlaps version %d (%s)",
				b.ID, b.Version, a.Version, ldWindow(a))
		}
	}
}

func ldWindow(p *Plan) string {
	from, to := "ever", "open-ended"
	if !p.EffectiveFrom.IsZero() {
		from = p.EffectiveFrom.Format(time.RFC3339)
	}
	if !p.EffectiveTo.IsZero() {
		to = p.EffectiveTo.Format(time.RFC3339)
	}
	return fmt.Sprintf("effective %s to %s", from, to)
}
