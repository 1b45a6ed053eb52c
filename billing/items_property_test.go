package billing_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// TestFeesMatchTheDaysServed is the proration invariant, over random histories: whatever the
// changes (prorated or not), cancellations, trial activations and the order in which the cycle
// bills, the recurring fees a subscription is charged, net of credits, are for each billing
// period exactly the paid days served, each day at the terms it was sold at — not a day twice,
// not a day lost. A day is sold at the terms of its period's in-advance invoice, moved only by
// prorated changes (a plan change re-prices every recurring charge, a seat change the per-seat
// ones); an unprorated change takes effect on the fees from the next period, so a cancel
// credits what was charged, never a fee nobody paid.
func TestFeesMatchTheDaysServed(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { stRandomHistory(t, seed) })
	}
}

func stRandomHistory(t *testing.T, seed uint64) {
	day := billingtest.Day
	rng := rand.New(rand.NewPCG(seed, 7))
	cat := billingtest.Catalog(t)
	l := billingtest.NewLog(t, cat)
	l.Channel(stT0)
	l.Must(l.CreateAccount(billing.Account{ID: "M", Kind: billing.KindCustomer, Parent: "R", Name: "Mid-month",
		Currency: "EUR", TaxJurisdiction: "FR", BillingDay: 15}, stT0, "t"))
	start := day(2026, 1, 1).AddDate(0, 0, rng.IntN(60))
	terms := []billing.Term{billing.TermNone, billing.TermMonthly, billing.TermAnnual}
	l.Must(l.CreateSubscription(billing.NewSubscription{ID: "S", Account: []string{"C", "K", "M"}[rng.IntN(3)],
		PlanID: "basic", Seats: decimal.NewFromInt(int64(1 + rng.IntN(3))), Start: start,
		TrialDays: stIntp([]int{0, 0, 10, 40}[rng.IntN(4)]), Term: terms[rng.IntN(3)], AutoRenew: rng.IntN(2) == 0}, start, "t"))
	sub, _ := l.Subscription("S")

	invoiced := map[int64][]billing.Item{} // boundary → the items billed there
	unbilled := func(bs []time.Time) (out []time.Time) {
		for _, b := range bs {
			if !l.IsBilled("S", b) {
				out = append(out, b)
			}
		}
		return out
	}
	bill := func(until time.Time) {
		// What the cycle lists from BilledThrough is what it would find from the start.
		if all, quick := unbilled(l.Due(sub, time.Time{}, until)), unbilled(l.Due(sub, sub.BilledThrough(), until)); !stEqualTimes(all, quick) {
			t.Fatalf("unbilled from the start %v, from BilledThrough %s: %v", all, sub.BilledThrough(), quick)
		}
		for _, b := range l.Due(sub, time.Time{}, until) {
			if l.IsBilled("S", b) {
				continue
			}
			_, items, err := l.Items(sub, b)
			if err != nil {
				t.Fatalf("items at %s: %v", b, err)
			}
			invoiced[b.UnixNano()] = items
			l.Must(l.Billed("S", b, "INV-"+b.Format("20060102"), until, "cycle"))
		}
	}
	now := start
	var log []string
	for step := 0; step < 12; step++ {
		now = now.AddDate(0, 0, 1+rng.IntN(25))
		if rng.IntN(3) > 0 {
			bill(now.AddDate(0, 0, -rng.IntN(10))) // the cycle runs late, or not at all this time
		}
		timing := []billing.Timing{billing.TimingNow, billing.TimingPeriodEnd}[rng.IntN(2)]
		var evs []ledger.Event
		var err error
		op := rng.IntN(6)
		prorate := rng.IntN(3) > 0
		switch op {
		case 0:
			evs, err = l.ChangePlan(billing.PlanChange{Subscription: "S", PlanID: []string{"basic", "pro"}[rng.IntN(2)], Timing: timing, Prorate: prorate}, now, "t")
		case 1, 2:
			evs, err = l.ChangeSeats(billing.SeatChange{Subscription: "S", Seats: decimal.NewFromInt(int64(1 + rng.IntN(4))), Timing: timing, Prorate: prorate}, now, "t")
		case 3:
			evs, err = l.Activate("S", now, now, "t")
		case 4:
			evs, err = l.Suspend("S", now, now, "t")
		case 5:
			if rng.IntN(3) == 0 {
				evs, err = l.Cancel(billing.Cancellation{Subscription: "S", Timing: timing}, now, "t")
			}
		}
		log = append(log, fmt.Sprintf("%s op %d %s prorate %v: %v", now.Format("2006-01-02"), op, timing, prorate, err))
		if err != nil {
			if evs != nil || !(errors.Is(err, billing.ErrConflict) || errors.Is(err, billing.ErrBackdated)) {
				t.Fatalf("op %d at %s: %v (%d events)", op, now, err, len(evs))
			}
			continue
		}
		l.Must(evs, nil)
	}
	horizon := now.AddDate(1, 0, 0)
	bill(horizon)
	if due := l.Due(sub, time.Time{}, horizon); !sub.BilledThrough().Equal(stLast(due)) {
		t.Fatalf("billed through %s after billing everything up to %s", sub.BilledThrough(), stLast(due))
	}

	stCheckUsageTiles(t, sub, invoiced, stLast(l.Due(sub, time.Time{}, horizon)))

	// What was charged: net paid days per (period, plan/charge), seat-days for per-seat charges.
	got := map[string]int64{}
	for _, items := range invoiced {
		for _, it := range items {
			if it.Kind != billing.ItemRecurring && it.Kind != billing.ItemProrationCredit {
				continue
			}
			n := int64(it.Days) * stUnits(t, cat, it.PlanID, it.PlanVersion, it.ChargeID, it.Seats)
			if it.Kind == billing.ItemProrationCredit {
				n = -n
			}
			if it.PeriodDays != it.Period.Days() {
				t.Fatalf("item %s: PeriodDays %d, its period has %d", stLine(it), it.PeriodDays, it.Period.Days())
			}
			got[fmt.Sprintf("%s %s/%s", it.Period.From.Format("2006-01-02"), it.PlanID, it.ChargeID)] += n
		}
	}
	// What was served: each paid day at the terms it was sold at (stSoldAt).
	want := map[string]int64{}
	served := sub.PeriodAt(stLast(l.Due(sub, time.Time{}, horizon))).To
	if !sub.End.IsZero() && sub.End.Before(served) {
		served = sub.End
	}
	for d := sub.TrialEnd; d.Before(served); d = d.AddDate(0, 0, 1) {
		flat, seats := stSoldAt(sub, d)
		for _, sold := range []struct {
			tm      billing.Terms
			perSeat bool
		}{{flat, false}, {seats, true}} {
			tm := sold.tm
			for _, c := range stMustPlan(t, cat, tm.PlanID, tm.PlanVersion).Charges {
				if c.Kind == rating.ChargeRecurring && c.PerSeat == sold.perSeat {
					want[fmt.Sprintf("%s %s/%s", sub.PeriodAt(d).From.Format("2006-01-02"), tm.PlanID, c.ID)] += stUnits(t, cat, tm.PlanID, tm.PlanVersion, c.ID, tm.Seats)
				}
			}
		}
	}
	for k, v := range got {
		if v == 0 {
			delete(got, k)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("charged %v\nserved  %v\nsubscription start %s trial end %s end %s\n%v", got, want, sub.Start, sub.TrialEnd, sub.End, log)
	}
}

// stSoldAt returns the terms day d was sold at, for the flat recurring charges and for the
// per-seat ones: the terms in force when the fees of d's period were billed in advance (the
// period's start, or the subscription's start or trial end when later), moved by the prorated
// changes from then to d — a prorated plan change re-prices both, a prorated seat change the
// per-seat charges only. Changes without proration move nothing until the next period.
func stSoldAt(sub *billing.Subscription, d time.Time) (flat, seats billing.Terms) {
	p := sub.PeriodAt(d)
	from := p.From
	for _, t := range []time.Time{sub.Start, sub.TrialEnd} {
		if t.After(from) {
			from = t
		}
	}
	flatAt, seatsAt := from, from
	for _, ev := range sub.History() {
		isPlan := ev.Type == billing.EventPlanChanged
		if !isPlan && ev.Type != billing.EventSeatsChanged || !ev.Change.Prorate || !ev.At.After(from) || ev.At.After(d) {
			continue
		}
		if ev.At.After(seatsAt) {
			seatsAt = ev.At
		}
		if isPlan && ev.At.After(flatAt) {
			flatAt = ev.At
		}
	}
	return sub.TermsAt(flatAt), sub.TermsAt(seatsAt)
}

func stMustPlan(t *testing.T, cat *rating.Catalog, id string, version int) *rating.Plan {
	p, ok := cat.PlanVersion(id, version)
	if !ok {
		t.Fatalf("plan %s v%d not in the catalog", id, version)
	}
	return p
}

// stUnits is what one day of a charge counts: the seats for a per-seat charge, else 1.
func stUnits(t *testing.T, cat *rating.Catalog, planID string, version int, chargeID string, seats decimal.Decimal) int64 {
	c, ok := stMustPlan(t, cat, planID, version).Charge(chargeID)
	if !ok {
		t.Fatalf("charge %s of %s", chargeID, planID)
	}
	if c.PerSeat {
		return seats.IntPart()
	}
	return 1
}

func stLast(ts []time.Time) time.Time { return ts[len(ts)-1] }

// stCheckUsageTiles checks that the usage windows billed cover the subscription from its start to
// the last boundary exactly once, each under the plan in force over the whole window.
func stCheckUsageTiles(t *testing.T, sub *billing.Subscription, invoiced map[int64][]billing.Item, lastBoundary time.Time) {
	t.Helper()
	var windows []billing.Item
	for _, items := range invoiced {
		for _, it := range items {
			if it.Kind == billing.ItemUsage {
				windows = append(windows, it)
			}
		}
	}
	sort.Slice(windows, func(i, j int) bool { return windows[i].Window.From.Before(windows[j].Window.From) })
	at := sub.Start
	for _, it := range windows {
		if !it.Window.From.Equal(at) || !it.Window.To.After(at) {
			t.Fatalf("usage window %v does not continue from %s", it.Window, at)
		}
		first, lastTerms := sub.TermsAt(it.Window.From), sub.TermsAt(it.Window.To.Add(-time.Nanosecond))
		if first.PlanID != it.PlanID || first.PlanVersion != it.PlanVersion || lastTerms.PlanID != it.PlanID {
			t.Fatalf("usage window %v billed under %s, plan in force %s .. %s", it.Window, it.PlanID, first.PlanID, lastTerms.PlanID)
		}
		at = it.Window.To
	}
	want := lastBoundary
	if !sub.End.IsZero() && sub.End.Before(want) {
		want = sub.End
	}
	if !at.Equal(want) {
		t.Fatalf("usage billed up to %s, want %s", at, want)
	}
}
