package rating

// ChannelLevel is a position in the sales chain vendor → distributor → reseller → customer.
type ChannelLevel string

// The channel levels a price list may target.
const (
	ChannelDistributor ChannelLevel = "distributor"
	ChannelReseller    ChannelLevel = "reseller"
	ChannelCustomer    ChannelLevel = "customer"
)

// PriceList overrides the prices of some plan charges for one channel level or for one customer
// group (group pricing). A charge without an entry keeps the plan's own price, so a list only
// names what differs.
type PriceList struct {
	ID   string
	Name string
	// Exactly one of Channel and Group is set.
	Channel ChannelLevel
	Group   string
	Entries []PriceEntry

	index map[priceKey]int
}

// PriceEntry replaces the price of one charge of one plan. Version 0 means every version of the
// plan that has the charge; a version-specific entry wins over a version-0 entry.
type PriceEntry struct {
	Plan    string
	Version int
	Charge  string
	Spec    PriceSpec
	Model   Model
	// Pooled (channel lists, usage charges only): the buyer's cost is this model applied to the
	// total quantity of all its customers' lines of the period, not to each line alone
	// (pooled wholesale tiers, settled per period by billing; see pricelist_pool.go).
	Pooled bool
}

type priceKey struct {
	plan    string
	version int
	charge  string
}

// Price returns the list's model for a charge of a plan version, if the list overrides it.
func (pl *PriceList) Price(planID string, version int, chargeID string) (Model, bool) {
	if i, ok := pl.index[priceKey{planID, version, chargeID}]; ok {
		return pl.Entries[i].Model, true
	}
	if i, ok := pl.index[priceKey{planID, 0, chargeID}]; ok {
		return pl.Entries[i].Model, true
	}
	return nil, false
}

// PriceList returns the price list with that id.
func (c *Catalog) PriceList(id string) (*PriceList, bool) {
	pl, ok := c.priceLists[id]
	return pl, ok
}

// PriceListFor picks the list that applies to a buyer: the customer group's list when the buyer
// belongs to a group that has one, else the list of its channel level, else none. Load rejects
// two lists for the same level or group, so the choice is unambiguous.
func (c *Catalog) PriceListFor(level ChannelLevel, group string) (*PriceList, bool) {
	var byLevel *PriceList
	for _, pl := range c.PriceLists {
		if group != "" && pl.Group == group {
			return pl, true
		}
		if level != "" && pl.Channel == level {
			byLevel = pl
		}
	}
	return byLevel, byLevel != nil
}

// ChargeModel resolves the model pricing a charge of a plan under an optional price list (nil:
// the plan's own price). This is the one lookup billing and quotes use.
func ChargeModel(p *Plan, ch *Charge, pl *PriceList) Model {
	if pl != nil {
		if m, ok := pl.Price(p.ID, p.Version, ch.ID); ok {
			return m
		}
	}
	return ch.Model
}
