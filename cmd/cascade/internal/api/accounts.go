package api

import (
	"net/http"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
)

// subtree returns the accounts p may see (nil: every account, for finance, analyst and admin):
// its own and every one below it. One pass over the state, for the list endpoints, rather than
// a walk up the chain per row.
func (a *API) subtree(p Principal) map[string]bool {
	if !p.Role.IsPartner() {
		return nil
	}
	out := map[string]bool{}
	_ = a.cfg.Billing.View(func(st *billing.State) error {
		parent := map[string]string{}
		for _, acc := range st.Accounts() {
			parent[acc.ID] = acc.Parent
		}
		for id := range parent {
			cur := id
			for depth := 0; cur != "" && depth < maxDepth; depth++ {
				if cur == p.Partner {
					out[id] = true
					break
				}
				cur = parent[cur]
			}
		}
		return nil
	})
	return out
}

// in says whether id is in a subtree set (nil: everything).
func in(set map[string]bool, id string) bool { return set == nil || set[id] }

// account looks an account up for p: a missing account and one outside p's subtree are the
// same 404.
func (a *API) account(w http.ResponseWriter, p Principal, id string) (billing.Account, bool) {
	var out billing.Account
	found := false
	err := a.cfg.Billing.View(func(st *billing.State) error {
		if acc, ok := st.Account(id); ok {
			out, found = *acc, true
		}
		return nil
	})
	if err != nil {
		a.stateUnavailable(w, "account", id, err)
		return billing.Account{}, false
	}
	if !found || !a.visible(p, id) {
		notFoundForPartner(w, "account", id)
		return billing.Account{}, false
	}
	return out, true
}

// stateUnavailable answers a lookup whose billing state could not be read (not loaded, or
// broken by a failed write): a 500, never a 404 that would read as "no such id".
func (a *API) stateUnavailable(w http.ResponseWriter, what, id string, err error) {
	a.cfg.Logger.Error("api: billing state unavailable", what, id, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "the request failed; the server log has the details", "")
}

// listAccounts answers GET /v1/accounts: the accounts the caller may see, optionally of one
// kind or below one parent, sorted by id.
func (a *API) listAccounts(w http.ResponseWriter, r *http.Request, p Principal) {
	kind, parent := r.URL.Query().Get("kind"), r.URL.Query().Get("parent")
	set := a.subtree(p)
	out := []billing.Account{}
	_ = a.cfg.Billing.View(func(st *billing.State) error {
		for _, acc := range st.Accounts() {
			if in(set, acc.ID) && (kind == "" || string(acc.Kind) == kind) && (parent == "" || acc.Parent == parent) {
				out = append(out, *acc)
			}
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"accounts": out})
}

// getAccount answers GET /v1/accounts/{id}.
func (a *API) getAccount(w http.ResponseWriter, r *http.Request, p Principal) {
	if acc, ok := a.account(w, p, r.PathValue("id")); ok {
		writeJSON(w, http.StatusOK, acc)
	}
}

// createAccount answers POST /v1/accounts. An admin creates any account; a distributor or a
// reseller only accounts directly below itself (its parent must be the caller), so a partner
// cannot graft accounts onto another partner's chain.
func (a *API) createAccount(w http.ResponseWriter, r *http.Request, p Principal) {
	var in billing.Account
	if err := decode(w, r, &in, false); err != nil {
		a.writeFail(w, r, err)
		return
	}
	if err := required("id", in.ID); err != nil {
		a.writeFail(w, r, err)
		return
	}
	if p.Role.IsPartner() && in.Parent != p.Partner {
		writeError(w, http.StatusForbidden, "forbidden",
			"parent: a "+string(p.Role)+" key may create accounts only directly below "+p.Partner, "parent")
		return
	}
	err := a.cfg.Billing.Do(r.Context(), func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.CreateAccount(in, at, p.Actor())
	})
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	if acc, ok := a.account(w, p, in.ID); ok {
		writeJSON(w, http.StatusCreated, acc)
	}
}

// balanceView is an account's balance as the API shows it: amounts as strings with the
// currency's minor digits.
type balanceView struct {
	Account  string     `json:"account"`
	Currency string     `json:"currency"`
	Due      string     `json:"due"`
	Credit   string     `json:"credit"`
	Open     []openView `json:"open"`
	Overpaid []openView `json:"overpaid"`
}

// openView is one invoice with money open (or overpaid).
type openView struct {
	ID       string  `json:"id"`
	Number   string  `json:"number"`
	IssuedAt *string `json:"issued_at,omitempty"`
	DueAt    *string `json:"due_at,omitempty"`
	Total    string  `json:"total"`
	Credited string  `json:"credited"`
	Paid     string  `json:"paid"`
	Open     string  `json:"open"`
}

func openViews(os []billing.OpenInvoice, currency string) []openView {
	out := make([]openView, 0, len(os))
	for _, o := range os {
		out = append(out, openView{ID: o.ID, Number: o.Number, IssuedAt: utc(o.IssuedAt), DueAt: utc(o.DueAt),
			Total: money(o.Total, currency), Credited: money(o.Credited, currency), Paid: money(o.Paid, currency),
			Open: money(o.Open, currency)})
	}
	return out
}

// getBalance answers GET /v1/accounts/{id}/balance.
func (a *API) getBalance(w http.ResponseWriter, r *http.Request, p Principal) {
	acc, ok := a.account(w, p, r.PathValue("id"))
	if !ok {
		return
	}
	b := a.cfg.Billing.Balance(acc.ID)
	cur := b.Currency
	if cur == "" {
		cur = acc.Currency
	}
	writeJSON(w, http.StatusOK, balanceView{Account: acc.ID, Currency: cur, Due: money(b.Due, cur),
		Credit: money(b.Credit, cur), Open: openViews(b.Open, cur), Overpaid: openViews(b.Overpaid, cur)})
}
