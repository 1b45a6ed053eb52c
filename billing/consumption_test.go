package billing_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/shopspring/decimal"
)

// consEvent is one usage event the consumption test writes; the expected report is computed
// from the same list, so no total is hard-coded.
type consEvent struct {
	id, account, meter, qty string
	at                      time.Time
}

func TestConsumptionReport(t *testing.T) {
	w := newSvcWorld(t, ledgertest.NewMemStore())
	w.channel(2)
	oct := billing.Period{From: billingtest.Day(2026, 10, 1), To: billingtest.Day(2026, 11, 1)}
	events := []consEvent{
		{"e1", "K1", "calls", "10.5", billingtest.Day(2026, 10, 1).Add(time.Hour)},
		{"e2", "K1", "calls", "0.000000001", billingtest.Day(2026, 10, 1).Add(23 * time.Hour)},
		{"e3", "K1", "calls", "7", billingtest.Day(2026, 10, 31).Add(23*time.Hour + 59*time.Minute)},
		{"e4", "K1", "storage", "1.25", billingtest.Day(2026, 10, 15)},
		{"e5", "K1", "calls", "1000", billingtest.Day(2026, 11, 1)},                // outside the period
		{"e6", "K1", "calls", "999", billingtest.Day(2026, 9, 30)},                 // outside the period
		{"e7", "K2", "calls", "3", billingtest.Day(2026, 10, 2)},                   // another account
		{"e1", "K1", "calls", "10.5", billingtest.Day(2026, 10, 1).Add(time.Hour)}, // a replay: counted once
	}
	for _, e := range events {
		w.meterUsage(e.meter, e.id, e.account, "S1", e.qty, e.at, e.at)
	}
	units := map[string]string{"calls": "call", "storage": ""}

	tests := []struct {
		name    string
		q       billing.ConsumptionQuery
		meters  []string // meters expected in the report, in order
		wantErr error
	}{
		{name: "every meter", q: billing.ConsumptionQuery{Account: "K1", Period: oct}, meters: []string{"calls", "storage"}},
		{name: "one meter", q: billing.ConsumptionQuery{Account: "K1", Period: oct, Meter: "storage"}, meters: []string{"storage"}},
		{name: "a meter without usage is a zero", q: billing.ConsumptionQuery{Account: "K2", Period: oct, Meter: "storage"}, meters: []string{"storage"}},
		{name: "other account", q: billing.ConsumptionQuery{Account: "K2", Period: oct}, meters: []string{"calls"}},
		{name: "unknown account", q: billing.ConsumptionQuery{Account: "NOPE", Period: oct}, wantErr: billing.ErrNotFound},
		{name: "no account", q: billing.ConsumptionQuery{Period: oct}, wantErr: billing.ErrInvalid},
		{name: "empty period", q: billing.ConsumptionQuery{Account: "K1", Period: billing.Period{From: oct.To, To: oct.From}}, wantErr: billing.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := w.svc.Consumption(context.Background(), tc.q)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Account != tc.q.Account || rep.Currency != "EUR" || !rep.Period.From.Equal(oct.From) || !rep.Period.To.Equal(oct.To) {
				t.Fatalf("header = %s %s %v, want %s EUR %v", rep.Account, rep.Currency, rep.Period, tc.q.Account, oct)
			}
			var got []string
			for _, m := range rep.Meters {
				got = append(got, m.Meter)
				want := expectMeter(events, tc.q.Account, m.Meter, oct)
				want.Unit = units[m.Meter]
				if d := diffMeter(m, want); d != "" {
					t.Errorf("meter %s: %s", m.Meter, d)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.meters) {
				t.Fatalf("meters = %v, want %v", got, tc.meters)
			}
		})
	}
}

// expectMeter is the reference: distinct (id) events of the account and meter in the period,
// summed per UTC day.
func expectMeter(events []consEvent, account, meter string, p billing.Period) billing.MeterConsumption {
	out := billing.MeterConsumption{Meter: meter, Total: decimal.Zero}
	seen := map[string]bool{}
	days := map[time.Time]decimal.Decimal{}
	for _, e := range events {
		if e.account != account || e.meter != meter || !p.Contains(e.at) || seen[e.id] {
			continue
		}
		seen[e.id] = true
		q := decimal.RequireFromString(e.qty)
		out.Total = out.Total.Add(q)
		out.Events++
		day := time.Date(e.at.Year(), e.at.Month(), e.at.Day(), 0, 0, 0, 0, time.UTC)
		days[day] = days[day].Add(q)
	}
	for d, q := range days {
		out.Days = append(out.Days, billing.DayQuantity{Day: d, Quantity: q})
	}
	sort.Slice(out.Days, func(i, j int) bool { return out.Days[i].Day.Before(out.Days[j].Day) })
	return out
}

func diffMeter(got, want billing.MeterConsumption) string {
	if got.Unit != want.Unit || !got.Total.Equal(want.Total) || got.Events != want.Events || len(got.Days) != len(want.Days) {
		return fmt.Sprintf("got unit %q total %s events %d days %d, want %q %s %d %d",
			got.Unit, got.Total, got.Events, len(got.Days), want.Unit, want.Total, want.Events, len(want.Days))
	}
	for i := range got.Days {
		if !got.Days[i].Day.Equal(want.Days[i].Day) || !got.Days[i].Quantity.Equal(want.Days[i].Quantity) {
			return fmt.Sprintf("day %d = %v %s, want %v %s", i, got.Days[i].Day, got.Days[i].Quantity, want.Days[i].Day, want.Days[i].Quantity)
		}
	}
	return ""
}
