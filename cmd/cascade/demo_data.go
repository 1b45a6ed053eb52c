package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/connector"
	"github.com/cascade-billing/cascade/rating"
)

// demoProducer names the vendor's producer in the records' source ("<vendor>/demo-producer"):
// the connector accepts only sources of the authenticated vendor.
const demoProducer = "demo-producer"

// demoCustomer is one subscriber of the demo month: who it is, where it sits in the chain and
// which plan version it is on.
type demoCustomer struct {
	ID      string
	Chain   []string
	Plan    *rating.Plan
	Charges []*rating.Charge // the usage charges the demo meters (see demoCharges)
}

// demoChain is the example catalog's channel: a vendor selling through one distributor and
// two resellers (billing owns the chain once issue 5 lands; the demo states it).
var demoChain = [][]string{
	{"vendor:nimbus", "distributor:eurodist", "reseller:cloudshop"},
	{"vendor:nimbus", "distributor:eurodist", "reseller:devhaus"},
}

// demoCharges picks the usage charges the demo meters end to end: sum, count, max and
// unique_count meters priced per subscription. Pooled charges and per-transaction min/max fees
// (the example catalog has them only on the JPY plan, whose enterprise group the demo's euro
// channel does not sell to) and latest meters are listed as skipped.
func demoCharges(cat *rating.Catalog, p *rating.Plan) (ok []*rating.Charge, skipped []string) {
	for _, ch := range p.Charges {
		if ch.Kind != rating.ChargeUsage {
			continue
		}
		m, _ := cat.Meter(ch.Meter)
		switch {
		case ch.Pool != rating.PoolNone:
			skipped = append(skipped, fmt.Sprintf("%s/%s (pooled)", p.ID, ch.ID))
		case m.Aggregation != rating.AggSum && m.Aggregation != rating.AggCount && m.Aggregation != rating.AggMax &&
			m.Aggregation != rating.AggUniqueCount:
			skipped = append(skipped, fmt.Sprintf("%s/%s (aggregation %s)", p.ID, ch.ID, m.Aggregation))
		case ch.Spec.MinFee != nil || ch.Spec.MaxFee != nil:
			skipped = append(skipped, fmt.Sprintf("%s/%s (per-transaction min/max fee)", p.ID, ch.ID))
		default:
			ok = append(ok, ch)
		}
	}
	return ok, skipped
}

// demoCustomers subscribes n customers round-robin to the plans in force at the period start
// that have at least one meterable usage charge.
func demoCustomers(cat *rating.Catalog, n int, at time.Time) ([]demoCustomer, []string, error) {
	var plans []*rating.Plan
	var skipped []string
	seen := map[string]bool{}
	for _, p := range cat.Plans {
		if seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		v, ok := cat.PlanAt(p.ID, at)
		if !ok {
			continue
		}
		chs, sk := demoCharges(cat, v)
		skipped = append(skipped, sk...)
		if len(chs) > 0 {
			plans = append(plans, v)
		} else {
			skipped = append(skipped, fmt.Sprintf("plan %s (nothing meterable yet)", v.ID))
		}
	}
	if len(plans) == 0 {
		return nil, skipped, fmt.Errorf("no plan in force at %s has a sum or count usage charge", at.Format(time.DateOnly))
	}
	customers := make([]demoCustomer, n)
	for i := range customers {
		p := plans[i%len(plans)]
		chs, _ := demoCharges(cat, p)
		customers[i] = demoCustomer{
			ID:      fmt.Sprintf("cust-%03d", i+1),
			Chain:   demoChain[i%len(demoChain)],
			Plan:    p,
			Charges: chs,
		}
	}
	return customers, skipped, nil
}

// demoEvent is one usage record as a vendor would send it: a valid event (usage, the customer it
// belongs to; dup marks a re-send of an earlier one) or, when bad is set, a record mediation
// must refuse, with its bytes in raw.
type demoEvent struct {
	usage    ledger.Usage
	customer int
	dup      bool
	bad      demoBad
	raw      []byte
	sendAt   time.Time // orders the stream the vendor sends
}

// demoBad is the kind of a bad record the demo slips into the month.
type demoBad int

const (
	badNone         demoBad = iota
	badJSON                 // malformed JSON: the record is cut off
	badNegative             // a negative quantity on a meter without credits
	badForeignMeter         // a meter that no plan of the vendor prices
)

// reasons are the reason codes a bad record of this kind may be rejected with.
func (b demoBad) reasons() []string {
	switch b {
	case badJSON:
		return []string{mediation.ReasonDecode}
	case badNegative:
		return []string{mediation.ReasonBadQuantity}
	case badForeignMeter:
		return []string{connector.ReasonForeignMeter, mediation.ReasonUnknownMeter}
	}
	return nil
}

// demoEvents makes a month of usage: `total` distinct events spread over customers, meters and
// time, with about dupPercent % of them sent a second time up to two days later, and `bad`
// bad records mixed in. The stream is in send order: by event time, re-sends when they are sent.
func demoEvents(rng *rand.Rand, cat *rating.Catalog, customers []demoCustomer, source string, period ledger.Period,
	total, dupPercent, bad int, ingest time.Time) []demoEvent {
	span := period.To.Sub(period.From) / time.Second
	events := make([]demoEvent, 0, total+total*dupPercent/100+bad+1)
	for i := range total {
		ci := i % len(customers)
		c := customers[ci]
		ch := c.Charges[rng.IntN(len(c.Charges))]
		m, _ := cat.Meter(ch.Meter)
		at := period.From.Add(time.Duration(rng.Int64N(int64(span))) * time.Second)
		attrs := []ledger.Attribute{{Key: "region", Value: []string{"eu-west", "eu-central"}[rng.IntN(2)]}}
		if m.Aggregation == rating.AggUniqueCount {
			// 5 to 85 users per customer: the console's stairstep tiers (10, 50) are all reached.
			attrs = append(attrs, ledger.Attribute{Key: m.Attribute, Value: fmt.Sprintf("u-%03d", rng.IntN(5+20*(1+ci%4)))})
		}
		events = append(events, demoEvent{customer: ci, sendAt: at, usage: ledger.Usage{
			Source:       source,
			EventID:      fmt.Sprintf("evt-%08d", i+1),
			Subject:      c.ID,
			Meter:        ch.Meter,
			Quantity:     demoQuantity(rng, m.Aggregation, ch, int64(1+ci%4)),
			EventTime:    at,
			IngestTime:   ingest,
			Attributes:   attrs,
			Account:      c.ID,
			Subscription: "sub-" + c.ID,
			PlanVersion:  fmt.Sprintf("%s@%d", c.Plan.ID, c.Plan.Version),
			Chain:        c.Chain,
		}})
	}
	for range total * dupPercent / 100 {
		d := events[rng.IntN(total)]
		d.dup = true
		d.sendAt = d.usage.EventTime.Add(time.Duration(rng.Int64N(int64(48*time.Hour/time.Second))) * time.Second)
		events = append(events, d)
	}
	for i := range bad {
		kind := demoBad(1 + i%3)
		c := customers[rng.IntN(len(customers))]
		at := period.From.Add(time.Duration(rng.Int64N(int64(span))) * time.Second)
		id := fmt.Sprintf("bad-%06d", i+1)
		var raw []byte
		switch kind {
		case badJSON:
			raw = fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"source":%q,"type":`, id, source)
		case badNegative:
			raw = demoRecord(nil, id, source, c.Charges[0].Meter, c.ID, at, "-"+demoQuantity(rng, rating.AggSum, c.Charges[0], 1).String(),
				[]ledger.Attribute{{Key: "region", Value: "eu-west"}})
		case badForeignMeter:
			raw = demoRecord(nil, id, source, "gpu_seconds", c.ID, at, "1", []ledger.Attribute{{Key: "region", Value: "eu-west"}})
		}
		events = append(events, demoEvent{customer: -1, bad: kind, raw: raw, sendAt: at})
	}
	slices.SortStableFunc(events, func(a, b demoEvent) int { return a.sendAt.Compare(b.sendAt) })
	for i := range events {
		if events[i].bad == badNone {
			u := &events[i].usage
			events[i].raw = demoRecord(nil, u.EventID, u.Source, u.Meter, u.Subject, u.EventTime, u.Quantity.String(), u.Attributes)
		}
	}
	return events
}

// demoRecord appends one usage record as the vendor sends it: a CloudEvents 1.0 event in
// structured JSON (docs/usage-records.md), its quantity a JSON number with its exact text.
func demoRecord(dst []byte, id, source, meter, subject string, at time.Time, quantity string, attrs []ledger.Attribute) []byte {
	dst = fmt.Appendf(dst, `{"specversion":"1.0","id":%q,"source":%q,"type":%q,"subject":%q,"time":%q,"data":{"quantity":%s,"attributes":{`,
		id, source, meter, subject, at.UTC().Format(time.RFC3339Nano), quantity)
	for i, a := range attrs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = fmt.Appendf(dst, "%q:%q", a.Key, a.Value)
	}
	return append(dst, "}}}"...)
}

// demoQuantity is one event's quantity: 1 for a count meter (each event is one), an amount
// with cents for a percentage (money) charge, else whole units or up to 3 decimals. size scales
// a customer's consumption so that some customers cross tiers and others stay inside allowances.
func demoQuantity(rng *rand.Rand, agg rating.Aggregation, ch *rating.Charge, size int64) decimal.Decimal {
	switch {
	case agg == rating.AggCount || agg == rating.AggUniqueCount:
		return decimal.NewFromInt(1)
	case ch.Spec.Kind == rating.ModelPercentage:
		return decimal.New(size*(100+rng.Int64N(9_900)), -2) // 1.00 … 100.00 per transaction, with cents
	case rng.IntN(2) == 0:
		return decimal.New(size*(1+rng.Int64N(400)), 0)
	default:
		return decimal.New(size*(1+rng.Int64N(400_000)), -3)
	}
}
