package billing

import (
	"fmt"
	"slices"
	"strings"
)

// parentKinds says which kinds may sell to a kind: the channel's shape. A vendor sells to
// distributors (and customers), a distributor to resellers (and customers), a reseller to
// customers; nobody sells to a vendor. ok is false for an unknown kind.
func parentKinds(k AccountKind) (allowed []AccountKind, ok bool) {
	switch k {
	case KindVendor:
		return nil, true
	case KindDistributor:
		return []AccountKind{KindVendor}, true
	case KindReseller:
		return []AccountKind{KindDistributor}, true
	case KindCustomer:
		return []AccountKind{KindReseller, KindDistributor, KindVendor}, true
	}
	return nil, false
}

// maxChainDepth is the longest possible chain (vendor → distributor → reseller → customer);
// a longer walk can only be a cycle.
const maxChainDepth = 4

// validateParent checks the kind and the parent rules: the parent exists, has a kind allowed to
// sell to this one, and walking up from it never comes back to the account.
func (s *State) validateParent(a *Account) error {
	allowed, ok := parentKinds(a.Kind)
	if !ok {
		return fmt.Errorf("account %s: kind: %q: want vendor, distributor, reseller or customer: %w", a.ID, a.Kind, ErrInvalid)
	}
	if a.Kind == KindVendor {
		if a.Parent != "" {
			return fmt.Errorf("account %s: parent: a vendor has no parent, got %q: %w", a.ID, a.Parent, ErrInvalid)
		}
		return nil
	}
	if a.Parent == "" {
		return fmt.Errorf("account %s: parent: required for a %s: %w", a.ID, a.Kind, ErrInvalid)
	}
	p, ok := s.accounts[a.Parent]
	if !ok {
		return fmt.Errorf("account %s: parent: %s not found: %w", a.ID, a.Parent, ErrNotFound)
	}
	if !slices.Contains(allowed, p.Kind) {
		return fmt.Errorf("account %s: parent: %s %s cannot sell to a %s (want %v): %w", a.ID, p.Kind, p.ID, a.Kind, allowed, ErrInvalid)
	}
	for cur, depth := p, 1; cur.Parent != ""; depth++ {
		if cur.Parent == a.ID || depth > maxChainDepth {
			return fmt.Errorf("account %s: parent: %s leads back to %s (a cycle): %w", a.ID, a.Parent, a.ID, ErrInvalid)
		}
		if cur, ok = s.accounts[cur.Parent]; !ok {
			break
		}
	}
	return nil
}

// Issuer returns the account that invoices buyerID: its Parent.
func (s *State) Issuer(buyerID string) (*Account, error) {
	b, ok := s.accounts[buyerID]
	if !ok {
		return nil, fmt.Errorf("issuer of %s: account %s: %w", buyerID, buyerID, ErrNotFound)
	}
	if b.Parent == "" {
		return nil, fmt.Errorf("issuer of %s: a %s has no parent to invoice it: %w", buyerID, b.Kind, ErrInvalid)
	}
	p, ok := s.accounts[b.Parent]
	if !ok {
		return nil, fmt.Errorf("issuer of %s: parent %s: %w", buyerID, b.Parent, ErrNotFound)
	}
	return p, nil
}

// Chain returns the channel from the vendor down to the account, as "kind:id" entries:
// "vendor:V", "distributor:D", "reseller:R", "customer:C" (levels the account does not go
// through are absent). Revenue splits walk it.
func (s *State) Chain(accountID string) ([]string, error) {
	var out []string
	id := accountID
	for depth := 0; id != ""; depth++ {
		if depth >= maxChainDepth {
			return nil, fmt.Errorf("chain of %s: longer than %d levels (a cycle): %w", accountID, maxChainDepth, ErrInvalid)
		}
		a, ok := s.accounts[id]
		if !ok {
			return nil, fmt.Errorf("chain of %s: account %s: %w", accountID, id, ErrNotFound)
		}
		out = append(out, string(a.Kind)+":"+a.ID)
		id = a.Parent
	}
	slices.Reverse(out)
	if k, _, _ := strings.Cut(out[0], ":"); k != string(KindVendor) {
		return nil, fmt.Errorf("chain of %s: starts at %s, not at a vendor: %w", accountID, out[0], ErrInvalid)
	}
	return out, nil
}
