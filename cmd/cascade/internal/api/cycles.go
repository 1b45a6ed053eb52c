package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// cycleBody is POST /v1/cycles.
type cycleBody struct {
	AsOf string `json:"as_of"`
}

// cycleView is a cycle's report. Complete is false when invoices could not be built: the
// others were issued, Failed says which were not and why, and the next run retries them.
type cycleView struct {
	AsOf          string        `json:"as_of"`
	Complete      bool          `json:"complete"`
	Invoices      int           `json:"invoices"`
	AlreadyIssued int           `json:"already_issued"`
	Empty         int           `json:"empty"`
	Subscriptions int           `json:"subscriptions"`
	Issued        []string      `json:"issued"`
	Failed        []failureView `json:"failed"`
}

// failureView is one invoice a cycle could not build.
type failureView struct {
	Issuer   string `json:"issuer"`
	Buyer    string `json:"buyer"`
	Boundary string `json:"boundary"`
	Error    string `json:"error"`
}

// runCycle answers POST /v1/cycles (finance, admin): it issues every invoice due at or before
// as_of (default now; never later than now). A cycle that skipped invoices still answers 200, since what it issued
// is issued, but with complete false and the failures listed: ErrIncomplete is never hidden
// behind a plain success.
func (a *API) runCycle(w http.ResponseWriter, r *http.Request, _ Principal) {
	var in cycleBody
	if err := decode(w, r, &in, true); err != nil {
		a.writeFail(w, r, err)
		return
	}
	asOf, err := parseTime("as_of", in.AsOf)
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	now := a.cfg.Now().UTC()
	switch {
	case asOf.IsZero():
		asOf = now
	case asOf.After(now):
		// A cycle ahead of the clock would close periods whose usage is still arriving.
		writeError(w, http.StatusBadRequest, "invalid", "as_of: "+asOf.Format(time.RFC3339)+" is after now ("+now.Format(time.RFC3339)+")", "as_of")
		return
	}
	if a.cfg.BeforeCycle != nil {
		if err := a.cfg.BeforeCycle(r.Context()); err != nil {
			a.cfg.Logger.Warn("invoice cycle refused: mediation behind", "as_of", asOf, "err", err)
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "unavailable",
				"usage accepted so far is not all in the ledger yet ("+err.Error()+"); nothing was issued, retry", "")
			return
		}
	}
	rep, err := a.cfg.Billing.RunCycle(r.Context(), asOf)
	if err != nil && !errors.Is(err, billing.ErrIncomplete) {
		a.writeFail(w, r, err)
		return
	}
	v := cycleView{AsOf: rep.AsOf.Format(time.RFC3339), Complete: err == nil, Invoices: rep.Invoices,
		AlreadyIssued: rep.AlreadyIssued, Empty: rep.Empty, Subscriptions: rep.Subscriptions,
		Issued: append([]string{}, rep.Issued...), Failed: []failureView{}}
	for _, f := range rep.Failed {
		v.Failed = append(v.Failed, failureView{Issuer: f.Issuer, Buyer: f.Buyer, Boundary: f.Boundary.UTC().Format(time.RFC3339), Error: f.Err.Error()})
	}
	if err != nil && len(v.Failed) == 0 {
		// Incomplete without a listed failure would read as success: say it in the report.
		v.Failed = append(v.Failed, failureView{Error: err.Error()})
	}
	writeJSON(w, http.StatusOK, v)
}
