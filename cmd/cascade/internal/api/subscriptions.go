package api

import (
	"net/http"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
)

// subscriptionView is a subscription as the API shows it: its latest recorded terms, its status
// now, and how far it is billed.
type subscriptionView struct {
	ID            string  `json:"id"`
	Account       string  `json:"account"`
	PlanID        string  `json:"plan_id"`
	PlanVersion   int     `json:"plan_version"`
	Seats         string  `json:"seats"`
	Status        string  `json:"status"`
	Start         *string `json:"start"`
	TrialEnd      *string `json:"trial_end,omitempty"`
	Term          string  `json:"term,omitempty"`
	AutoRenew     bool    `json:"auto_renew"`
	BillingDay    int     `json:"billing_day"`
	Coupon        string  `json:"coupon,omitempty"`
	End           *string `json:"end,omitempty"`
	Cancelled     bool    `json:"cancelled"`
	LastBilled    *string `json:"last_billed,omitempty"`
	BilledThrough *string `json:"billed_through,omitempty"`
}

func viewSubscription(s *billing.Subscription, now time.Time) subscriptionView {
	return subscriptionView{ID: s.ID, Account: s.Account, PlanID: s.PlanID, PlanVersion: s.PlanVersion,
		Seats: s.Seats.String(), Status: string(s.StatusAt(now)), Start: utc(s.Start), TrialEnd: utc(s.TrialEnd),
		Term: string(s.Term), AutoRenew: s.AutoRenew, BillingDay: s.BillingDay, Coupon: s.Coupon, End: utc(s.End),
		Cancelled: s.Cancelled, LastBilled: utc(s.LastBilled), BilledThrough: utc(s.BilledThrough())}
}

// subscription looks a subscription up for p: one of an account outside p's subtree is a 404.
func (a *API) subscription(w http.ResponseWriter, p Principal, id string) (subscriptionView, bool) {
	var out subscriptionView
	found := false
	now := a.cfg.Now()
	err := a.cfg.Billing.View(func(st *billing.State) error {
		if s, ok := st.Subscription(id); ok {
			out, found = viewSubscription(s, now), true
		}
		return nil
	})
	if err != nil {
		a.stateUnavailable(w, "subscription", id, err)
		return subscriptionView{}, false
	}
	if !found || !a.visible(p, out.Account) {
		notFoundForPartner(w, "subscription", id)
		return subscriptionView{}, false
	}
	return out, true
}

// listSubscriptions answers GET /v1/accounts/{id}/subscriptions.
func (a *API) listSubscriptions(w http.ResponseWriter, r *http.Request, p Principal) {
	acc, ok := a.account(w, p, r.PathValue("id"))
	if !ok {
		return
	}
	now := a.cfg.Now()
	out := []subscriptionView{}
	_ = a.cfg.Billing.View(func(st *billing.State) error {
		for _, s := range st.AccountSubscriptions(acc.ID) {
			out = append(out, viewSubscription(s, now))
		}
		return nil
	})
	writeJSON(w, http.StatusOK, map[string]any{"subscriptions": out})
}

// getSubscription answers GET /v1/subscriptions/{id}.
func (a *API) getSubscription(w http.ResponseWriter, r *http.Request, p Principal) {
	if v, ok := a.subscription(w, p, r.PathValue("id")); ok {
		writeJSON(w, http.StatusOK, v)
	}
}

// newSubscriptionBody is POST /v1/subscriptions.
type newSubscriptionBody struct {
	ID        string        `json:"id"`
	Account   string        `json:"account"`
	PlanID    string        `json:"plan_id"`
	Seats     decimalString `json:"seats"`
	Coupon    string        `json:"coupon"`
	Start     string        `json:"start"`
	TrialDays *int          `json:"trial_days"`
	Term      string        `json:"term"`
	AutoRenew bool          `json:"auto_renew"`
}

// createSubscription answers POST /v1/subscriptions: the account must be one the caller may
// manage (a partner: within its subtree).
func (a *API) createSubscription(w http.ResponseWriter, r *http.Request, p Principal) {
	var in newSubscriptionBody
	if err := decode(w, r, &in, false); err != nil {
		a.writeFail(w, r, err)
		return
	}
	ns := billing.NewSubscription{ID: in.ID, Account: in.Account, PlanID: in.PlanID, Coupon: in.Coupon,
		TrialDays: in.TrialDays, Term: billing.Term(in.Term), AutoRenew: in.AutoRenew}
	var err error
	if err = firstErr(required("id", in.ID), required("account", in.Account), required("plan_id", in.PlanID),
		required("start", in.Start)); err == nil {
		if ns.Start, err = parseTime("start", in.Start); err == nil {
			ns.Seats, err = decimalField("seats", in.Seats, false)
		}
	}
	if err != nil {
		a.writeFail(w, r, err)
		return
	}
	if _, ok := a.account(w, p, in.Account); !ok {
		return
	}
	if !a.run(w, r, func(st *billing.State, at time.Time) ([]ledger.Event, error) {
		return st.CreateSubscription(ns, at, p.Actor())
	}) {
		return
	}
	if v, ok := a.subscription(w, p, in.ID); ok {
		writeJSON(w, http.StatusCreated, v)
	}
}

// run runs one billing command and answers its error; it says whether it succeeded.
func (a *API) run(w http.ResponseWriter, r *http.Request, cmd billing.Command) bool {
	if err := a.cfg.Billing.Do(r.Context(), cmd); err != nil {
		a.writeFail(w, r, err)
		return false
	}
	return true
}

// firstErr returns the first non-nil error: field checks in the order of the body.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
