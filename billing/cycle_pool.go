package billing

import (
	"fmt"
	"sort"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// poolRef is one subscription of a pooled charge's group.
type poolRef struct{ sub, account string }

// poolIndex groups subscriptions by pool scope, built once per cycle: a pooled charge's tiers
// are reached by the total of every subscription of the buyer's group on the same plan during
// the usage window (catalog.md, pooled tiers).
type poolIndex struct {
	groups map[string][]poolRef
}

// poolKey names a group: the scope kind and the scope's id (members are then filtered by the
// plan in force during the usage window, which a plan change may have moved).
func poolKey(scope rating.PoolScope, id string) string {
	return string(scope) + "\x00" + id
}

// scopeID is the group a buyer belongs to for a pool scope.
func scopeID(scope rating.PoolScope, buyer *Account) (string, error) {
	switch scope {
	case rating.PoolEnterprise:
		if buyer.PricingGroup == "" {
			return "", fmt.Errorf("account %s has no pricing_group, which an enterprise-pooled charge needs: %w", buyer.ID, ErrInvalid)
		}
		return buyer.PricingGroup, nil
	case rating.PoolReseller:
		return buyer.Parent, nil
	}
	return "", fmt.Errorf("pool scope %q: %w", scope, ErrUnsupported)
}

func (s *Service) poolIndex() *poolIndex {
	x := &poolIndex{groups: map[string][]poolRef{}}
	for _, sub := range s.state.Subscriptions() {
		acc, ok := s.state.Account(sub.Account)
		if !ok {
			continue
		}
		for _, scope := range []rating.PoolScope{rating.PoolEnterprise, rating.PoolReseller} {
			id, err := scopeID(scope, acc)
			if err != nil || id == "" {
				continue
			}
			k := poolKey(scope, id)
			x.groups[k] = append(x.groups[k], poolRef{sub: sub.ID, account: sub.Account})
		}
	}
	return x
}

// members returns the group of a pooled charge for a usage item: the subscriptions of the
// buyer's scope on the item's plan whose terms in the window are that plan.
func (s *Service) poolMembers(x *poolIndex, buyer *Account, it Item, ch *rating.Charge) ([]poolRef, error) {
	id, err := scopeID(ch.Pool, buyer)
	if err != nil {
		return nil, fmt.Errorf("charge %s: %w", ch.ID, err)
	}
	var out []poolRef
	for _, m := range x.groups[poolKey(ch.Pool, id)] {
		sub, ok := s.state.Subscription(m.sub)
		if !ok || !sub.Start.Before(it.Window.To) || !sub.End.IsZero() && !sub.End.After(it.Window.From) {
			continue
		}
		if sub.TermsAt(it.Window.From).PlanID != it.PlanID {
			continue
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].sub < out[j].sub })
	return out, nil
}

// pooledCharges lists the pooled usage charges of an item's plan.
func (s *Service) pooledCharges(it Item) []*rating.Charge {
	p, ok := s.Catalog().PlanVersion(it.PlanID, it.PlanVersion)
	if !ok {
		return nil
	}
	var out []*rating.Charge
	for _, ch := range p.Charges {
		if ch.Kind == rating.ChargeUsage && ch.Pool != rating.PoolNone {
			out = append(out, ch)
		}
	}
	return out
}

// fillPools sets Item.Pools of a usage item from the bulk read: every member's quantity of
// each pooled meter, by the meter's aggregation.
func (s *Service) fillPools(x *poolIndex, buyer *Account, it *Item, usage map[usageKey]ledger.AccountUsage) error {
	for _, ch := range s.pooledCharges(*it) {
		members, err := s.poolMembers(x, buyer, *it, ch)
		if err != nil {
			return err
		}
		pool := make([]rating.PoolMember, 0, len(members))
		for _, m := range members {
			q, err := s.aggregate(ch.Meter, usage[usageKey{keyOf(it.Window), m.account, m.sub, ch.Meter}])
			if err != nil {
				return err
			}
			pool = append(pool, rating.PoolMember{ID: m.sub, Quantity: q})
		}
		if it.Pools == nil {
			it.Pools = map[string][]rating.PoolMember{}
		}
		it.Pools[ch.Meter] = pool
	}
	return nil
}
