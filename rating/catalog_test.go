package rating_test

import (
	"testing"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

func catExample(tb testing.TB) *rating.Catalog {
	tb.Helper()
	c, err := rating.LoadFile("../examples/catalog.yaml")
	if err != nil {
		tb.Fatalf("examples/catalog.yaml: %v", err)
	}
	return c
}

// TestExampleCatalog: the shipped example loads and uses every model kind, both currencies,
// every channel level it promises, a group list, coupons, an allowance and a commitment.
func TestExampleCatalog(t *testing.T) {
	c := catExample(t)
	kinds := map[rating.ModelKind]bool{}
	currencies := map[string]bool{}
	var allowance, commitment, pooled bool
	for _, p := range c.Plans {
		currencies[p.Currency.Code] = true
		commitment = commitment || p.MinimumCommitment.IsPositive()
		for _, ch := range p.Charges {
			kinds[ch.Model.Kind()] = true
			allowance = allowance || ch.Allowance.IsPositive()
			pooled = pooled || ch.Pool != rating.PoolNone
		}
	}
	for _, k := range []rating.ModelKind{rating.ModelFlat, rating.ModelPerUnit, rating.ModelGraduated, rating.ModelVolume,
		rating.ModelPackage, rating.ModelStairstep, rating.ModelPercentage} {
		if !kinds[k] {
			t.Errorf("no charge uses model %s", k)
		}
	}
	if !currencies["EUR"] || !currencies["JPY"] {
		t.Errorf("currencies %v, want EUR and JPY", currencies)
	}
	if !allowance || !commitment || !pooled {
		t.Errorf("allowance %v, commitment %v, pooled %v: want all", allowance, commitment, pooled)
	}
	for _, lv := range []rating.ChannelLevel{rating.ChannelDistributor, rating.ChannelReseller} {
		if _, ok := c.PriceListFor(lv, ""); !ok {
			t.Errorf("no price list for %s", lv)
		}
	}
	if pl, ok := c.PriceListFor(rating.ChannelCustomer, "edu"); !ok || pl.Group != "edu" {
		t.Errorf("group list edu: %v %v", pl, ok)
	}
	if len(c.Coupons) < 2 {
		t.Errorf("%d coupons, want at least 2", len(c.Coupons))
	}
}

func TestPlanAt(t *testing.T) {
	c := catExample(t)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		at      time.Time
		version int // 0: none in force
	}{
		{day(2025, 12, 31), 0},
		{day(2026, 1, 1), 1},
		{day(2026, 6, 30), 1},
		{day(2026, 7, 1).Add(-time.Nanosecond), 1},
		{day(2026, 7, 1), 2},
		{day(2030, 1, 1), 2},
	}
	for _, tc := range cases {
		p, ok := c.PlanAt("api-pro", tc.at)
		switch {
		case tc.version == 0 && ok:
			t.Errorf("PlanAt(%s) = version %d, want none", tc.at, p.Version)
		case tc.version != 0 && (!ok || p.Version != tc.version):
			t.Errorf("PlanAt(%s) = %v %v, want version %d", tc.at, p, ok, tc.version)
		}
	}
	if latest, _ := c.Plan("api-pro"); latest.Version != 2 {
		t.Errorf("Plan(api-pro) version %d, want the latest, 2", latest.Version)
	}
	if vs := c.PlanVersions("api-pro"); len(vs) != 2 || vs[0].Version != 1 {
		t.Errorf("PlanVersions = %d versions", len(vs))
	}
	if _, ok := c.PlanVersion("api-pro", 3); ok {
		t.Errorf("PlanVersion(api-pro, 3) found")
	}
}

// TestPriceListLookup: group lists win over channel lists; version-specific entries win over
// version-0 entries; charges a list does not name keep the plan's price.
func TestPriceListLookup(t *testing.T) {
	c := catExample(t)
	v1, _ := c.PlanVersion("api-pro", 1)
	v2, _ := c.PlanVersion("api-pro", 2)
	dist, _ := c.PriceList("eurodist")
	edu, _ := c.PriceList("education")
	one := decimal.NewFromInt(1)
	price := func(p *rating.Plan, charge string, pl *rating.PriceList, q decimal.Decimal) string {
		ch, ok := p.Charge(charge)
		if !ok {
			t.Fatalf("plan %s v%d has no charge %s", p.ID, p.Version, charge)
		}
		return rating.ChargeModel(p, ch, pl).Price(q).String()
	}
	cases := []struct {
		name, got, want string
	}{
		{"v1 platform via version-0 entry", price(v1, "platform", dist, one), "34.3"},
		{"v2 platform via version-0 entry", price(v2, "platform", dist, one), "34.3"},
		{"v2 calls via version entry", price(v2, "calls", dist, decimal.NewFromInt(1000)), "0.14"},
		{"v1 calls not overridden", price(v1, "calls", dist, decimal.NewFromInt(1000)), "0.2"},
		{"no list", price(v2, "platform", nil, one), "49"},
		{"edu seats", price(v2, "seats", edu, decimal.NewFromInt(3)), "15"},
		{"edu keeps platform", price(v2, "platform", edu, one), "49"},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, tc.got, tc.want)
		}
	}
	if pl, _ := c.PriceListFor(rating.ChannelReseller, "edu"); pl.ID != "education" {
		t.Errorf("group edu at reseller level picked %s, want education", pl.ID)
	}
	if pl, _ := c.PriceListFor(rating.ChannelReseller, "other"); pl.ID != "resellers" {
		t.Errorf("unknown group at reseller level picked %s, want resellers", pl.ID)
	}
	if _, ok := c.PriceListFor(rating.ChannelCustomer, ""); ok {
		t.Errorf("customer level without a list found one")
	}
}
