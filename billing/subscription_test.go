package billing_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/billingtest"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

var (
	stMar10 = billingtest.Day(2026, 3, 10)
	stApr10 = billingtest.Day(2026, 4, 10)
)

// stWorld is a channel with one subscription S1 (basic, 2 seats, anniversary, from 10 March,
// the start already billed) and one on trial, T1 (trial plan, from 10 March, on calendar day 1).
func stWorld(t testing.TB) *billingtest.Log {
	t.Helper()
	l := billingtest.NewLog(t, billingtest.Catalog(t))
	l.Channel(stT0)
	l.Must(l.CreateAccount(billing.Account{ID: "J", Kind: billing.KindCustomer, Parent: "R", Name: "Yen buyer", Currency: "JPY", TaxJurisdiction: "JP"}, stT0, "test"))
	l.Must(l.CreateSubscription(billing.NewSubscription{ID: "S1", Account: "C", PlanID: "basic", Seats: decimal.NewFromInt(2), Start: stMar10}, stMar10, "test"))
	l.Must(l.Billed("S1", stMar10, "INV-1", stMar10, "cycle"))
	l.Must(l.CreateSubscription(billing.NewSubscription{ID: "T1", Account: "K", PlanID: "trial", Start: stMar10}, stMar10, "test"))
	return l
}

func stIntp(i int) *int { return &i }

func TestSubscriptionCommandErrors(t *testing.T) {
	mar20 := billingtest.Day(2026, 3, 20)
	cancelled := func(l *billingtest.Log) {
		l.Must(l.Cancel(billing.Cancellation{Subscription: "S1", Timing: billing.TimingPeriodEnd}, mar20, "test"))
	}
	tests := []struct {
		name  string
		setup func(l *billingtest.Log)
		run   func(l *billingtest.Log) ([]ledger.Event, error)
		kind  error
		also  error // a second kind the error must wrap (rating's coupon errors)
		says  string
	}{
		{"create: unknown account", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "nobody", PlanID: "basic", Start: stMar10}, stMar10, "t")
		}, billing.ErrNotFound, nil, "account"},
		{"create: a reseller cannot subscribe", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "R", PlanID: "basic", Start: stMar10}, stMar10, "t")
		}, billing.ErrInvalid, nil, "only customers"},
		{"create: duplicate id", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.CreateSubscription(billing.NewSubscription{ID: "S1", Account: "C", PlanID: "basic", Start: stMar10}, stMar10, "t")
		}, billing.ErrConflict, nil, "already exists"},
		{"create: unknown plan", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "C", PlanID: "gold", Start: stMar10}, stMar10, "t")
		}, billing.ErrNotFound, nil, "plan"},
		{"create: plan in another currency", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "C", PlanID: "yen", Start: stMar10}, stMar10, "t")
		}, billing.ErrCurrencyMismatch, nil, "in JPY, account C pays in EUR"},
		{"create: fractional seats", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "C", PlanID: "basic", Seats: decimal.RequireFromString("1.5"), Start: stMar10}, stMar10, "t")
		}, billing.ErrInvalid, nil, "seats"},
		{"create: negative trial", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "C", PlanID: "basic", TrialDays: stIntp(-1), Start: stMar10}, stMar10, "t")
		}, billing.ErrInvalid, nil, "trial_days"},
		{"create: unknown term", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "C", PlanID: "basic", Term: "weekly", Start: stMar10}, stMar10, "t")
		}, billing.ErrInvalid, nil, "term"},
		{"create: unknown coupon", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "C", PlanID: "basic", Coupon: "NOPE", Start: stMar10}, stMar10, "t")
		}, billing.ErrNotFound, rating.ErrUnknownCoupon, "coupon"},
		{"create: coupon for another plan", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "C", PlanID: "pro", Coupon: "BASICONLY", Start: stMar10}, stMar10, "t")
		}, billing.ErrInvalid, rating.ErrCouponNotApplicable, "coupon"},
		{"create: expired coupon", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "C", PlanID: "basic", Coupon: "OLD", Start: stMar10}, stMar10, "t")
		}, billing.ErrInvalid, rating.ErrCouponExpired, "coupon"},
		{"create: coupon fully redeemed", func(l *billingtest.Log) {
			l.Must(l.CreateSubscription(billing.NewSubscription{ID: "S2", Account: "C", PlanID: "basic", Coupon: "HALF", Start: stMar10}, stMar10, "t"))
		}, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.CreateSubscription(billing.NewSubscription{ID: "S3", Account: "C", PlanID: "basic", Coupon: "HALF", Start: stMar10}, stMar10, "t")
		}, billing.ErrInvalid, rating.ErrCouponExhausted, "coupon"},
		{"change plan: into another currency", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "yen"}, mar20, "t")
		}, billing.ErrCurrencyMismatch, nil, "change plan of subscription S1: plan"},
		{"change plan: backdated before the last invoice", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro", Effective: stMar10}, mar20, "t")
		}, billing.ErrBackdated, nil, "already invoiced"},
		{"change plan: unknown subscription", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangePlan(billing.PlanChange{Subscription: "S9", PlanID: "pro"}, mar20, "t")
		}, billing.ErrNotFound, nil, "S9"},
		{"change plan: to the same plan", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "basic"}, mar20, "t")
		}, billing.ErrConflict, nil, "already on basic"},
		{"change plan: another billing period mid-period", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "annual"}, mar20, "t")
		}, billing.ErrUnsupported, nil, "period_end"},
		{"change plan: unknown timing", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro", Timing: "soon"}, mar20, "t")
		}, billing.ErrInvalid, nil, "timing"},
		{"change plan: after the end", cancelled, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro", Effective: stApr10.AddDate(0, 0, 1)}, mar20, "t")
		}, billing.ErrConflict, nil, "ends at"},
		{"change seats: zero", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangeSeats(billing.SeatChange{Subscription: "S1"}, mar20, "t")
		}, billing.ErrInvalid, nil, "seats"},
		{"change seats: unchanged", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangeSeats(billing.SeatChange{Subscription: "S1", Seats: decimal.NewFromInt(2)}, mar20, "t")
		}, billing.ErrConflict, nil, "already 2"},
		{"change seats: before the start", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangeSeats(billing.SeatChange{Subscription: "T1", Seats: decimal.NewFromInt(3), Effective: stT0}, mar20, "t")
		}, billing.ErrInvalid, nil, "before the start"},
		{"cancel: a cancelled subscription", cancelled, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Cancel(billing.Cancellation{Subscription: "S1"}, mar20, "t")
		}, billing.ErrConflict, nil, "already cancelled"},
		{"cancel: backdated", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Cancel(billing.Cancellation{Subscription: "S1", Effective: stMar10}, mar20, "t")
		}, billing.ErrBackdated, nil, "cancel subscription S1"},
		{"cancel: unknown subscription", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Cancel(billing.Cancellation{Subscription: "S9"}, mar20, "t")
		}, billing.ErrNotFound, nil, "S9"},
		{"suspend: twice", func(l *billingtest.Log) { l.Must(l.Suspend("S1", mar20, mar20, "t")) }, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Suspend("S1", mar20.Add(time.Hour), mar20, "t")
		}, billing.ErrConflict, nil, "already suspended"},
		{"resume: not suspended", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Resume("S1", mar20, mar20, "t")
		}, billing.ErrConflict, nil, "not suspended"},
		{"activate: not in trial", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Activate("S1", mar20, mar20, "t")
		}, billing.ErrConflict, nil, "not in trial"},
		{"billed: not a boundary", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Billed("S1", mar20, "INV-2", mar20, "t")
		}, billing.ErrInvalid, nil, "not a billing boundary"},
		{"billed: by another invoice", nil, func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Billed("S1", stMar10, "INV-2", mar20, "t")
		}, billing.ErrConflict, nil, `already billed by invoice "INV-1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := stWorld(t)
			if tt.setup != nil {
				tt.setup(l)
			}
			before := stSnapshot(l.State)
			evs, err := tt.run(l)
			if !errors.Is(err, tt.kind) || (tt.also != nil && !errors.Is(err, tt.also)) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v\nwant %v (and %v) saying %q", err, tt.kind, tt.also, tt.says)
			}
			if evs != nil || !reflect.DeepEqual(before, stSnapshot(l.State)) {
				t.Fatalf("a failed command changed something (%d events)", len(evs))
			}
		})
	}
}

// TestSubscriptionCommands checks each command's events and the state they lead to.
func TestSubscriptionCommands(t *testing.T) {
	mar20, mar25 := billingtest.Day(2026, 3, 20), billingtest.Day(2026, 3, 25)
	tests := []struct {
		name  string
		run   func(l *billingtest.Log) ([]ledger.Event, error)
		typ   string
		at    time.Time // the event's effective instant
		check func(t *testing.T, sub *billing.Subscription)
	}{
		{"change plan now", func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro", Prorate: true}, mar20, "t")
		}, billing.EventPlanChanged, mar20, func(t *testing.T, sub *billing.Subscription) {
			if got := sub.TermsAt(mar20); got.PlanID != "pro" || got.PlanVersion != 1 {
				t.Errorf("terms at the change = %+v", got)
			}
			if got := sub.TermsAt(mar20.Add(-time.Nanosecond)); got.PlanID != "basic" {
				t.Errorf("terms before the change = %+v", got)
			}
		}},
		{"change plan at period end picks the version in force then", func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "pro", Timing: billing.TimingPeriodEnd, Effective: billingtest.Day(2026, 5, 20)}, mar20, "t")
		}, billing.EventPlanChanged, billingtest.Day(2026, 6, 10), func(t *testing.T, sub *billing.Subscription) {
			if got := sub.TermsAt(billingtest.Day(2026, 6, 10)); got.PlanID != "pro" || got.PlanVersion != 2 {
				t.Errorf("terms after = %+v, want pro v2", got)
			}
			if got := sub.TermsAt(billingtest.Day(2026, 6, 9)); got.PlanID != "basic" {
				t.Errorf("terms before = %+v", got)
			}
		}},
		{"change plan at period end to another billing period", func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangePlan(billing.PlanChange{Subscription: "S1", PlanID: "annual", Timing: billing.TimingPeriodEnd}, mar20, "t")
		}, billing.EventPlanChanged, stApr10, func(t *testing.T, sub *billing.Subscription) {
			if p := sub.PeriodAt(stApr10); !p.From.Equal(stApr10) || !p.To.Equal(stApr10.AddDate(1, 0, 0)) {
				t.Errorf("period after the switch = %v, want a year from 10 April", p)
			}
		}},
		{"change seats", func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.ChangeSeats(billing.SeatChange{Subscription: "S1", Seats: decimal.NewFromInt(5)}, mar20, "t")
		}, billing.EventSeatsChanged, mar20, func(t *testing.T, sub *billing.Subscription) {
			if !sub.TermsAt(mar20).Seats.Equal(decimal.NewFromInt(5)) || !sub.Seats.Equal(decimal.NewFromInt(5)) {
				t.Errorf("seats = %s / %s", sub.TermsAt(mar20).Seats, sub.Seats)
			}
		}},
		{"suspend stops usage, not the subscription", func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Suspend("S1", mar20, mar20, "t")
		}, billing.EventSuspended, mar20, func(t *testing.T, sub *billing.Subscription) {
			if sub.AcceptsUsage(mar20) || !sub.AcceptsUsage(mar20.Add(-time.Second)) || sub.StatusAt(mar25) != billing.SubSuspended {
				t.Errorf("suspension not in effect: %s", sub.StatusAt(mar25))
			}
		}},
		{"cancel now", func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Cancel(billing.Cancellation{Subscription: "S1"}, mar20, "t")
		}, billing.EventCancelled, mar20, func(t *testing.T, sub *billing.Subscription) {
			if !sub.Cancelled || !sub.End.Equal(mar20) || sub.StatusAt(mar20) != billing.SubEnded || sub.AcceptsUsage(mar20) {
				t.Errorf("not ended at the cancel: end %s status %s", sub.End, sub.StatusAt(mar20))
			}
		}},
		{"cancel at period end", func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Cancel(billing.Cancellation{Subscription: "S1", Timing: billing.TimingPeriodEnd}, mar20, "t")
		}, billing.EventCancelled, stApr10, func(t *testing.T, sub *billing.Subscription) {
			if !sub.End.Equal(stApr10) || sub.StatusAt(mar25) != billing.SubActive {
				t.Errorf("end %s, status %s", sub.End, sub.StatusAt(mar25))
			}
		}},
		{"activate ends the trial early", func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Activate("T1", billingtest.Day(2026, 3, 15), mar20, "t")
		}, billing.EventActivated, billingtest.Day(2026, 3, 15), func(t *testing.T, sub *billing.Subscription) {
			if !sub.TrialEnd.Equal(billingtest.Day(2026, 3, 15)) || sub.StatusAt(billingtest.Day(2026, 3, 16)) != billing.SubActive {
				t.Errorf("trial end %s", sub.TrialEnd)
			}
		}},
		{"billed", func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Billed("S1", stApr10, "INV-2", stApr10, "cycle")
		}, billing.EventBilled, stApr10, func(t *testing.T, sub *billing.Subscription) {
			if inv, ok := sub.IsBilled(stApr10); !ok || inv != "INV-2" || !sub.LastBilled.Equal(stApr10) {
				t.Errorf("billed = %q %v, last %s", inv, ok, sub.LastBilled)
			}
		}},
		{"billed: a boundary that owed nothing", func(l *billingtest.Log) ([]ledger.Event, error) {
			return l.Billed("S1", stApr10, "", stApr10, "cycle")
		}, billing.EventBilled, stApr10, func(t *testing.T, sub *billing.Subscription) {
			if inv, ok := sub.IsBilled(stApr10); !ok || inv != "" {
				t.Errorf("billed = %q %v", inv, ok)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := stWorld(t)
			evs, err := tt.run(l)
			if err != nil {
				t.Fatal(err)
			}
			sub0, _ := l.Subscription(evs[0].Aggregate[len("subscription:"):])
			wantSeq := sub0.Seq() + 1
			if len(evs) != 1 || evs[0].Type != tt.typ || evs[0].Seq != wantSeq || !evs[0].At.Equal(tt.at) || !evs[0].RecordedAt.Equal(mar20) && tt.typ != billing.EventBilled {
				t.Fatalf("events = %+v, want one %s at %s seq %d", evs, tt.typ, tt.at, wantSeq)
			}
			l.Must(evs, nil)
			sub, _ := l.Subscription(sub0.ID)
			if h := sub.History(); h[len(h)-1].Type != tt.typ || h[len(h)-1].Seq != wantSeq {
				t.Fatalf("history does not end with the event: %+v", h[len(h)-1])
			}
			tt.check(t, sub)
		})
	}
}

func TestTermWithoutRenewalEnds(t *testing.T) {
	l := stWorld(t)
	l.Must(l.CreateSubscription(billing.NewSubscription{ID: "A1", Account: "C", PlanID: "basic", Start: billingtest.Day(2026, 1, 31), Term: billing.TermAnnual}, stT0, "t"))
	l.Must(l.CreateSubscription(billing.NewSubscription{ID: "A2", Account: "C", PlanID: "basic", Start: billingtest.Day(2026, 1, 31), Term: billing.TermAnnual, AutoRenew: true}, stT0, "t"))
	a1, _ := l.Subscription("A1")
	a2, _ := l.Subscription("A2")
	if want := billingtest.Day(2027, 1, 31); !a1.End.Equal(want) || a1.Cancelled {
		t.Fatalf("annual term without renewal ends %s (cancelled %v), want %s", a1.End, a1.Cancelled, want)
	}
	if !a2.End.IsZero() {
		t.Fatalf("auto-renewed term ends %s", a2.End)
	}
	due := l.Due(a1, stT0, billingtest.Day(2030, 1, 1))
	if len(due) != 13 || !due[12].Equal(a1.End) {
		t.Fatalf("due = %d boundaries, last %s; want 13 ending at the term end", len(due), due[len(due)-1])
	}
	_, items, err := l.Items(a1, a1.End)
	if err != nil || stFirstOf(items, billing.ItemRecurring) != nil || stFirstOf(items, billing.ItemUsage) == nil {
		t.Fatalf("items at the term end: %+v, %v: want the last usage and no fee", items, err)
	}
	if _, err := l.Cancel(billing.Cancellation{Subscription: "A1"}, billingtest.Day(2027, 2, 1), "t"); !errors.Is(err, billing.ErrConflict) {
		t.Fatalf("cancel after the term's end: %v, want ErrConflict", err)
	}
}

func TestBilledTwiceByTheSameInvoiceWritesNothing(t *testing.T) {
	l := stWorld(t)
	for _, inv := range []string{"INV-2", ""} {
		b := stApr10
		if inv == "" {
			b = billingtest.Day(2026, 5, 10)
		}
		l.Must(l.Billed("S1", b, inv, b, "cycle"))
		evs, err := l.Billed("S1", b, inv, b.Add(time.Hour), "cycle")
		if err != nil || evs != nil {
			t.Fatalf("re-recording invoice %q: %v, %v; want no event", inv, evs, err)
		}
	}
}

func TestCreateSubscription(t *testing.T) {
	day := billingtest.Day
	tests := []struct {
		name     string
		in       billing.NewSubscription
		at       time.Time
		check    func(sub *billing.Subscription) string // "" when right
		typeWant string
	}{
		{"defaults: one seat, the plan's trial, open-ended, start at the command's time",
			billing.NewSubscription{ID: "N", Account: "K", PlanID: "trial"}, day(2026, 5, 3),
			func(sub *billing.Subscription) string {
				if !sub.Seats.Equal(decimal.NewFromInt(1)) || !sub.Start.Equal(day(2026, 5, 3)) || !sub.TrialEnd.Equal(day(2026, 5, 17)) ||
					sub.Term != billing.TermNone || !sub.End.IsZero() || sub.BillingDay != 1 || sub.PlanVersion != 1 {
					return fmt.Sprintf("%+v", *sub)
				}
				return ""
			}, billing.EventCreated},
		{"trial overridden to none, a coupon redeemed at the start",
			billing.NewSubscription{ID: "N", Account: "C", PlanID: "trial", TrialDays: stIntp(0), Coupon: "HALF", Start: day(2026, 5, 3)}, day(2026, 5, 1),
			func(sub *billing.Subscription) string {
				if !sub.TrialEnd.Equal(sub.Start) || sub.Coupon != "HALF" || !sub.CouponAt.Equal(sub.Start) || sub.BillingDay != 0 {
					return fmt.Sprintf("%+v", *sub)
				}
				return ""
			}, billing.EventCreated},
		{"the version in force at the start",
			billing.NewSubscription{ID: "N", Account: "C", PlanID: "pro", Start: day(2026, 6, 1)}, day(2026, 5, 1),
			func(sub *billing.Subscription) string {
				if sub.PlanVersion != 2 || sub.TermsAt(sub.Start).PlanVersion != 2 {
					return fmt.Sprintf("version %d", sub.PlanVersion)
				}
				return ""
			}, billing.EventCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := stWorld(t)
			evs := l.Must(l.CreateSubscription(tt.in, tt.at, "api"))
			if len(evs) != 1 || evs[0].Aggregate != "subscription:N" || evs[0].Seq != 1 || evs[0].Type != tt.typeWant || evs[0].Actor != "api" || !evs[0].RecordedAt.Equal(tt.at) {
				t.Fatalf("events %+v", evs)
			}
			sub, ok := l.Subscription("N")
			if !ok {
				t.Fatal("not created")
			}
			if msg := tt.check(sub); msg != "" {
				t.Fatalf("subscription: %s", msg)
			}
			if got := l.AccountSubscriptions(sub.Account); got[len(got)-1] != sub {
				t.Fatalf("AccountSubscriptions(%s) does not end with it", sub.Account)
			}
		})
	}
}
