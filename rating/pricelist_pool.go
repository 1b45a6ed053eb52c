package rating

// Pooled wholesale tiers. A channel price list (what a reseller or distributor pays its parent)
// may mark a usage entry `pooled: true`: the buyer's cost of that charge in a period is the
// entry's model applied once to the total quantity of all its customers' lines (group pricing
// at wholesale, PoolCharge's math), not to each customer line alone. The catalog only says so;
// billing settles the pooled cost per period (billing/split_pool.go).

// PooledEntry reports whether the list prices a plan version's charge with pooled tiers. The
// same precedence as Price applies: a version-specific entry wins over a version-0 entry.
func (pl *PriceList) PooledEntry(planID string, version int, chargeID string) bool {
	if i, ok := pl.index[priceKey{planID, version, chargeID}]; ok {
		return pl.Entries[i].Pooled
	}
	if i, ok := pl.index[priceKey{planID, 0, chargeID}]; ok {
		return pl.Entries[i].Pooled
	}
	return false
}

// validatePooledEntry refuses `pooled` where it has no meaning: on a customer-group list (a
// group's pool is the charge's own `pool: enterprise`), on a charge that is not usage, and on a
// charge that is already pooled for the customer (its line is a share of a group; pooling it
// again at wholesale would price a share of a share).
func validatePooledEntry(l *loader, path string, pl *PriceList, e *PriceEntry, ch *Charge) {
	switch {
	case !e.Pooled:
	case pl.Channel == "":
		l.errPath(path+".pooled", "only a channel price list (distributor or reseller) can pool tiers across its buyer's customers")
	case ch.Kind != ChargeUsage:
		l.errPath(path+".pooled", "charge %q is %s: only usage charges have tiers to pool", ch.ID, ch.Kind)
	case ch.Pool != PoolNone:
		l.errPath(path+".pooled", "charge %q is already pooled for customers (pool: %s)", ch.ID, ch.Pool)
	}
}
