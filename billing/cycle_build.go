package billing

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// windowKey is a usage window as a map key (time.Time values are not reliable keys).
type windowKey struct{ from, to int64 }

func keyOf(p Period) windowKey { return windowKey{p.From.UnixNano(), p.To.UnixNano()} }

// usageKey names one aggregate of the bulk usage read.
type usageKey struct {
	window              windowKey
	account, sub, meter string
}

// build prices the jobs' invoices: items from the subscriptions, late-usage adjustments from
// earlier invoices, quantities from the ledger (one bulk read per distinct window), then Build.
// A job that cannot be built is returned in failed, with every later job of its subscriptions
// (an invoice is never issued before an earlier one of the same subscription); err is for
// failures of the ledger, which stop the cycle.
func (s *Service) build(ctx context.Context, jobs []*job) (out []draft, failed []CycleFailure, err error) {
	type pending struct {
		job    *job
		period Period
		items  []Item
		err    error
	}
	late := s.invoicedUsage()
	var pools *poolIndex
	var pend []pending
	windows := map[windowKey]*windowRead{}
	for _, j := range jobs {
		p := pending{job: j}
		for _, sub := range j.subs {
			items, usage, err := s.jobItems(j, sub, late, &pools, windows)
			if err != nil {
				p.err = err
				break
			}
			p.period = union(p.period, usage)
			p.items = append(p.items, items...)
		}
		if p.period.From.IsZero() {
			p.period = Period{From: j.boundary, To: j.boundary}
		}
		pend = append(pend, p)
	}
	usage, err := s.readUsage(ctx, windows)
	if err != nil {
		return nil, nil, err
	}
	broken := map[string]string{} // subscription -> the failed invoice it waits for
	out = make([]draft, 0, len(pend))
	for _, p := range pend {
		j := p.job
		for _, sub := range j.subs {
			if id, ok := broken[sub.ID]; ok && p.err == nil {
				p.err = fmt.Errorf("subscription %s waits for its earlier invoice %s, which failed: %w", sub.ID, id, ErrConflict)
			}
		}
		var inv *Invoice
		if p.err == nil {
			inv, p.err = s.buildOne(ctx, p.job, p.period, p.items, usage, late, pools)
		}
		if p.err != nil {
			failed = append(failed, CycleFailure{Issuer: j.issuer.ID, Buyer: j.buyer.ID, Boundary: j.boundary, Err: p.err})
			for _, sub := range j.subs {
				if _, ok := broken[sub.ID]; !ok {
					broken[sub.ID] = j.id
				}
			}
			continue
		}
		// Later invoices of this cycle (a catch-up over several periods) must see what this
		// one bills, or they would bill the same late usage again.
		late.add(inv)
		out = append(out, draft{job: j, inv: inv})
	}
	return out, failed, nil
}

// jobItems collects one subscription's items at a job's boundary, with its late-usage
// adjustment candidates, and registers the usage windows (and pool members) to read.
func (s *Service) jobItems(j *job, sub *Subscription, late *invoicedIndex, pools **poolIndex, windows map[windowKey]*windowRead) ([]Item, Period, error) {
	usage, items, err := s.state.Items(sub, j.boundary)
	if err != nil {
		return nil, usage, fmt.Errorf("subscription %s at %s: %w", sub.ID, j.boundary.Format(time.RFC3339), err)
	}
	cands, err := late.candidates(s.state, sub, usage.From, s.cfg.LateWindow)
	if err != nil {
		return nil, usage, err
	}
	items = append(items, cands...)
	for _, it := range items {
		if it.Kind != ItemUsage && it.Kind != ItemUsageAdjustment {
			continue
		}
		w := windows[keyOf(it.Window)]
		if w == nil {
			w = &windowRead{period: it.Window, accounts: map[string]bool{}}
			windows[keyOf(it.Window)] = w
		}
		w.accounts[sub.Account] = true
		for _, ch := range s.pooledCharges(it) {
			if *pools == nil {
				*pools = s.poolIndex()
			}
			members, err := s.poolMembers(*pools, j.buyer, it, ch)
			if err != nil {
				return nil, usage, fmt.Errorf("subscription %s: %w", sub.ID, err)
			}
			for _, m := range members {
				w.accounts[m.account] = true
			}
		}
	}
	return items, usage, nil
}

// buildOne fills one job's items with quantities and prices its invoice.
func (s *Service) buildOne(ctx context.Context, j *job, period Period, items []Item, usage map[usageKey]ledger.AccountUsage,
	late *invoicedIndex, pools *poolIndex) (*Invoice, error) {
	items, err := s.fillUsage(ctx, j, items, usage, late, pools)
	if err != nil {
		return nil, err
	}
	inv, err := Build(InvoiceInput{ID: j.id, Issuer: j.issuer, Buyer: j.buyer, Period: period,
		Boundary: j.boundary, Items: items, Catalog: s.Catalog(), Taxes: s.cfg.Taxes})
	if err != nil {
		return nil, fmt.Errorf("invoice %s → %s at %s: %w", j.issuer.ID, j.buyer.ID, j.boundary.Format(time.RFC3339), err)
	}
	inv.Catalog = s.CatalogVersion()
	return inv, nil
}

func union(a, b Period) Period {
	switch {
	case a.From.IsZero():
		return b
	case b.From.IsZero() || !b.From.Before(b.To):
		return a
	}
	if b.From.Before(a.From) {
		a.From = b.From
	}
	if b.To.After(a.To) {
		a.To = b.To
	}
	return a
}

// windowRead is one bulk read: a window and the accounts that need it.
type windowRead struct {
	period   Period
	accounts map[string]bool
}

// filterLimit is the account count above which the bulk read asks for every account of the
// window instead of listing them (a long IN list costs more than the rows it saves).
const filterLimit = 2000

func (s *Service) readUsage(ctx context.Context, windows map[windowKey]*windowRead) (map[usageKey]ledger.AccountUsage, error) {
	out := map[usageKey]ledger.AccountUsage{}
	keys := make([]windowKey, 0, len(windows))
	for k := range windows {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].from < keys[j].from || keys[i].from == keys[j].from && keys[i].to < keys[j].to
	})
	for _, k := range keys {
		w := windows[k]
		if !w.period.From.Before(w.period.To) {
			continue
		}
		q := ledger.PeriodUsageQuery{Period: ledger.Period{From: w.period.From, To: w.period.To}, UniqueBy: s.uniqueBy()}
		if len(w.accounts) <= filterLimit {
			for a := range w.accounts {
				q.Accounts = append(q.Accounts, a)
			}
			sort.Strings(q.Accounts)
		}
		rows, err := s.cfg.Store.PeriodUsage(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("invoice cycle: read usage %s – %s: %w", w.period.From.Format(time.RFC3339), w.period.To.Format(time.RFC3339), err)
		}
		for _, r := range rows {
			if w.accounts[r.Account] {
				out[usageKey{k, r.Account, r.Subscription, r.Meter}] = r
			}
		}
	}
	return out, nil
}

// fillUsage sets each usage item's quantities from the bulk read, by the meter's aggregation,
// and drops adjustment candidates whose quantities did not change since they were invoiced.
func (s *Service) fillUsage(ctx context.Context, j *job, items []Item, usage map[usageKey]ledger.AccountUsage, late *invoicedIndex, pools *poolIndex) ([]Item, error) {
	out := items[:0]
	for _, it := range items {
		if it.Coupon != "" {
			if it.Invoiced == nil {
				it.Invoiced = map[string]decimal.Decimal{}
			}
			it.Invoiced[CouponKeyPrefix+it.Coupon] = late.couponTaken(it)
		}
		if it.Kind != ItemUsage && it.Kind != ItemUsageAdjustment {
			out = append(out, it)
			continue
		}
		p, ok := s.Catalog().PlanVersion(it.PlanID, it.PlanVersion)
		if !ok {
			return nil, fmt.Errorf("invoice cycle: subscription %s: plan %s version %d: %w", it.Subscription, it.PlanID, it.PlanVersion, ErrNotFound)
		}
		it.Usage = map[string]decimal.Decimal{}
		for _, ch := range p.Charges {
			if ch.Kind != rating.ChargeUsage {
				continue
			}
			q, err := s.aggregate(ch.Meter, usage[usageKey{keyOf(it.Window), j.buyer.ID, it.Subscription, ch.Meter}])
			if err != nil {
				return nil, fmt.Errorf("invoice cycle: subscription %s charge %s: %w", it.Subscription, ch.ID, err)
			}
			it.Usage[ch.Meter] = q
		}
		if err := s.fillFees(ctx, j.buyer, &it, p); err != nil {
			return nil, fmt.Errorf("invoice cycle: subscription %s: %w", it.Subscription, err)
		}
		if pools != nil {
			if err := s.fillPools(pools, j.buyer, &it, usage); err != nil {
				return nil, fmt.Errorf("invoice cycle: subscription %s: %w", it.Subscription, err)
			}
		}
		if it.Kind == ItemUsageAdjustment {
			taken, hasCoupon := it.Invoiced[CouponKeyPrefix+it.Coupon]
			it.Invoiced = late.invoiced(it)
			if it.Coupon != "" && hasCoupon {
				it.Invoiced[CouponKeyPrefix+it.Coupon] = taken
			}
		}
		if it.Kind == ItemUsageAdjustment && !late.changed(it) {
			continue
		}
		out = append(out, it)
	}
	return out, nil
}

// aggregate picks the period quantity a meter's aggregation asks for.
func (s *Service) aggregate(meter string, u ledger.AccountUsage) (decimal.Decimal, error) {
	m, ok := s.Catalog().Meter(meter)
	if !ok {
		return decimal.Zero, fmt.Errorf("meter %s: %w", meter, ErrNotFound)
	}
	switch m.Aggregation {
	case rating.AggSum, "":
		return u.Quantity, nil
	case rating.AggCount:
		return decimal.NewFromInt(int64(u.Events)), nil
	case rating.AggMax:
		return u.Max, nil
	case rating.AggLatest:
		return u.Latest, nil
	case rating.AggUniqueCount:
		return decimal.NewFromUint64(u.Unique), nil
	}
	return decimal.Zero, fmt.Errorf("meter %s: aggregation %s is not invoiced yet: %w", meter, m.Aggregation, ErrUnsupported)
}

// fillFees sets Item.Fees for the plan's per-transaction charges from the ledger's rated
// deltas of the window (one read per such item; plans without them cost nothing).
func (s *Service) fillFees(ctx context.Context, buyer *Account, it *Item, p *rating.Plan) error {
	var meters []string
	for _, ch := range p.Charges {
		if ch.Kind == rating.ChargeUsage && PerTransaction(ch) {
			meters = append(meters, ch.Meter)
		}
	}
	if len(meters) == 0 || !it.Window.From.Before(it.Window.To) {
		return nil
	}
	rows, err := s.cfg.Store.RatedTotals(ctx, ledger.UsageQuery{Account: buyer.ID, Subscription: it.Subscription,
		Period: ledger.Period{From: it.Window.From, To: it.Window.To}, Meters: meters})
	if err != nil {
		return fmt.Errorf("read per-transaction fees: %w", err)
	}
	it.Fees = map[string]decimal.Decimal{}
	for _, ch := range p.Charges {
		if ch.Kind == rating.ChargeUsage && PerTransaction(ch) {
			it.Fees[ch.ID] = decimal.Zero
		}
	}
	for _, r := range rows {
		if _, ok := it.Fees[r.Charge]; ok && r.Currency == p.Currency.Code {
			it.Fees[r.Charge] = it.Fees[r.Charge].Add(r.Amount)
		}
	}
	return nil
}

// uniqueBy maps every unique_count meter of the catalog to the attribute it counts.
func (s *Service) uniqueBy() map[string]string {
	var out map[string]string
	for _, m := range s.Catalog().Meters {
		if m.Aggregation == rating.AggUniqueCount {
			if out == nil {
				out = map[string]string{}
			}
			out[m.ID] = m.Attribute
		}
	}
	return out
}
