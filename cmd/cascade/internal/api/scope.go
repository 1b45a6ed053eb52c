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
