package mediation

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// TotalKey names one running total: a scope (the subscription, or the pool's group for a pooled
// charge), a charge of a plan, and the period it accumulates over.
type TotalKey struct {
	Scope       string
	PlanID      string
	Charge      string
	PeriodStart time.Time
}

// TotalsLoader loads one partition's running totals when it is assigned, from the rated deltas
// the ledger holds (the ledger adapter implements it; mediationtest has a fake). A total is the
// sum of the Quantity of the stored deltas of its key (for count meters each delta adds 1, for max
// meters the rise, so the sum is the count or the maximum). It calls set once per total whose
// period ends after since.
type TotalsLoader interface {
	LoadTotals(ctx context.Context, topic string, partition int, since time.Time, set func(k TotalKey, total decimal.Decimal)) error
}

// RatedDelta is the amount one accepted usage record adds to one usage charge, computed from the
// running total before it (rating's Charge.UsageDelta): summed over a period, the deltas equal
// the invoice's usage line (DESIGN.md invariant 2). Amounts are exact and unrounded.
type RatedDelta struct {
	ID          ID // DeltaID(source, event id, charge)
	UsageID     ID
	Scope       string
	PlanID      string
	PlanVersion int
	Charge      string
	Currency    string
	PeriodStart time.Time
	PeriodEnd   time.Time
	EventTime   time.Time
	Before      Number // the running total before the event (as metered, before the allowance)
	Quantity    Number // what the event adds to the total (1 for count meters; the rise for max meters)
	Amount      Number
}

type totalKey struct {
	scope, plan, charge string
	period              int64
}

// Totals is one partition's running totals, with an undo log so a batch whose sink write failed
// leaves no trace. Not safe for concurrent use.
//
// The map holds pointers so that rating a record costs one map lookup (hashing the key's three
// strings) rather than three: the lookup gives the total to read and to update in place.
type Totals struct {
	m    map[totalKey]*Number
	undo []totalUndo
}

type totalUndo struct {
	k    totalKey
	p    *Number // the updated total; nil when put created it
	prev Number
}

// NewTotals returns empty totals.
func NewTotals() *Totals { return &Totals{m: map[totalKey]*Number{}} }

// Set stores a loaded total.
func (t *Totals) Set(k TotalKey, total decimal.Decimal) {
	n := DecimalNumber(total)
	t.m[totalKey{k.Scope, k.PlanID, k.Charge, k.PeriodStart.UnixNano()}] = &n
}

// Get returns a running total (zero when none).
func (t *Totals) Get(k TotalKey) Number {
	if p := t.m[totalKey{k.Scope, k.PlanID, k.Charge, k.PeriodStart.UnixNano()}]; p != nil {
		return *p
	}
	return Number{}
}

// Len is the number of totals held.
func (t *Totals) Len() int { return len(t.m) }

// put sets the total of k, whose current value p points to (nil when k has no total yet).
func (t *Totals) put(k totalKey, p *Number, v Number) {
	if p != nil {
		t.undo = append(t.undo, totalUndo{k: k, p: p, prev: *p})
		*p = v
		return
	}
	n := v
	t.m[k] = &n
	t.undo = append(t.undo, totalUndo{k: k})
}

// rollback undoes every change after mark, newest first.
func (t *Totals) rollback(mark int) {
	for i := len(t.undo) - 1; i >= mark; i-- {
		u := t.undo[i]
		if u.p != nil {
			*u.p = u.prev
		} else {
			delete(t.m, u.k)
		}
	}
	t.undo = t.undo[:mark]
}

// commit forgets the undo log: the batch is durable.
func (t *Totals) commit() { t.undo = t.undo[:0] }

// Rater computes the rated deltas of accepted records. It reads only the immutable catalog,
// so one Rater serves every partition; the totals are per partition.
type Rater struct {
	cat   *rating.Catalog
	allow map[*rating.Charge]allowance
}

type allowance struct {
	f  rating.Fixed
	ok bool
}

// NewRater returns a Rater over the catalog.
func NewRater(cat *rating.Catalog) *Rater {
	r := &Rater{cat: cat, allow: map[*rating.Charge]allowance{}}
	for _, p := range cat.Plans {
		for _, ch := range p.Charges {
			f, ok := rating.FixedFromDecimal(ch.Allowance)
			r.allow[ch] = allowance{f, ok}
		}
	}
	return r
}

// Rate appends to dst the deltas rec adds to every usage charge of the enriched plan that
// prices rec's meter, advancing t. On error (a *RecordError) neither dst nor t changes.
func (r *Rater) Rate(dst []RatedDelta, rec *Record, usage ID, m *rating.Meter, e *Enrichment, t *Totals) ([]RatedDelta, error) {
	p, ok := r.cat.PlanVersion(e.PlanID, e.PlanVersion)
	if !ok {
		return dst, &RecordError{Reason: ReasonUnknownPlan, Field: "subject", ID: rec.ID, Detail: "plan " + e.PlanID + " version " + strconv.Itoa(e.PlanVersion) + " is not in the catalog"}
	}
	var pl *rating.PriceList
	if e.PriceList != "" {
		pl, _ = r.cat.PriceList(e.PriceList)
	}
	n0, mark := len(dst), len(t.undo)
	for _, ch := range p.Charges {
		if ch.Kind != rating.ChargeUsage || ch.Meter != rec.Type {
			continue
		}
		k := totalKey{scope: scopeOf(ch, e), plan: p.ID, charge: ch.ID, period: e.PeriodStart.UnixNano()}
		tp := t.m[k]
		var before Number
		if tp != nil {
			before = *tp
		}
		var q Number
		switch m.Aggregation {
		case rating.AggSum:
			q = rec.Quantity
		case rating.AggCount:
			q = FixedNumber(rating.Fixed(1_000_000_000))
		case rating.AggMax:
			if rec.Quantity.Sign() <= 0 || !greater(rec.Quantity, before) {
				continue // no new maximum: nothing to add
			}
			q = rec.Quantity.Add(negate(before))
		default:
			continue // latest and unique_count are rated at period close (docs/usage-records.md)
		}
		after := before.Add(q)
		if after.Sign() < 0 {
			t.rollback(mark)
			return dst[:n0], &RecordError{Reason: ReasonNegativeTotal, Field: "data.quantity", ID: rec.ID,
				Detail: "credit " + q.String() + " would take charge " + ch.ID + "'s period total " + before.String() + " below zero"}
		}
		amount := r.delta(ch, rating.ChargeModel(p, ch, pl), before, q, after)
		t.put(k, tp, after)
		dst = append(dst, RatedDelta{
			ID: deltaIDFrom(usage, ch.ID), UsageID: usage, Scope: k.scope, PlanID: p.ID,
			PlanVersion: p.Version, Charge: ch.ID, Currency: p.Currency.Code, PeriodStart: e.PeriodStart,
			PeriodEnd: e.PeriodEnd, EventTime: rec.Time, Before: before, Quantity: q, Amount: amount,
		})
	}
	return dst, nil
}

// scopeOf is the running total's scope: the pool's group for a pooled charge, else the subscription.
func scopeOf(ch *rating.Charge, e *Enrichment) string {
	switch {
	case ch.Pool == rating.PoolEnterprise && e.PricingGroup != "":
		return e.PricingGroup
	case ch.Pool == rating.PoolReseller && e.Reseller != "":
		return e.Reseller
	}
	return e.Subscription
}

// delta is the charge's amount for the total moving from before to after (= before + q): the
// int64 fast path when the model has one and every value fits, else rating's decimal path.
// A credit (q < 0) is the negated delta of the same units added back.
func (r *Rater) delta(ch *rating.Charge, m rating.Model, before, q, after Number) Number {
	if fm, ok := m.(rating.FastModel); ok {
		if a := r.allow[ch]; a.ok {
			bf, ok1 := before.Fixed()
			af, ok2 := after.Fixed()
			if ok1 && ok2 {
				lo, hi := bf, af
				if hi < lo {
					lo, hi = hi, lo
				}
				from, to := billableFixed(lo, a.f), billableFixed(hi, a.f)
				if from == to {
					return Number{}
				}
				if d, ok := fm.DeltaFixed(from, to-from); ok {
					if af < bf {
						d = -d
					}
					return FixedNumber(d)
				}
			}
		}
	}
	if q.Sign() >= 0 {
		return DecimalNumber(ch.UsageDelta(m, before.Decimal(), q.Decimal()))
	}
	return DecimalNumber(ch.UsageDelta(m, after.Decimal(), q.Decimal().Neg()).Neg())
}

func billableFixed(total, allowance rating.Fixed) rating.Fixed {
	if total <= allowance {
		return 0
	}
	return total - allowance
}

func greater(a, b Number) bool {
	af, ok1 := a.Fixed()
	bf, ok2 := b.Fixed()
	if ok1 && ok2 {
		return af > bf
	}
	return a.Decimal().GreaterThan(b.Decimal())
}

func negate(n Number) Number {
	if f, ok := n.Fixed(); ok && f != math.MinInt64 { // MinInt64 has no Fixed negation
		return FixedNumber(-f)
	}
	return DecimalNumber(n.Decimal().Neg())
}
