package billing_test

import (
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/rating"
)

func TestAddPeriods(t *testing.T) {
	day := billingtest.Day
	month := rating.BillingPeriod{Every: 1, Unit: rating.PeriodMonth}
	tests := []struct {
		name string
		from time.Time
		bp   rating.BillingPeriod
		n    int
		want time.Time
	}{
		{"31 Jan + 1 month clamps to 28 Feb", day(2026, 1, 31), month, 1, day(2026, 2, 28)},
		{"31 Jan + 1 month in a leap year is 29 Feb", day(2028, 1, 31), month, 1, day(2028, 2, 29)},
		{"31 Jan + 2 months is back to the 31st", day(2026, 1, 31), month, 2, day(2026, 3, 31)},
		{"31 Jan + 3 months clamps to 30 Apr", day(2026, 1, 31), month, 3, day(2026, 4, 30)},
		{"31 Mar - 1 month clamps to 28 Feb", day(2026, 3, 31), month, -1, day(2026, 2, 28)},
		{"December + 1 month crosses the year", day(2026, 12, 15), month, 1, day(2027, 1, 15)},
		{"January - 1 month crosses the year back", day(2026, 1, 15), month, -1, day(2025, 12, 15)},
		{"every 3 months from 31 Jan", day(2026, 1, 31), rating.BillingPeriod{Every: 3, Unit: rating.PeriodMonth}, 1, day(2026, 4, 30)},
		{"29 Feb + 1 year is 28 Feb", day(2028, 2, 29), rating.BillingPeriod{Every: 1, Unit: rating.PeriodYear}, 1, day(2029, 2, 28)},
		{"29 Feb + 4 years is 29 Feb again", day(2028, 2, 29), rating.BillingPeriod{Every: 1, Unit: rating.PeriodYear}, 4, day(2032, 2, 29)},
		{"days keep the time of day", day(2026, 2, 27).Add(10 * time.Hour), rating.BillingPeriod{Every: 1, Unit: rating.PeriodDay}, 2, day(2026, 3, 1).Add(10 * time.Hour)},
		{"months keep the time of day", day(2026, 1, 31).Add(90 * time.Minute), month, 1, day(2026, 2, 28).Add(90 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := billing.AddPeriods(tt.from, tt.bp, tt.n); !got.Equal(tt.want) {
				t.Fatalf("AddPeriods(%s, %v, %d) = %s, want %s", tt.from, tt.bp, tt.n, got, tt.want)
			}
		})
	}
}

// TestDueCalendar checks the boundaries a subscription is invoiced at, for every calendar shape.
func TestDueCalendar(t *testing.T) {
	day := billingtest.Day
	tests := []struct {
		name       string
		billingDay int
		plan       string
		start      time.Time
		until      time.Time
		want       []time.Time
		firstDays  [2]int // Days/PeriodDays of the first recurring item
	}{
		{"anniversary on the 31st", 0, "basic", day(2026, 1, 31), day(2026, 6, 1),
			[]time.Time{day(2026, 1, 31), day(2026, 2, 28), day(2026, 3, 31), day(2026, 4, 30), day(2026, 5, 31)}, [2]int{28, 28}},
		{"anniversary on the 31st across a leap February", 0, "basic", day(2028, 1, 31), day(2028, 4, 1),
			[]time.Time{day(2028, 1, 31), day(2028, 2, 29), day(2028, 3, 31)}, [2]int{29, 29}},
		{"anniversary keeps the start's time of day", 0, "basic", day(2026, 3, 10).Add(13 * time.Hour), day(2026, 5, 11),
			[]time.Time{day(2026, 3, 10).Add(13 * time.Hour), day(2026, 4, 10).Add(13 * time.Hour), day(2026, 5, 10).Add(13 * time.Hour)}, [2]int{31, 31}},
		{"calendar day 1, started mid-month: prorated stub", 1, "basic", day(2026, 1, 15), day(2026, 3, 1),
			[]time.Time{day(2026, 1, 15), day(2026, 2, 1), day(2026, 3, 1)}, [2]int{17, 31}},
		{"calendar day 1, started on the 1st: no stub", 1, "basic", day(2026, 2, 1), day(2026, 4, 1),
			[]time.Time{day(2026, 2, 1), day(2026, 3, 1), day(2026, 4, 1)}, [2]int{28, 28}},
		{"calendar day 28, started on the 10th", 28, "basic", day(2026, 2, 10), day(2026, 4, 28),
			[]time.Time{day(2026, 2, 10), day(2026, 2, 28), day(2026, 3, 28), day(2026, 4, 28)}, [2]int{18, 31}},
		{"calendar day 28, started after it: next month's 28th", 28, "basic", day(2026, 2, 28).Add(time.Hour), day(2026, 4, 1),
			[]time.Time{day(2026, 2, 28).Add(time.Hour), day(2026, 3, 28)}, [2]int{28, 28}},
		{"annual from 29 Feb", 0, "annual", day(2028, 2, 29), day(2032, 3, 1),
			[]time.Time{day(2028, 2, 29), day(2029, 2, 28), day(2030, 2, 28), day(2031, 2, 28), day(2032, 2, 29)}, [2]int{365, 365}},
		{"annual on calendar day 1: stub to the next 1st", 1, "annual", day(2026, 1, 15), day(2027, 3, 1),
			[]time.Time{day(2026, 1, 15), day(2026, 2, 1), day(2027, 2, 1)}, [2]int{17, 365}},
		{"every 3 months from 31 Jan", 0, "quarterly", day(2026, 1, 31), day(2026, 12, 31),
			[]time.Time{day(2026, 1, 31), day(2026, 4, 30), day(2026, 7, 31), day(2026, 10, 31)}, [2]int{89, 89}},
		{"daily ignores the billing day", 1, "daily", day(2026, 2, 27).Add(6 * time.Hour), day(2026, 3, 2),
			[]time.Time{day(2026, 2, 27).Add(6 * time.Hour), day(2026, 2, 28).Add(6 * time.Hour), day(2026, 3, 1).Add(6 * time.Hour)}, [2]int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := billingtest.NewLog(t, billingtest.Catalog(t))
			l.Channel(day(2025, 1, 1))
			l.Must(l.CreateAccount(billing.Account{ID: "X", Kind: billing.KindCustomer, Parent: "R", Name: "X",
				Currency: "EUR", TaxJurisdiction: "FR", BillingDay: tt.billingDay}, day(2025, 1, 1), "test"))
			l.Must(l.CreateSubscription(billing.NewSubscription{ID: "S", Account: "X", PlanID: tt.plan, Start: tt.start}, day(2025, 1, 1), "test"))
			sub, _ := l.Subscription("S")
			got := l.Due(sub, tt.start.Add(-time.Nanosecond), tt.until)
			if !stEqualTimes(got, tt.want) {
				t.Fatalf("Due = %v\nwant  %v", got, tt.want)
			}
			// Asking in pieces gives the same boundaries as asking at once: (after, until] is half-open.
			var pieces []time.Time
			for from := tt.start.Add(-time.Nanosecond); from.Before(tt.until); from = from.AddDate(0, 0, 7) {
				pieces = append(pieces, l.Due(sub, from, stMinT(from.AddDate(0, 0, 7), tt.until))...)
			}
			if !stEqualTimes(pieces, tt.want) {
				t.Fatalf("Due in weekly pieces = %v\nwant %v", pieces, tt.want)
			}
			_, items, err := l.Items(sub, tt.start)
			if err != nil {
				t.Fatal(err)
			}
			rec := stFirstOf(items, billing.ItemRecurring)
			if rec == nil || rec.Days != tt.firstDays[0] || rec.PeriodDays != tt.firstDays[1] {
				t.Fatalf("first recurring item %+v, want days %d/%d", rec, tt.firstDays[0], tt.firstDays[1])
			}
			if !rec.Window.From.Equal(tt.start) || !rec.Window.To.Equal(tt.want[1]) {
				t.Fatalf("first window %v, want [%s, %s)", rec.Window, tt.start, tt.want[1])
			}
		})
	}
}

func stMinT(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func stEqualTimes(a, b []time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

func stFirstOf(items []billing.Item, kind billing.ItemKind) *billing.Item {
	for i := range items {
		if items[i].Kind == kind {
			return &items[i]
		}
	}
	return nil
}

// TestAddPeriodsProperties checks, for every start day of seven years and every month count
// within five years either way: the result keeps the start's day of the month or, when the
// month is too short, falls on its last day; it lands in the right month; and it moves forward
// as n grows.
func TestAddPeriodsProperties(t *testing.T) {
	month := rating.BillingPeriod{Every: 1, Unit: rating.PeriodMonth}
	for start := billingtest.Day(2024, 1, 1); start.Year() < 2031; start = start.AddDate(0, 0, 1) {
		prev := time.Time{}
		for n := -60; n <= 60; n++ {
			got := billing.AddPeriods(start, month, n)
			first := time.Date(start.Year(), start.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
			last := first.AddDate(0, 1, -1).Day()
			if got.Year() != first.Year() || got.Month() != first.Month() || got.Day() != min(start.Day(), last) {
				t.Fatalf("AddPeriods(%s, %d months) = %s", start.Format(time.DateOnly), n, got.Format(time.DateOnly))
			}
			if !got.After(prev) {
				t.Fatalf("AddPeriods(%s, %d) = %s, not after %s", start.Format(time.DateOnly), n, got, prev)
			}
			prev = got
		}
	}
}
