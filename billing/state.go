package billing

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
)

// State is billing's in-memory state: accounts and subscriptions, rebuilt from ledger events.
// Not safe for concurrent use: the Service serialises commands with a mutex.
//
// Commands (CreateAccount, ChangePlan, Cancel...) validate against the state and return the
// events to write without changing anything; the caller writes them in one WriteEvents call and
// then Applies them. A command that fails therefore leaves nothing half-written, and the state
// only ever holds what the ledger holds.
type State struct {
	cat         *rating.Catalog
	taxes       *TaxRules // nil: accounts' tax_jurisdiction is only checked non-empty (UseTaxRules)
	accounts    map[string]*Account
	accountLog  map[string][]accountVersion // every version of each account, oldest first
	accountSeq  map[string]uint64
	subs        map[string]*Subscription
	subsOf      map[string][]string // account id → subscription ids, in creation order (insertByCreation)
	redemptions map[string]int      // coupon code → subscriptions that redeemed it
	maxBackdate time.Duration       // bounds commands' subscription dates; 0: DefaultMaxBackdate (UseMaxBackdate)
}

// NewState returns an empty state that validates plans and coupons against cat.
func NewState(cat *rating.Catalog) *State {
	return &State{cat: cat, accounts: map[string]*Account{}, accountLog: map[string][]accountVersion{}, accountSeq: map[string]uint64{},
		subs: map[string]*Subscription{}, subsOf: map[string][]string{}, redemptions: map[string]int{}}
}

// Apply applies one written event: at start for every stored event (sorted by aggregate and
// seq), and after each command for the events it returned. An event whose seq is not the
// aggregate's next one means the log and memory disagree (a gap, a repeat, two writers): it is
// refused with an error naming the aggregate and seq, and nothing is changed. Events of other
// aggregates (documents, number series) are not billing state and are ignored.
func (s *State) Apply(ev ledger.Event) error {
	kind, id := splitAggregate(ev.Aggregate)
	switch kind {
	case "account":
		return s.applyAccount(id, ev)
	case "subscription":
		return s.applySubscription(id, ev)
	}
	return nil
}

func stateSeqError(ev ledger.Event, next uint64) error {
	return fmt.Errorf("apply %s: seq %d, want %d (a gap or a repeat: the event log and the state disagree): %w",
		ev.Aggregate, ev.Seq, next, ErrConflict)
}

func (s *State) applyAccount(id string, ev ledger.Event) error {
	if next := s.accountSeq[id] + 1; ev.Seq != next {
		return stateSeqError(ev, next)
	}
	var a Account
	if err := json.Unmarshal(ev.Data, &a); err != nil {
		return fmt.Errorf("apply %s: decode %s: %v: %w", ev.Key(), ev.Type, err, ErrInvalid)
	}
	if a.ID != id {
		return fmt.Errorf("apply %s: payload names account %q: %w", ev.Key(), a.ID, ErrInvalid)
	}
	switch ev.Type {
	case EventCreated, EventUpdated:
	default:
		return fmt.Errorf("apply %s: unknown account event type %q: %w", ev.Key(), ev.Type, ErrInvalid)
	}
	if (ev.Type == EventCreated) != (ev.Seq == 1) {
		return fmt.Errorf("apply %s: %s at seq %d: %w", ev.Key(), ev.Type, ev.Seq, ErrInvalid)
	}
	s.accounts[id] = &a
	s.accountSeq[id] = ev.Seq
	s.accountLog[id] = append(s.accountLog[id], accountVersion{at: ev.At.UTC(), account: &a})
	return nil
}

// accountVersion is an account as one of its events left it, from the event's instant on.
type accountVersion struct {
	at      time.Time
	account *Account
}

// AccountAt returns the account as it stood at t: the last version recorded at or before t
// (the first version for an earlier t). Items read the buyer's price list through it, so an
// invoice cut at a boundary uses the terms the buyer had then, whenever the cycle runs.
func (s *State) AccountAt(id string, t time.Time) (*Account, bool) {
	vs := s.accountLog[id]
	if len(vs) == 0 {
		return nil, false
	}
	// Versions are in seq order; a clock that stepped back could leave their instants out of
	// order, so scan rather than binary-search (accounts have a handful of versions).
	for i := len(vs) - 1; i > 0; i-- {
		if !vs[i].at.After(t) {
			return vs[i].account, true
		}
	}
	return vs[0].account, true
}

// Account returns the account with that id.
func (s *State) Account(id string) (*Account, bool) {
	a, ok := s.accounts[id]
	return a, ok
}

// Accounts returns every account, sorted by id.
func (s *State) Accounts() []*Account {
	out := make([]*Account, 0, len(s.accounts))
	for _, a := range s.accounts {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Subscription returns the subscription with that id.
func (s *State) Subscription(id string) (*Subscription, bool) {
	sub, ok := s.subs[id]
	return sub, ok
}

// Subscriptions returns every subscription, sorted by id.
func (s *State) Subscriptions() []*Subscription {
	out := make([]*Subscription, 0, len(s.subs))
	for _, sub := range s.subs {
		out = append(out, sub)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AccountSubscriptions returns an account's subscriptions in creation order.
func (s *State) AccountSubscriptions(accountID string) []*Subscription {
	ids := s.subsOf[accountID]
	out := make([]*Subscription, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.subs[id])
	}
	return out
}

// IsBilled reports whether the subscription's boundary has been recorded as billed.
func (s *State) IsBilled(subID string, boundary time.Time) bool {
	sub, ok := s.subs[subID]
	if !ok {
		return false
	}
	_, billed := sub.IsBilled(boundary)
	return billed
}

// Redemptions returns how many subscriptions have redeemed a coupon.
func (s *State) Redemptions(code string) int { return s.redemptions[code] }
