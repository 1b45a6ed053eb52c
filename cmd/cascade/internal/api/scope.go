package api

import "github.com/cascade-billing/cascade/billing"

// maxDepth bounds the walk up the channel (billing refuses deeper chains).
const maxDepth = 16

// visible says whether p may see account id: admin, finance and analyst see every account; a
// partner sees its own account and every account below it (walking Parent links up from id).
func (a *API) visible(p Principal, id string) bool {
	if !p.Role.IsPartner() {
		return true
	}
	ok := false
	_ = a.cfg.Billing.View(func(st *billing.State) error {
		cur := id
		for depth := 0; cur != "" && depth < maxDepth; depth++ {
			if cur == p.Partner {
				ok = true
				return nil
			}
			acc, found := st.Account(cur)
			if !found {
				return nil
			}
			cur = acc.Parent
		}
		return nil
	})
	return ok
}

// partnerMismatch says why a partner key may not act ("" when it may): the account it names
// exists but is not of the key's role (a reseller key naming a vendor account would otherwise
// see the vendor's whole subtree). A partner without an account yet passes: it sees nothing
// below it, and a vendor drafts its catalog by its catalog vendor id.
func (a *API) partnerMismatch(p Principal) string {
	if !p.Role.IsPartner() {
		return ""
	}
	msg := ""
	_ = a.cfg.Billing.View(func(st *billing.State) error {
		if acc, ok := st.Account(p.Partner); ok && string(acc.Kind) != string(p.Role) {
			msg = "key " + p.Name + " is a " + string(p.Role) + " key, but its partner " + p.Partner + " is a " + string(acc.Kind) + " account"
		}
		return nil
	})
	return msg
}
