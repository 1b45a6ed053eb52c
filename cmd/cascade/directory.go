package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/mediation"
)

// billingDirectory is the service's mediation.Directory: enrichment answered from the billing
// Service's in-memory state (accounts, channel, subscriptions, billed boundaries), so what
// mediation rates a record under is what billing will invoice it under. mediation never
// imports billing (DESIGN.md); this adapter is the one place the two meet.
//
// Safe for concurrent use: every lookup reads the state under the Service's lock (View), so
// it sees a command or a cycle either entirely or not at all. A cycle holds that lock while
// it runs, so mediation waits for it rather than enrich against half-issued invoices.
type billingDirectory struct {
	svc   *billing.Service
	lease atomic.Pointer[writerLease] // set once the election started: a follower catches up on a miss

	mu     sync.Mutex
	chains map[string]*chainEntry // account id → its channel, as of the account versions in entry.links
}

// chainEntry is one account's channel, cached: Enrichment's strings and slices must be owned by
// the directory and never change (mediation keeps them without copying). links holds the
// account versions it was built from; an account update makes a new version, so a stale entry
// is noticed by pointer and rebuilt, never edited.
type chainEntry struct {
	links   []*billing.Account // the account, its parent, ... up to the vendor
	channel []string           // "kind:id" from the vendor down to the account's seller
}

// newBillingDirectory returns the directory over svc (loaded or not: before Load every lookup
// misses, which rejects records with unknown_subject rather than guess).
func newBillingDirectory(svc *billing.Service) *billingDirectory {
	return &billingDirectory{svc: svc, chains: map[string]*chainEntry{}}
}

// Lookup implements mediation.Directory. The subject is the customer's account id. ok is false
// when no running subscription of the account prices the meter at that instant (unknown
// account, meter not priced, not started, ended, suspended) or when billing's state is not
// usable (a failed write awaiting reload): the record is rejected with its bytes kept, and can
// be replayed from the rejects once the cause is fixed.
//
// On a follower (an instance that is not the billing writer) a miss first brings billing up to
// the ledger (writerLease.catchUp, rate-limited) and looks again: the subscription may have
// been created on the writer since this instance last reloaded.
func (d *billingDirectory) Lookup(subject, meter string, at time.Time) (mediation.Enrichment, bool) {
	lease := d.lease.Load()
	before := lease.reloadsDone()
	e, ok := d.view(subject, meter, at)
	if !ok && lease != nil && lease.catchUp(before) {
		e, ok = d.view(subject, meter, at)
	}
	return e, ok
}

// view answers a lookup from billing's state as it is now.
func (d *billingDirectory) view(subject, meter string, at time.Time) (mediation.Enrichment, bool) {
	var e mediation.Enrichment
	ok := false
	_ = d.svc.View(func(st *billing.State) error {
		e, ok = d.lookup(st, subject, meter, at)
		return nil
	})
	return e, ok
}

func (d *billingDirectory) lookup(st *billing.State, subject, meter string, at time.Time) (mediation.Enrichment, bool) {
	sub, terms, found := st.UsageSubscription(subject, meter, at)
	if !found {
		return mediation.Enrichment{}, false
	}
	cur, found := st.Account(subject)
	if !found {
		return mediation.Enrichment{}, false
	}
	period := sub.PeriodAt(at)
	// The price list billing will invoice the period with: the buyer's as it stands at the
	// period's end (billing/items.go reads AccountAt the boundary). For a period still running
	// that is the current version; for a closed one, the version its invoice used.
	atEnd, found := st.AccountAt(subject, period.To)
	if !found {
		return mediation.Enrichment{}, false
	}
	_, closed := sub.IsBilled(period.To)
	return mediation.Enrichment{
		Account:      sub.Account,
		Subscription: sub.ID,
		PlanID:       terms.PlanID,
		PlanVersion:  terms.PlanVersion,
		// Pools are grouped by the buyer's current pricing group and parent, as billing groups
		// them (billing/cycle_pool.go), so the running totals use the same scopes.
		PricingGroup: cur.PricingGroup,
		Reseller:     cur.Parent,
		Channel:      d.channel(st, cur),
		PriceList:    atEnd.PriceList,
		PeriodStart:  period.From,
		PeriodEnd:    period.To,
		Closed:       closed,
	}, true
}

// maxChain bounds the walk up the parents (billing refuses deeper chains and cycles).
const maxChain = 16

// channel returns the cached channel of acc, rebuilding it when any account on the way up
// changed since it was built. The fast path walks the parents and compares pointers: no
// allocation.
func (d *billingDirectory) channel(st *billing.State, acc *billing.Account) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e := d.chains[acc.ID]; e != nil && fresh(st, e.links, acc) {
		return e.channel
	}
	var links []*billing.Account
	for a, depth := acc, 0; a != nil && depth < maxChain; depth++ {
		links = append(links, a)
		if a.Parent == "" {
			break
		}
		p, ok := st.Account(a.Parent)
		if !ok {
			break
		}
		a = p
	}
	channel := make([]string, 0, len(links)-1)
	for i := len(links) - 1; i >= 1; i-- { // the vendor first; the account itself is Account
		channel = append(channel, string(links[i].Kind)+":"+links[i].ID)
	}
	d.chains[acc.ID] = &chainEntry{links: links, channel: channel}
	return channel
}

// fresh reports whether the cached links are still the accounts' current versions.
func fresh(st *billing.State, links []*billing.Account, acc *billing.Account) bool {
	if links[0] != acc {
		return false
	}
	for i := 1; i < len(links); i++ {
		p, ok := st.Account(links[i-1].Parent)
		if !ok || p != links[i] {
			return false
		}
	}
	last := links[len(links)-1]
	if last.Parent == "" {
		return true
	}
	_, ok := st.Account(last.Parent) // the walk stopped at a missing parent: still missing?
	return !ok && len(links) < maxChain
}
