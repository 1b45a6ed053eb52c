package billing_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/shopspring/decimal"
)

// stLine is an item reduced to what a scenario asserts, printed "kind plan/charge [from,to) days/period seats".
func stLine(it billing.Item) string {
	s := fmt.Sprintf("%s %s/%s [%s,%s) %d/%d x%s", it.Kind, it.PlanID, it.ChargeID,
		it.Window.From.Format("01-02"), it.Window.To.Format("01-02"), it.Days, it.PeriodDays, it.Seats)
	if it.Commitment {
		s += " commitment"
	}
	if it.Coupon != "" {
		s += fmt.Sprintf(" coupon %s#%d", it.Coupon, it.CouponPeriod)
	}
	return s
}

func stLines(items []billing.Item) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, stLine(it))
	}
	sort.Strings(out)
	return out
}

func TestItems(t *testing.T) {
	day := billingtest.Day
	mar25 := day(2026, 3, 25)
	tests := []struct {
		name     string
		setup    func(l *billingtest.Log)
		sub      string
		boundary time.Time
		usage    [2]time.Time // zero To: the boundary closes no usage
		want     []string
	}{
		{"plain month: the start bills the first month in advance and the setup fee", func(l *billingtest.Log) {
			l.Must(l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "C", PlanID: "basic", Seats: decimal.NewFromInt(2), Start: stMar10}, stMar10, "t"))
		}, "S2", stMar10,
			[2]time.Time{stMar10, stMar10}, []string{
				"one_time basic/setup [03-10,04-10) 31/31 x2",
				"recurring basic/base [03-10,04-10) 31/31 x2",
				"recurring basic/seat [03-10,04-10) 31/31 x2",
			}},
		{"plain month: the period end bills usage in arrears and the next month in advance", nil, "S1", stApr10,
			[2]time.Time{stMar10, stApr10}, []string{
				"recurring basic/base [04-10,05-10) 30/30 x2",
				"recurring basic/seat [04-10,05-10) 30/30 x2",
				"usage basic/ [03-10,04-10) 0/0 x2 commitment",
			}},
		{"trial ending mid-period: first paid period prorated, setup with it", nil, "T1", day(2026, 3, 24),
			[2]time.Time{day(2026, 3, 24), day(2026, 3, 24)}, []string{
				"one_time trial/setup [03-24,04-01) 31/31 x1",
				"recurring trial/base [03-24,04-01) 8/31 x1",
			}},
		{"trial ending mid-period: the trial's usage is billed, without commitment", nil, "T1", day(2026, 4, 1),
			[2]time.Time{stMar10, day(2026, 4, 1)}, []string{
				"recurring trial/base [04-01,05-01) 30/30 x1",
				"usage trial/ [03-10,04-01) 0/0 x1",
			}},
		{"upgrade mid-period with proration: credit and charge for the days left", func(l *billingtest.Log) {
			l.Must(l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro", Prorate: true}, mar25, "t"))
		}, "S1", stApr10, [2]time.Time{stMar10, stApr10}, []string{
			"proration_credit basic/base [03-25,04-10) 16/31 x2",
			"proration_credit basic/seat [03-25,04-10) 16/31 x2",
			"recurring pro/base [03-25,04-10) 16/31 x2",
			"recurring pro/base [04-10,05-10) 30/30 x2",
			"usage basic/ [03-10,03-25) 0/0 x2",
			"usage pro/ [03-25,04-10) 0/0 x2",
		}},
		{"upgrade without proration: the new plan from the change, fees untouched", func(l *billingtest.Log) {
			l.Must(l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro"}, mar25, "t"))
		}, "S1", stApr10, [2]time.Time{stMar10, stApr10}, []string{
			"recurring pro/base [04-10,05-10) 30/30 x2",
			"usage basic/ [03-10,03-25) 0/0 x2",
			"usage pro/ [03-25,04-10) 0/0 x2",
		}},
		{"seat change with proration: only per-seat fees move", func(l *billingtest.Log) {
			l.Must(l.ChangeSeats(billing.SeatChange{Subscription: "S1", Seats: decimal.NewFromInt(5), Prorate: true}, mar25, "t"))
		}, "S1", stApr10, [2]time.Time{stMar10, stApr10}, []string{
			"proration_credit basic/seat [03-25,04-10) 16/31 x2",
			"recurring basic/base [04-10,05-10) 30/30 x5",
			"recurring basic/seat [03-25,04-10) 16/31 x5",
			"recurring basic/seat [04-10,05-10) 30/30 x5",
			"usage basic/ [03-10,04-10) 0/0 x2 commitment",
		}},
		{"two prorated changes in one period chain", func(l *billingtest.Log) {
			l.Must(l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro", Prorate: true}, day(2026, 3, 20), "t"))
			l.Must(l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "basic", Prorate: true}, mar25, "t"))
		}, "S1", stApr10, [2]time.Time{stMar10, stApr10}, []string{
			"proration_credit basic/base [03-20,04-10) 21/31 x2",
			"proration_credit basic/seat [03-20,04-10) 21/31 x2",
			"proration_credit pro/base [03-25,04-10) 16/31 x2",
			"recurring basic/base [03-25,04-10) 16/31 x2",
			"recurring basic/base [04-10,05-10) 30/30 x2",
			"recurring basic/seat [03-25,04-10) 16/31 x2",
			"recurring basic/seat [04-10,05-10) 30/30 x2",
			"recurring pro/base [03-20,04-10) 21/31 x2",
			"usage basic/ [03-10,03-20) 0/0 x2",
			"usage basic/ [03-25,04-10) 0/0 x2",
			"usage pro/ [03-20,03-25) 0/0 x2",
		}},
		{"cancellation now: final usage under the whole minimum, the unused fee credited", func(l *billingtest.Log) {
			l.Must(l.Cancel(billing.Cancellation{Subscription: "S1"}, mar25, "t"))
		}, "S1", mar25, [2]time.Time{stMar10, mar25}, []string{
			"proration_credit basic/base [03-25,04-10) 16/31 x2",
			"proration_credit basic/seat [03-25,04-10) 16/31 x2",
			"usage basic/ [03-10,03-25) 0/0 x2 commitment",
		}},
		{"cancellation now after an unprorated upgrade credits the fee paid, not the new plan's", func(l *billingtest.Log) {
			l.Must(l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro"}, day(2026, 3, 20), "t"))
			l.Must(l.Cancel(billing.Cancellation{Subscription: "S1"}, mar25, "t"))
		}, "S1", mar25, [2]time.Time{stMar10, mar25}, []string{
			"proration_credit basic/base [03-25,04-10) 16/31 x2",
			"proration_credit basic/seat [03-25,04-10) 16/31 x2",
			"usage basic/ [03-10,03-20) 0/0 x2",
			"usage pro/ [03-20,03-25) 0/0 x2",
		}},
		{"cancellation now after unprorated seats credits the seats paid", func(l *billingtest.Log) {
			l.Must(l.ChangeSeats(billing.SeatChange{Subscription: "S1", Seats: decimal.NewFromInt(5)}, day(2026, 3, 20), "t"))
			l.Must(l.Cancel(billing.Cancellation{Subscription: "S1"}, mar25, "t"))
		}, "S1", mar25, [2]time.Time{stMar10, mar25}, []string{
			"proration_credit basic/base [03-25,04-10) 16/31 x2",
			"proration_credit basic/seat [03-25,04-10) 16/31 x2",
			"usage basic/ [03-10,03-25) 0/0 x2 commitment",
		}},
		{"a prorated change after an unprorated one credits what was paid", func(l *billingtest.Log) {
			l.Must(l.ChangeSeats(billing.SeatChange{Subscription: "S1", Seats: decimal.NewFromInt(5)}, day(2026, 3, 20), "t"))
			l.Must(l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro", Prorate: true}, mar25, "t"))
		}, "S1", stApr10, [2]time.Time{stMar10, stApr10}, []string{
			"proration_credit basic/base [03-25,04-10) 16/31 x2",
			"proration_credit basic/seat [03-25,04-10) 16/31 x2",
			"recurring pro/base [03-25,04-10) 16/31 x5",
			"recurring pro/base [04-10,05-10) 30/30 x5",
			"usage basic/ [03-10,03-25) 0/0 x2",
			"usage pro/ [03-25,04-10) 0/0 x5",
		}},
		{"cancellation at period end: last usage, nothing in advance", func(l *billingtest.Log) {
			l.Must(l.Cancel(billing.Cancellation{Subscription: "S1", Timing: billing.TimingPeriodEnd}, mar25, "t"))
		}, "S1", stApr10, [2]time.Time{stMar10, stApr10}, []string{
			"usage basic/ [03-10,04-10) 0/0 x2 commitment",
		}},
		{"period_end plan change: old plan to the end, new plan from the boundary", func(l *billingtest.Log) {
			l.Must(l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro", Timing: billing.TimingPeriodEnd, Prorate: true}, mar25, "t"))
		}, "S1", stApr10, [2]time.Time{stMar10, stApr10}, []string{
			"recurring pro/base [04-10,05-10) 30/30 x2",
			"usage basic/ [03-10,04-10) 0/0 x2 commitment",
		}},
		{"a change during the trial needs no proration", func(l *billingtest.Log) {
			l.Must(l.ChangePlan(billing.PlanChange{Subscription: "T1", PlanID: "basic", Prorate: true}, day(2026, 3, 15), "t"))
		}, "T1", day(2026, 3, 24), [2]time.Time{day(2026, 3, 24), day(2026, 3, 24)}, []string{
			"one_time basic/setup [03-24,04-01) 31/31 x1",
			"recurring basic/base [03-24,04-01) 8/31 x1",
			"recurring basic/seat [03-24,04-01) 8/31 x1",
		}},
		{"activation ends the trial at once", func(l *billingtest.Log) {
			l.Must(l.Activate("T1", day(2026, 3, 12), day(2026, 3, 12), "t"))
		}, "T1", day(2026, 3, 12), [2]time.Time{day(2026, 3, 12), day(2026, 3, 12)}, []string{
			"one_time trial/setup [03-12,04-01) 31/31 x1",
			"recurring trial/base [03-12,04-01) 20/31 x1",
		}},
		{"a coupon counts billing periods from its redemption", func(l *billingtest.Log) {
			l.Must(l.CreateSubscription(billing.NewSubscription{ID: "CP", Account: "K", PlanID: "quarterly", Coupon: "HALF", Start: stMar10}, stMar10, "t"))
		}, "CP", day(2026, 4, 1), [2]time.Time{stMar10, day(2026, 4, 1)}, []string{
			"recurring quarterly/base [04-01,07-01) 91/91 x1 coupon HALF#1",
			"usage quarterly/ [03-10,04-01) 0/0 x1 coupon HALF#0",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := stWorld(t)
			if tt.setup != nil {
				tt.setup(l)
			}
			sub, _ := l.Subscription(tt.sub)
			usage, items, err := l.Items(sub, tt.boundary)
			if err != nil {
				t.Fatal(err)
			}
			if !usage.From.Equal(tt.usage[0]) || !usage.To.Equal(tt.usage[1]) {
				t.Errorf("usage period %v, want [%s, %s)", usage, tt.usage[0], tt.usage[1])
			}
			got := stLines(items)
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("items:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, it := range items {
				if it.Subscription != sub.ID || !it.Period.Contains(it.Window.From) || it.Window.To.After(it.Period.To) {
					t.Errorf("item %s: window %v outside its period %v", stLine(it), it.Window, it.Period)
				}
			}
			// Idempotent: once billed, the boundary owes nothing new.
			l.Must(l.Billed(sub.ID, tt.boundary, "INV-X", tt.boundary, "cycle"))
			if u2, again, err := l.Items(sub, tt.boundary); err != nil || len(again) != 0 || u2 != usage {
				t.Fatalf("after billing: %d items, usage %v, err %v", len(again), u2, err)
			}
		})
	}
}

// TestProrationSumsToTheDaysUsed checks, for every day of a period, that the fees billed for it
// (in advance, then credited and charged again at the change) add up to the days each plan ran.
func TestProrationSumsToTheDaysUsed(t *testing.T) {
	day := billingtest.Day
	for d := 11; d <= 40; d++ {
		change := day(2026, 3, d) // 11 March .. 9 April
		t.Run(change.Format("01-02"), func(t *testing.T) {
			l := stWorld(t)
			l.Must(l.CreateSubscription(billing.NewSubscription{ID: "P", Account: "C", PlanID: "basic", Start: stMar10}, stMar10, "t"))
			l.Must(l.ChangePlan(billing.PlanChange{Subscription: "P", PlanID: "pro", Prorate: true}, change, "t"))
			sub, _ := l.Subscription("P")
			_, start, _ := l.Items(sub, stMar10)
			_, end, err := l.Items(sub, stApr10)
			if err != nil {
				t.Fatal(err)
			}
			days := map[string]int{} // plan/charge → net days billed for March–April
			for _, it := range append(start, end...) {
				if it.Window.From.Before(stApr10) && (it.Kind == billing.ItemRecurring || it.Kind == billing.ItemProrationCredit) {
					sign := 1
					if it.Kind == billing.ItemProrationCredit {
						sign = -1
					}
					days[it.PlanID+"/"+it.ChargeID] += sign * it.Days
				}
			}
			used := billing.Period{From: stMar10, To: change}.Days()
			want := map[string]int{"basic/base": used, "basic/seat": used, "pro/base": 31 - used}
			for k, v := range want {
				if days[k] != v {
					t.Errorf("%s: %d days billed, want %d (all %v)", k, days[k], v, days)
				}
			}
		})
	}
}

func TestItemsOutsideBoundaries(t *testing.T) {
	l := stWorld(t)
	sub, _ := l.Subscription("T1")
	for _, b := range []time.Time{stMar10, billingtest.Day(2026, 3, 20)} { // a trial's start owes nothing
		if _, _, err := l.Items(sub, b); !errors.Is(err, billing.ErrInvalid) {
			t.Errorf("Items at %s: %v, want ErrInvalid", b, err)
		}
	}
}
