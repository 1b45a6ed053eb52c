package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

type moreConsumption struct {
	Account  string `json:"account"`
	Currency string `json:"currency"`
	Meters   []struct {
		Meter  string `json:"meter"`
		Unit   string `json:"unit"`
		Total  string `json:"total"`
		Events uint64 `json:"events"`
		Days   []struct {
			Day      string `json:"day"`
			Quantity string `json:"quantity"`
		} `json:"days"`
	} `json:"meters"`
}

func TestConsumptionReportScoped(t *testing.T) {
	w := newMoreWorld(t, false)
	usage := []ledger.Usage{
		{EventID: "a", Account: "C1", Meter: "calls", Quantity: decimal.RequireFromString("0.000000001"), EventTime: time.Date(2026, 10, 3, 1, 0, 0, 0, time.UTC)},
		{EventID: "b", Account: "C1", Meter: "calls", Quantity: decimal.RequireFromString("1234.5"), EventTime: time.Date(2026, 10, 3, 23, 0, 0, 0, time.UTC)},
		{EventID: "c", Account: "C1", Meter: "calls", Quantity: decimal.RequireFromString("2"), EventTime: time.Date(2026, 10, 31, 23, 59, 59, 0, time.UTC)},
		{EventID: "d", Account: "C1", Meter: "calls", Quantity: decimal.RequireFromString("99"), EventTime: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		{EventID: "e", Account: "C2", Meter: "calls", Quantity: decimal.RequireFromString("5"), EventTime: time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)},
	}
	for i := range usage {
		usage[i].Source, usage[i].IngestTime = "V", usage[i].EventTime
	}
	if err := w.store.WriteUsage(context.Background(), usage); err != nil {
		t.Fatal(err)
	}
	// Expected for C1 in October, from the rows above.
	wantDays := map[string]decimal.Decimal{}
	total := decimal.Zero
	events := uint64(0)
	for _, u := range usage {
		if u.Account == "C1" && u.EventTime.Month() == time.October {
			day := u.EventTime.Format(time.DateOnly)
			wantDays[day] = wantDays[day].Add(u.Quantity)
			total = total.Add(u.Quantity)
			events++
		}
	}
	for _, key := range []string{"reseller-1", "dist", "vendor-v", "analyst", "finance", "admin"} {
		var got moreConsumption
		w.callJSON("GET", "/v1/reports/consumption?account=C1&period=2026-10", key, nil, http.StatusOK, &got)
		if got.Account != "C1" || got.Currency != "EUR" || len(got.Meters) != 1 {
			t.Fatalf("%s: report %+v", key, got)
		}
		m := got.Meters[0]
		if m.Meter != "calls" || m.Unit != "call" || m.Total != total.String() || m.Events != events || len(m.Days) != len(wantDays) {
			t.Fatalf("%s: meter %+v, want total %s events %d days %v", key, m, total, events, wantDays)
		}
		for _, d := range m.Days {
			if want, ok := wantDays[d.Day]; !ok || d.Quantity != want.String() {
				t.Fatalf("%s: day %s = %s, want %s", key, d.Day, d.Quantity, want)
			}
		}
	}
	for _, tc := range []struct {
		name, query, key string
		status           int
	}{
		{"another reseller's customer", "?account=C1&period=2026-10", "reseller-2", http.StatusNotFound},
		{"another vendor's channel", "?account=C1&period=2026-10", "vendor-w", http.StatusNotFound},
		{"unknown account", "?account=NOPE&period=2026-10", "admin", http.StatusNotFound},
		{"no account", "?period=2026-10", "admin", http.StatusBadRequest},
		{"bad period", "?account=C1&period=2026-13", "admin", http.StatusBadRequest},
		{"day period", "?account=C1&period=2026-10-01", "admin", http.StatusBadRequest},
		{"no key", "?account=C1&period=2026-10", "", http.StatusUnauthorized},
	} {
		status, b := w.call("GET", "/v1/reports/consumption"+tc.query, tc.key, nil)
		if status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, status, tc.status, b)
		}
	}
	// Same 404 body for an invisible and an unknown account: ids cannot be probed.
	_, hidden := w.call("GET", "/v1/reports/consumption?account=C1&period=2026-10", "reseller-2", nil)
	_, unknown := w.call("GET", "/v1/reports/consumption?account=C9&period=2026-10", "reseller-2", nil)
	if moreError(t, hidden).Error.Code != moreError(t, unknown).Error.Code {
		t.Fatalf("hidden %s vs unknown %s", hidden, unknown)
	}
}
