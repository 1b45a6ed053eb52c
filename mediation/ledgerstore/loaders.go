package ledgerstore

import (
	"context"
	"fmt"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// The loaders rebuild one partition's state from the ledger without the ledger knowing about
// partitions: Kafka partitions are keyed by ownership scope (DESIGN.md), and every stored usage
// row carries its scope (pricing group, else account), so Config.Partition maps a row back to
// the partition that produced it. One assignment scans the window once per kind for all its
// partitions (scanCache); a ledger column with the origin partition would let the query filter
// instead, at the cost of a migration.

// partitions memoizes Config.Partition over one load: a window holds millions of rows but few
// scopes, and the partitioner may be costly (a hash of the key, a lookup).
type partitions struct {
	fn    func(topic, scope string) int
	topic string
	m     map[string]int
}

func (s *Store) partitions(topic string) *partitions {
	return &partitions{fn: s.cfg.Partition, topic: topic, m: map[string]int{}}
}

// of returns the partition of the row's ownership scope.
func (p *partitions) of(u *ledger.UsageRef) int {
	scope := owner(u)
	n, ok := p.m[scope]
	if !ok {
		n = p.fn(p.topic, scope)
		p.m[scope] = n
	}
	return n
}

// owner returns the ownership scope a usage row was produced under.
func owner(u *ledger.UsageRef) string {
	if u.PricingGroup != "" {
		return u.PricingGroup
	}
	return u.Account
}

// LoadSeen implements mediation.DedupLoader: every stored usage row of the partition with an
// event time at or after since. Times come back truncated to the second, which moves an id at
// most into the bucket before its own: it is forgotten at most one bucket early, never late.
func (s *Store) LoadSeen(ctx context.Context, topic string, partition int, since time.Time, add func(id mediation.ID, at time.Time)) error {
	var ids []seenID
	err := s.cache.with(ctx, s.scan, topic, since, s.cfg.MaxPeriod, func(e *assignment) error {
		if e.seen == nil {
			e.seen = map[int][]seenID{}
			parts := s.partitions(topic)
			for i := range e.usage {
				if u := &e.usage[i]; !u.EventTime.Before(since) {
					p := parts.of(u)
					e.seen[p] = append(e.seen[p], seenID{mediation.UsageID(u.Source, u.EventID), u.EventTime})
				}
			}
		}
		ids = e.seen[partition]
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledgerstore: load dedup ids of %s/%d since %s: %w", topic, partition, since.Format(time.RFC3339), err)
	}
	for _, x := range ids {
		add(x.id, x.at)
	}
	s.cfg.Logger.Debug("ledgerstore dedup ids loaded", "topic", topic, "partition", partition, "ids", len(ids))
	return nil
}

// LoadTotals implements mediation.TotalsLoader. A running total is the sum of the stored
// deltas' quantities of its key (TotalsLoader's contract). The ledger's rated rows do not carry
// the key's period and pool scope, so each delta is keyed again as the pipeline keyed it: its
// usage row's enrichment as of the event time (Config.Directory), the charge's pool in the
// plan version (Config.Catalog). A delta without a stored usage row is left out: Write stores
// a record's deltas in its usage row, so only a delta written through WriteRated (or by a build
// that wrote deltas first, in their own table, and failed before the usage rows) can lack one,
// and the source redelivers such a batch (see Write).
func (s *Store) LoadTotals(ctx context.Context, topic string, partition int, since time.Time, set func(k mediation.TotalKey, total decimal.Decimal)) error {
	var pt *partTotals
	err := s.cache.with(ctx, s.scan, topic, since, s.cfg.MaxPeriod, func(e *assignment) error {
		if e.totals == nil {
			totals, err := s.rebuildTotals(ctx, e)
			if err != nil {
				return err
			}
			e.totals = totals
		}
		pt = e.totals[partition]
		return nil
	})
	if err == nil && pt != nil {
		err = pt.err
	}
	if err != nil {
		return fmt.Errorf("ledgerstore: load running totals of %s/%d since %s: %w", topic, partition, since.Format(time.RFC3339), err)
	}
	if pt == nil {
		return nil
	}
	for k, v := range pt.sums {
		set(k, v)
	}
	s.cfg.Logger.Debug("ledgerstore running totals loaded", "topic", topic, "partition", partition, "totals", len(pt.sums))
	return nil
}

// rebuildTotals sums the window's deltas per partition and total key, in one pass. An error
// keying a delta fails only its own partition's load.
func (s *Store) rebuildTotals(ctx context.Context, e *assignment) (map[int]*partTotals, error) {
	rated, err := s.scan.ScanRated(ctx, ledger.ScanQuery{Since: e.since.Add(-s.cfg.MaxPeriod)})
	if err != nil {
		return nil, err
	}
	byKey := make(map[[2]string]*ledger.UsageRef, len(e.usage))
	for i := range e.usage {
		u := &e.usage[i]
		byKey[[2]string{u.Source, u.EventID}] = u
	}
	parts := s.partitions(e.topic)
	out := map[int]*partTotals{}
	for i := range rated {
		d := &rated[i]
		u := byKey[[2]string{d.Source, d.EventID}]
		if u == nil {
			continue
		}
		p := parts.of(u)
		pt := out[p]
		if pt == nil {
			pt = &partTotals{sums: map[mediation.TotalKey]decimal.Decimal{}}
			out[p] = pt
		}
		if pt.err != nil {
			continue
		}
		k, err := s.totalKey(u, d.Charge)
		if err != nil {
			pt.err = fmt.Errorf("rated delta %s: %w", d.ID, err)
			continue
		}
		if k.end.After(e.since) {
			pt.sums[k.TotalKey] = pt.sums[k.TotalKey].Add(d.Quantity)
		}
	}
	return out, nil
}

type keyedTotal struct {
	mediation.TotalKey
	end time.Time
}

// totalKey keys a charge's delta for usage u the way mediation.Rater does: scope = the pool's
// group (enterprise pool) or reseller (reseller pool), else the subscription.
func (s *Store) totalKey(u *ledger.UsageRef, charge string) (keyedTotal, error) {
	e, ok := s.cfg.Directory.Lookup(u.Subject, u.Meter, u.EventTime)
	if !ok {
		return keyedTotal{}, fmt.Errorf("usage %s/%s: the directory knows no subscription of %q for meter %q at %s",
			u.Source, u.EventID, u.Subject, u.Meter, u.EventTime.Format(time.RFC3339))
	}
	p, ok := s.cfg.Catalog.PlanVersion(e.PlanID, e.PlanVersion)
	if !ok {
		return keyedTotal{}, fmt.Errorf("usage %s/%s: plan %s is not in the catalog", u.Source, u.EventID, PlanVersion(e.PlanID, e.PlanVersion))
	}
	scope := e.Subscription
	for _, ch := range p.Charges {
		if ch.ID != charge {
			continue
		}
		switch {
		case ch.Pool == rating.PoolEnterprise && e.PricingGroup != "":
			scope = e.PricingGroup
		case ch.Pool == rating.PoolReseller && e.Reseller != "":
			scope = e.Reseller
		}
	}
	return keyedTotal{mediation.TotalKey{Scope: scope, PlanID: p.ID, Charge: charge, PeriodStart: e.PeriodStart}, e.PeriodEnd}, nil
}
