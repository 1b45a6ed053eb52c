package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/cascade-billing/cascade/billing"
)

// consumptionView is GET /v1/reports/consumption's answer: exact decimal strings, days as
// YYYY-MM-DD (UTC), the period as its first and next month's first instant.
type consumptionView struct {
	Account  string                 `json:"account"`
	Currency string                 `json:"currency"`
	Period   billing.Period         `json:"period"`
	Meters   []meterConsumptionView `json:"meters"`
}

type meterConsumptionView struct {
	Meter  string       `json:"meter"`
	Unit   string       `json:"unit,omitempty"`
	Total  string       `json:"total"`
	Events uint64       `json:"events"`
	Days   []dayQtyView `json:"days"`
}

type dayQtyView struct {
	Day      string `json:"day"`
	Quantity string `json:"quantity"`
}

// consumptionMonth parses period=YYYY-MM into that calendar month, UTC.
func consumptionMonth(v string) (billing.Period, error) {
	t, err := time.Parse("2006-01", v)
	if err != nil {
		return billing.Period{}, fmt.Errorf("%q is not YYYY-MM", v)
	}
	return billing.Period{From: t, To: t.AddDate(0, 1, 0)}, nil
}

// getConsumption: GET /v1/reports/consumption?account=&period=YYYY-MM[&meter=]. A partner
// sees only accounts of its subtree (another's is the same 404 as an unknown id).
func (a *API) getConsumption(w http.ResponseWriter, r *http.Request, p Principal) {
	q := r.URL.Query()
	account := q.Get("account")
	if account == "" {
		writeError(w, http.StatusBadRequest, "invalid", "account: required", "account")
		return
	}
	period, err := consumptionMonth(q.Get("period"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "period: "+err.Error(), "period")
		return
	}
	if !a.visible(p, account) {
		notFoundForPartner(w, "account", account)
		return
	}
	rep, err := a.cfg.Billing.Consumption(r.Context(), billing.ConsumptionQuery{Account: account, Period: period, Meter: q.Get("meter")})
	if err != nil {
		a.writeBillingError(w, r, err)
		return
	}
	out := consumptionView{Account: rep.Account, Currency: rep.Currency, Period: rep.Period, Meters: []meterConsumptionView{}}
	for _, m := range rep.Meters {
		mv := meterConsumptionView{Meter: m.Meter, Unit: m.Unit, Total: m.Total.String(), Events: m.Events, Days: []dayQtyView{}}
		for _, d := range m.Days {
			mv.Days = append(mv.Days, dayQtyView{Day: d.Day.UTC().Format(time.DateOnly), Quantity: d.Quantity.String()})
		}
		out.Meters = append(out.Meters, mv)
	}
	writeJSON(w, http.StatusOK, out)
}
