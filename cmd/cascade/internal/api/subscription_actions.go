package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
)

// changeBody is the body of every POST /v1/subscriptions/{id}/{action}; each action reads the
// fields it needs and refuses the ones it does not take.
type changeBody struct {
	PlanID    string        `json:"plan_id"`
	Seats     decimalString `json:"seats"`
	Timing    string        `json:"timing"`
	Effective string        `json:"effective"`
	Prorate   *bool         `json:"prorate"`
}

// subscriptionAction answers POST /v1/subscriptions/{id}/{action} for one action: it looks the
// subscription up for the caller, decodes the body and runs the state command the action names.
func (a *API) subscriptionAction(action string) func(w http.ResponseWriter, r *http.Request, p Principal) {
	return func(w http.ResponseWriter, r *http.Request, p Principal) {
		id := r.PathValue("id")
		if _, ok := a.subscription(w, p, id); !ok {
			return
		}
		var in changeBody
		if err := decode(w, r, &in, action != "change-plan" && action != "seats"); err != nil {
			a.writeFail(w, r, err)
			return
		}
		cmd, err := changeCommand(action, id, in, p.Actor())
		if err != nil {
			a.writeFail(w, r, err)
			return
		}
		if !a.run(w, r, cmd) {
			return
		}
		if v, ok := a.subscription(w, p, id); ok {
			writeJSON(w, http.StatusOK, v)
		}
	}
}

// changeCommand builds the state command of an action from its body, refusing fields the
// action does not take (a seats value on a cancel is a client bug, not something to ignore).
func changeCommand(action, id string, in changeBody, actor string) (billing.Command, error) {
	eff, err := parseTime("effective", in.Effective)
	if err != nil {
		return nil, err
	}
	timing := billing.Timing(in.Timing)
	prorate := in.Prorate != nil && *in.Prorate
	takes := map[string][]string{
		"cancel": {"timing", "effective"}, "change-plan": {"plan_id", "timing", "effective", "prorate"},
		"seats": {"seats", "timing", "effective", "prorate"}, "suspend": {"effective"}, "resume": {"effective"},
	}[action]
	given := map[string]bool{"plan_id": in.PlanID != "", "seats": in.Seats.set, "timing": in.Timing != "",
		"effective": in.Effective != "", "prorate": in.Prorate != nil}
	for _, f := range []string{"plan_id", "seats", "timing", "effective", "prorate"} {
		if given[f] && !slices.Contains(takes, f) {
			return nil, invalid(f, "is not a field of %s", action)
		}
	}
	switch action {
	case "cancel":
		c := billing.Cancellation{Subscription: id, Timing: timing, Effective: eff}
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.Cancel(c, at, actor) }, nil
	case "change-plan":
		if err := required("plan_id", in.PlanID); err != nil {
			return nil, err
		}
		c := billing.PlanChange{Subscription: id, PlanID: in.PlanID, Timing: timing, Effective: eff, Prorate: prorate}
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.ChangePlan(c, at, actor) }, nil
	case "seats":
		seats, err := decimalField("seats", in.Seats, true)
		if err != nil {
			return nil, err
		}
		c := billing.SeatChange{Subscription: id, Seats: seats, Timing: timing, Effective: eff, Prorate: prorate}
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.ChangeSeats(c, at, actor) }, nil
	case "suspend":
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.Suspend(id, eff, at, actor) }, nil
	default: // resume: the route table names only these five actions
		return func(st *billing.State, at time.Time) ([]ledger.Event, error) { return st.Resume(id, eff, at, actor) }, nil
	}
}
