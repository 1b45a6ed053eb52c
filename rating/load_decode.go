package rating

import (
	"fmt"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// The YAML field names, per mapping. Keeping them in one place is what makes unknown fields
// errors and lets docs/catalog.md's tests check the doc names every one.
var (
	ldCatalogKeys   = []string{"vendors", "products", "meters", "plans", "price_lists", "coupons"}
	ldVendorKeys    = []string{"id", "name"}
	ldProductKeys   = []string{"id", "vendor", "name", "description"}
	ldMeterKeys     = []string{"id", "name", "unit", "aggregation", "attribute", "allow_credits", "multiply", "divide", "rename", "keep_attributes", "drop_attributes"}
	ldPlanKeys      = []string{"id", "version", "product", "name", "currency", "billing_period", "trial_days", "rounding", "effective_from", "effective_to", "minimum_commitment", "discounts", "charges"}
	ldPeriodKeys    = []string{"every", "unit"}
	ldPriceKeys     = []string{"model", "amount", "unit_price", "tiers", "package_size", "free_units", "percent", "min_fee", "max_fee"}
	ldChargeKeys    = append([]string{"id", "name", "type", "meter", "per_seat", "allowance", "pool"}, ldPriceKeys...)
	ldTierKeys      = []string{"up_to", "unit_price", "flat_fee"}
	ldDiscountKeys  = []string{"id", "charge", "percent", "amount"}
	ldCouponKeys    = []string{"code", "plan", "percent", "amount", "valid_from", "valid_to", "max_redemptions", "duration_periods"}
	ldPriceListKeys = []string{"id", "name", "channel", "group", "entries"}
	ldEntryKeys     = append([]string{"plan", "version", "charge", "pooled"}, ldPriceKeys...)
)

// rawCatalog is the decoded file before cross-checks; every element keeps its field path.
type rawCatalog struct {
	vendors    []ldItem[*Vendor]
	products   []ldItem[*Product]
	meters     []ldItem[*Meter]
	plans      []ldItem[*Plan]
	priceLists []ldItem[*PriceList]
	coupons    []ldItem[*Coupon]
	// pricesOK is false for a price path whose fields failed to decode (so it is not compiled).
	pricesOK map[string]bool
	// Paths of nested elements, which may not match their slice index when a sibling was
	// skipped for not being a mapping.
	chargePath   map[*Charge]string
	discountPath map[*Plan][]string
	entryPath    map[*PriceList][]string
}

// ldItem is a decoded element with the path it came from ("plans[2]").
type ldItem[T any] struct {
	v    T
	path string
}

func (l *loader) decodeCatalog(root *yaml.Node) *rawCatalog {
	top, ok := l.mapping(root, "", ldCatalogKeys...)
	if !ok {
		return nil
	}
	raw := &rawCatalog{
		pricesOK: map[string]bool{}, chargePath: map[*Charge]string{},
		discountPath: map[*Plan][]string{}, entryPath: map[*PriceList][]string{},
	}
	for i, n := range l.seq(top.vals["vendors"], "vendors") {
		path := fmt.Sprintf("vendors[%d]", i)
		if f, ok := l.mapping(n, path, ldVendorKeys...); ok {
			raw.vendors = append(raw.vendors, ldItem[*Vendor]{&Vendor{ID: l.str(f, "id", true), Name: l.str(f, "name", false)}, path})
		}
	}
	for i, n := range l.seq(top.vals["products"], "products") {
		path := fmt.Sprintf("products[%d]", i)
		if f, ok := l.mapping(n, path, ldProductKeys...); ok {
			raw.products = append(raw.products, ldItem[*Product]{&Product{
				ID: l.str(f, "id", true), Vendor: l.str(f, "vendor", true),
				Name: l.str(f, "name", false), Description: l.str(f, "description", false),
			}, path})
		}
	}
	for i, n := range l.seq(top.vals["meters"], "meters") {
		path := fmt.Sprintf("meters[%d]", i)
		if f, ok := l.mapping(n, path, ldMeterKeys...); ok {
			raw.meters = append(raw.meters, ldItem[*Meter]{&Meter{
				ID: l.str(f, "id", true), Name: l.str(f, "name", false), Unit: l.str(f, "unit", false),
				Aggregation:  Aggregation(l.enum(f, "aggregation", true, string(AggSum), string(AggCount), string(AggMax), string(AggUniqueCount), string(AggLatest))),
				Attribute:    l.str(f, "attribute", false),
				AllowCredits: l.boolean(f, "allow_credits"),
			}, path})
			l.decodeMeterNormalize(f, path, raw.meters[len(raw.meters)-1].v)
		}
	}
	for i, n := range l.seq(top.vals["plans"], "plans") {
		path := fmt.Sprintf("plans[%d]", i)
		if p := l.decodePlan(raw, n, path); p != nil {
			raw.plans = append(raw.plans, ldItem[*Plan]{p, path})
		}
	}
	for i, n := range l.seq(top.vals["price_lists"], "price_lists") {
		path := fmt.Sprintf("price_lists[%d]", i)
		if pl := l.decodePriceList(raw, n, path); pl != nil {
			raw.priceLists = append(raw.priceLists, ldItem[*PriceList]{pl, path})
		}
	}
	for i, n := range l.seq(top.vals["coupons"], "coupons") {
		path := fmt.Sprintf("coupons[%d]", i)
		if f, ok := l.mapping(n, path, ldCouponKeys...); ok {
			c := &Coupon{
				Code: l.str(f, "code", true), Plan: l.str(f, "plan", false),
				MaxRedemptions:  l.integer(f, "max_redemptions", false, 0),
				DurationPeriods: l.integer(f, "duration_periods", false, 0),
			}
			c.Off = l.decodeOff(f, path)
			c.ValidFrom, _ = l.instant(f, "valid_from")
			c.ValidTo, _ = l.instant(f, "valid_to")
			raw.coupons = append(raw.coupons, ldItem[*Coupon]{c, path})
		}
	}
	return raw
}

func (l *loader) decodePlan(raw *rawCatalog, n *yaml.Node, path string) *Plan {
	f, ok := l.mapping(n, path, ldPlanKeys...)
	if !ok {
		return nil
	}
	p := &Plan{
		ID: l.str(f, "id", true), Product: l.str(f, "product", true), Name: l.str(f, "name", false),
		Version: 1, BillingPeriod: BillingPeriod{Every: 1, Unit: PeriodMonth},
		TrialDays: l.integer(f, "trial_days", false, 0),
	}
	if f.has("version") {
		p.Version = l.integer(f, "version", false, 1)
	}
	if code := l.str(f, "currency", true); code != "" {
		cur, err := LookupCurrency(code)
		if err != nil {
			l.errPath(ldJoin(path, "currency"), "unknown currency: %v", err)
		}
		p.Currency = cur
	}
	p.Rounding = RoundHalfUp
	if s := l.str(f, "rounding", false); s != "" {
		m, err := ParseRoundingMode(s)
		if err != nil {
			l.errPath(ldJoin(path, "rounding"), "%v", err)
		}
		p.Rounding = m
	}
	p.BillingPeriod = l.decodePeriod(f, path)
	p.EffectiveFrom, _ = l.instant(f, "effective_from")
	p.EffectiveTo, _ = l.instant(f, "effective_to")
	p.MinimumCommitment, _ = l.dec(f, "minimum_commitment", false)
	for i, dn := range l.seq(f.vals["discounts"], ldJoin(path, "discounts")) {
		dp := fmt.Sprintf("%s.discounts[%d]", path, i)
		if df, ok := l.mapping(dn, dp, ldDiscountKeys...); ok {
			d := l.decodeOff(df, dp)
			d.ID = l.str(df, "id", true)
			d.Charge = l.str(df, "charge", false)
			p.Discounts = append(p.Discounts, d)
			raw.discountPath[p] = append(raw.discountPath[p], dp)
		}
	}
	chargeNodes := l.seq(f.vals["charges"], ldJoin(path, "charges"))
	switch {
	case !f.has("charges"):
		l.errAt(f.node, ldJoin(path, "charges"), "required field missing")
	case len(chargeNodes) == 0:
		l.errPath(ldJoin(path, "charges"), "a plan needs at least one charge")
	}
	for i, cn := range chargeNodes {
		cp := fmt.Sprintf("%s.charges[%d]", path, i)
		cf, ok := l.mapping(cn, cp, ldChargeKeys...)
		if !ok {
			continue
		}
		ch := &Charge{
			ID: l.str(cf, "id", true), Name: l.str(cf, "name", false),
			Kind:    ChargeKind(l.enum(cf, "type", true, string(ChargeRecurring), string(ChargeOneTime), string(ChargeUsage))),
			Meter:   l.str(cf, "meter", false),
			PerSeat: l.boolean(cf, "per_seat"),
			Pool:    PoolScope(l.enum(cf, "pool", false, string(PoolEnterprise), string(PoolReseller))),
		}
		ch.Allowance, _ = l.dec(cf, "allowance", false)
		ch.Spec = l.decodePrice(raw, cf, cp)
		p.Charges = append(p.Charges, ch)
		raw.chargePath[ch] = cp
	}
	return p
}

func (l *loader) decodePeriod(f fields, path string) BillingPeriod {
	bp := BillingPeriod{Every: 1, Unit: PeriodMonth}
	n, ok := f.vals["billing_period"]
	if !ok {
		return bp
	}
	pp := ldJoin(path, "billing_period")
	units := []string{string(PeriodDay), string(PeriodMonth), string(PeriodYear)}
	if r := l.visit(n, pp); r != nil && r.Kind == yaml.ScalarNode {
		// Shorthand: "billing_period: month" is every 1 month.
		one := fields{node: f.node, path: path, vals: map[string]*yaml.Node{"billing_period": r}}
		bp.Unit = PeriodUnit(l.enum(one, "billing_period", true, units...))
		return bp
	}
	pf, ok := l.mapping(n, pp, ldPeriodKeys...)
	if !ok {
		return bp
	}
	bp.Every = l.integer(pf, "every", true, 1)
	bp.Unit = PeriodUnit(l.enum(pf, "unit", true, units...))
	return bp
}

// decodeOff reads the percent-or-amount pair shared by discounts and coupons.
func (l *loader) decodeOff(f fields, path string) Discount {
	var d Discount
	hasP, hasA := f.has("percent"), f.has("amount")
	switch {
	case hasP && hasA:
		l.errAt(f.vals["amount"], ldJoin(path, "amount"), "give percent or amount, not both")
	case hasP:
		d.Kind = DiscountPercent
		if v, ok := l.dec(f, "percent", true); ok {
			if !v.IsPositive() || v.GreaterThan(decimal.NewFromInt(100)) {
				l.errPath(ldJoin(path, "percent"), "must be greater than 0 and at most 100")
			}
			d.Value = v
		}
	case hasA:
		d.Kind = DiscountAmount
		if v, ok := l.dec(f, "amount", true); ok {
			if !v.IsPositive() {
				l.errPath(ldJoin(path, "amount"), "must be greater than 0")
			}
			d.Value = v
		}
	default:
		l.errAt(f.node, ldJoin(path, "percent"), "required: percent or amount")
	}
	return d
}

// decodePrice reads the price fields that sit inline in a charge or price-list entry.
func (l *loader) decodePrice(raw *rawCatalog, f fields, path string) PriceSpec {
	before := len(l.errs)
	var s PriceSpec
	s.Kind = ModelKind(l.str(f, "model", true))
	s.Amount, _ = l.dec(f, "amount", false)
	s.UnitPrice, _ = l.dec(f, "unit_price", false)
	s.PackageSize, _ = l.dec(f, "package_size", false)
	s.FreeUnits, _ = l.dec(f, "free_units", false)
	s.Percent, _ = l.dec(f, "percent", false)
	if v, ok := l.dec(f, "min_fee", false); ok {
		s.MinFee = &v
	}
	if v, ok := l.dec(f, "max_fee", false); ok {
		s.MaxFee = &v
	}
	tiers, has := f.vals["tiers"]
	if has {
		tn := l.seq(tiers, ldJoin(path, "tiers"))
		if len(tn) == 0 {
			l.errPath(ldJoin(path, "tiers"), "at least one tier is required")
		}
		for i, n := range tn {
			tp := fmt.Sprintf("%s.tiers[%d]", path, i)
			tf, ok := l.mapping(n, tp, ldTierKeys...)
			if !ok {
				continue
			}
			var t Tier
			if v, ok := l.dec(tf, "up_to", false); ok {
				t.UpTo = &v
			}
			t.UnitPrice, _ = l.dec(tf, "unit_price", false)
			t.FlatFee, _ = l.dec(tf, "flat_fee", false)
			s.Tiers = append(s.Tiers, t)
		}
	}
	raw.pricesOK[path] = len(l.errs) == before
	return s
}

func (l *loader) decodePriceList(raw *rawCatalog, n *yaml.Node, path string) *PriceList {
	f, ok := l.mapping(n, path, ldPriceListKeys...)
	if !ok {
		return nil
	}
	pl := &PriceList{
		ID: l.str(f, "id", true), Name: l.str(f, "name", false),
		Channel: ChannelLevel(l.enum(f, "channel", false, string(ChannelDistributor), string(ChannelReseller), string(ChannelCustomer))),
		Group:   l.str(f, "group", false),
	}
	switch {
	case f.has("channel") && f.has("group"):
		l.errPath(ldJoin(path, "group"), "give channel or group, not both")
	case !f.has("channel") && !f.has("group"):
		l.errAt(f.node, ldJoin(path, "channel"), "required: channel or group")
	}
	for i, en := range l.seq(f.vals["entries"], ldJoin(path, "entries")) {
		ep := fmt.Sprintf("%s.entries[%d]", path, i)
		ef, ok := l.mapping(en, ep, ldEntryKeys...)
		if !ok {
			continue
		}
		e := PriceEntry{Plan: l.str(ef, "plan", true), Charge: l.str(ef, "charge", true), Pooled: l.boolean(ef, "pooled")}
		if ef.has("version") {
			e.Version = l.integer(ef, "version", false, 1)
		}
		e.Spec = l.decodePrice(raw, ef, ep)
		pl.Entries = append(pl.Entries, e)
		raw.entryPath[pl] = append(raw.entryPath[pl], ep)
	}
	return pl
}
