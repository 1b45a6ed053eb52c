package billing_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// TestBuildErrors: bad input is a clear error of the right kind, naming what is wrong.
func TestBuildErrors(t *testing.T) {
	f := newBuildFix(t)
	oct := month(2026, time.October)
	rec := func(mod func(*billing.Item)) billing.Item {
		it := recurring("S1", "team", "seats", oct, oct, 1)
		mod(&it)
		return it
	}
	cases := []struct {
		name  string
		in    billing.InvoiceInput
		kinds []error
		says  string
	}{
		{"unknown plan version", f.input("acme", oct, rec(func(it *billing.Item) { it.PlanVersion = 7 })),
			[]error{billing.ErrNotFound}, `plan "team" version 7`},
		{"plan in another currency", f.input("acme", oct, recurring("S1", "compute-jp", "support", oct, oct, 0)),
			[]error{billing.ErrCurrencyMismatch}, "JPY"},
		{"unknown jurisdiction", func() billing.InvoiceInput {
			in := f.input("acme", oct, rec(func(*billing.Item) {}))
			b := *in.Buyer
			b.TaxJurisdiction = "XX"
			in.Buyer = &b
			return in
		}(), []error{billing.ErrInvalid}, `"XX"`},
		{"pooled charge without its group", f.input("acme", oct, usage("S1", "compute-pooled", oct, oct, false, map[string]string{"compute_hours": "5"})),
			[]error{billing.ErrInvalid}, "Item.Pools"},
		{"pool without this subscription", f.input("acme", oct, withPool(usage("S1", "compute-pooled", oct, oct, false, nil), "S2", "5")),
			[]error{billing.ErrInvalid}, "do not include subscription S1"},
		{"pool quantity disagrees with usage", f.input("acme", oct, withPool(usage("S1", "compute-pooled", oct, oct, false, map[string]string{"compute_hours": "4"}), "S1", "5")),
			[]error{billing.ErrInvalid}, "usage[compute_hours] = 4"},
		{"pool for a meter that is not pooled", f.input("acme", oct, withPool(usage("S1", "api-basic", oct, oct, false, nil), "S1", "5")),
			[]error{billing.ErrInvalid}, "pools[compute_hours]"},
		{"days past the period", f.input("acme", oct, rec(func(it *billing.Item) { it.Days = 32 })),
			[]error{billing.ErrInvalid}, "days 32"},
		{"meter the plan does not price", f.input("acme", oct, usage("S1", "api-basic", oct, oct, false, map[string]string{"storage_gb": "5"})),
			[]error{billing.ErrInvalid}, "usage[storage_gb]"},
		{"negative usage", f.input("acme", oct, usage("S1", "api-basic", oct, oct, false, map[string]string{"api_calls": "-1"})),
			[]error{billing.ErrInvalid}, "usage[api_calls]"},
		{"recurring item on a one-time charge", f.input("acme", oct, recurring("S1", "api-pro", "onboarding", oct, oct, 0)),
			[]error{billing.ErrInvalid}, `charge "onboarding" is one_time`},
		{"unknown charge", f.input("acme", oct, rec(func(it *billing.Item) { it.ChargeID = "nope" })),
			[]error{billing.ErrNotFound}, `charge "nope"`},
		{"unknown price list", f.input("acme", oct, rec(func(it *billing.Item) { it.PriceList = "nope" })),
			[]error{billing.ErrNotFound}, `price list "nope"`},
		{"unknown coupon", f.input("acme", oct, rec(func(it *billing.Item) { it.Coupon = "NOPE" })),
			[]error{billing.ErrNotFound, rating.ErrUnknownCoupon}, `"NOPE"`},
		{"coupon redeemed after its validity", f.input("acme", oct, rec(func(it *billing.Item) {
			it.Coupon, it.CouponAt = "WELCOME10", day(2027, 2, 1)
		})), []error{billing.ErrInvalid, rating.ErrCouponExpired}, "WELCOME10"},
		{"item without subscription", f.input("acme", oct, rec(func(it *billing.Item) { it.Subscription = "" })),
			[]error{billing.ErrInvalid}, "no subscription"},
		{"unknown item kind", f.input("acme", oct, rec(func(it *billing.Item) { it.Kind = "gift" })),
			[]error{billing.ErrInvalid}, `"gift"`},
		{"no catalog", func() billing.InvoiceInput {
			in := f.input("acme", oct)
			in.Catalog = nil
			return in
		}(), []error{billing.ErrInvalid}, "catalog"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := billing.Build(tc.in)
			if err == nil {
				t.Fatalf("Build succeeded with %d lines, want an error", len(inv.Lines))
			}
			for _, k := range tc.kinds {
				if !errors.Is(err, k) {
					t.Errorf("error %q is not %v", err, k)
				}
			}
			if !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), tc.in.ID) {
				t.Errorf("error %q should name %s and the invoice %s", err, tc.says, tc.in.ID)
			}
		})
	}
}

// TestBuildAdjustment: late usage re-rates the window and bills only the difference; an
// unchanged charge has no line; a lower re-rate credits, its percentage discount mirrored; a
// period topped up to its minimum commitment re-computes the top-up instead of billing twice.
func TestBuildAdjustment(t *testing.T) {
	f := newBuildFix(t)
	oct, nov := month(2026, time.October), month(2026, time.November)
	cases := []struct {
		name, calls, invoiced string
		trueUp                string   // the true-up billed before ("": no commitment; "none": Commitment, no key)
		want                  []string // kind:amount of every line
	}{
		// 600,000 calls: 500,000 billable × 0.0002 = 100.00; 60.00 invoiced before.
		{"more usage bills the difference", "600000", "60.00", "", []string{"usage_adjustment:40.00", "discount:-2.00"}},
		{"unchanged usage adds nothing", "600000", "100.00", "", nil},
		{"less usage credits, discount mirrored", "350000", "60.00", "", []string{"usage_adjustment:-10.00", "discount:0.50"}},
		// Before: 300,000 calls = 40.00 − 2.00 + fees 61.50 (platform, 1 seat) = 99.50, topped up
		// by 50.50 to 150. Now 95.00 + 61.50 = 156.50: no top-up is due any more.
		{"late usage past the minimum takes the top-up back", "600000", "40.00", "50.50",
			[]string{"usage_adjustment:60.00", "discount:-3.00", "commitment:-50.50"}},
		// Now 400,000 calls: 60.00 − 3.00 + 61.50 = 118.50, top-up 31.50 instead of 50.50.
		{"late usage below the minimum shrinks the top-up", "400000", "40.00", "50.50",
			[]string{"usage_adjustment:20.00", "discount:-1.00", "commitment:-19.00"}},
		// Commitment without Invoiced[CommitmentRef]: no true-up was billed, so the period's
		// charges are unknown and it is re-priced from scratch (99.50 → 50.50).
		{"a period first topped up now", "300000", "40.00", "none", []string{"commitment:50.50"}},
		// A true-up billed and since taken back to 0.00: the period's charges reached the
		// minimum, and more usage keeps them there.
		{"a period at its minimum stays there", "600000", "40.00", "0", []string{"usage_adjustment:60.00", "discount:-3.00"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			it := usage("S1", "api-pro", oct, oct, false, map[string]string{"api_calls": tc.calls})
			it.Kind = billing.ItemUsageAdjustment
			it.Invoiced = map[string]decimal.Decimal{"calls": dec(tc.invoiced)}
			switch tc.trueUp {
			case "":
			case "none":
				it.Commitment = true
			default:
				it.Commitment, it.Invoiced[billing.CommitmentRef] = true, dec(tc.trueUp)
			}
			inv, err := billing.Build(f.input("acme", nov, it))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range inv.Lines {
				got = append(got, string(l.Kind)+":"+l.Amount.StringFixed(2))
				if l.Kind == billing.LineUsageAdjustment && !strings.Contains(l.Description, "late usage for 1 Oct – 31 Oct 2026") {
					t.Errorf("description %q does not name the window", l.Description)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("lines %v, want %v", got, tc.want)
			}
			checkInvoiceAddsUp(t, inv)
		})
	}
}

// TestBuildDiscounts: the documented order and proration of discounts, credits mirrored, the
// price list honoured, a fixed coupon never taking the invoice below zero, lines ordered by
// subscription id whatever the item order.
func TestBuildDiscounts(t *testing.T) {
	f := newBuildFix(t)
	nov := month(2026, time.November)
	part := billing.Period{From: day(2026, 11, 21), To: nov.To} // 10 of 30 days
	credit := recurring("S1", "desk", "desk", part, nov, 0)
	credit.Kind = billing.ItemProrationCredit
	withList := recurring("S2", "team", "seats", nov, nov, 2)
	withList.PriceList = "partners"
	fiveOff := recurring("S3", "desk", "desk", billing.Period{From: day(2026, 11, 28), To: nov.To}, nov, 0)
	fiveOff.Coupon = "FIVEOFF"
	cases := []struct {
		name  string
		items []billing.Item
		want  string // sub/kind/ref:amount of every line
	}{
		// 30 × 10/30 = 10.00; the fixed 3 prorated to 1.00; 10 % of the plan subtotal 9.00.
		{"prorated line prorates fixed discounts", []billing.Item{recurring("S1", "desk", "desk", part, nov, 0)},
			"S1/recurring/:10.00 S1/discount/desk-fixed:-1.00 S1/discount/desk-launch:-0.90"},
		{"credit gives back the discounted price", []billing.Item{credit},
			"S1/proration_credit/:-10.00 S1/discount/desk-fixed:1.00 S1/discount/desk-launch:0.90"},
		{"price list overrides the plan", []billing.Item{withList}, "S2/recurring/:12.00"},
		// 3 of 30 days: 3.00, fixed 0.30, 10 % of 2.70; the 5.00 coupon takes only what is left.
		{"fixed coupon stops at zero", []billing.Item{fiveOff},
			"S3/recurring/:3.00 S3/discount/desk-fixed:-0.30 S3/discount/desk-launch:-0.27 S3/coupon/FIVEOFF:-2.43"},
		{"subscriptions in id order", []billing.Item{withList, recurring("S1", "team", "seats", nov, nov, 1)},
			"S1/recurring/:8.99 S2/recurring/:12.00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := billing.Build(f.input("acme", nov, tc.items...))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range inv.Lines {
				got = append(got, l.Subscription+"/"+string(l.Kind)+"/"+l.Ref+":"+l.Amount.StringFixed(2))
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("lines\n %s\nwant\n %s", strings.Join(got, " "), tc.want)
			}
			checkInvoiceAddsUp(t, inv)
		})
	}
}

// withPool gives an item a compute_hours pool of (subscription id, quantity) pairs.
func withPool(it billing.Item, idQty ...string) billing.Item {
	var ms []rating.PoolMember
	for i := 0; i+1 < len(idQty); i += 2 {
		ms = append(ms, rating.PoolMember{ID: idQty[i], Quantity: dec(idQty[i+1])})
	}
	it.Pools = map[string][]rating.PoolMember{"compute_hours": ms}
	return it
}

// TestBuildPooled: each member of a group is billed its share of the group line, the tiers
// reached by the group total, and the shares add up exactly to the group amount.
func TestBuildPooled(t *testing.T) {
	f := newBuildFix(t)
	oct := month(2026, time.October)
	group := []string{"S-A", "400", "S-B", "400", "S-C", "333.33"}
	// 1133.33 hours: 1000 × 0.10 + 133.33 × 0.05 = 106.6665 → 106.67 for the group
	sum := dec("0")
	for i := 0; i < len(group); i += 2 {
		it := withPool(usage(group[i], "compute-pooled", oct, oct, false, nil), group...)
		inv := mustBuild(t, f.input("acme", oct, it))
		if len(inv.Lines) != 1 || inv.Lines[0].Quantity.String() != group[i+1] || len(inv.Lines[0].Parts) != 2 {
			t.Fatalf("member %s: lines %+v", group[i], inv.Lines)
		}
		if !strings.Contains(inv.Lines[0].Description, "group total 1,133.33 hours, group amount 106.67 EUR shared by usage") {
			t.Errorf("description %q does not explain the group", inv.Lines[0].Description)
		}
		sum = sum.Add(inv.Lines[0].Amount)
		checkInvoiceAddsUp(t, inv)
	}
	if !sum.Equal(dec("106.67")) {
		t.Errorf("members' lines sum to %s, want the group amount 106.67", sum)
	}
	// late usage of S-C re-prices the group; S-C was invoiced 30.00 before
	late := withPool(usage("S-C", "compute-pooled", oct, oct, false, nil), "S-A", "400", "S-B", "400", "S-C", "433.33")
	late.Kind, late.Invoiced = billing.ItemUsageAdjustment, map[string]decimal.Decimal{"hours": dec("30.00")}
	inv := mustBuild(t, f.input("acme", month(2026, time.November), late))
	// group 1233.33 → 111.6665 → 111.67; pro rata 36.2178…, 36.2178…, 39.2347…: the two cents
	// left after flooring go to the largest remainders (S-A, S-B), so S-C keeps 39.23
	if len(inv.Lines) != 1 || inv.Lines[0].Kind != billing.LineUsageAdjustment || !inv.Lines[0].Amount.Equal(dec("9.23")) {
		t.Errorf("pooled adjustment lines %+v, want one usage_adjustment of 9.23", inv.Lines)
	}
}

// TestBuildEmpty: a buyer with nothing due gets an empty, well-formed draft (the cycle decides
// whether to issue it), not an error.
func TestBuildEmpty(t *testing.T) {
	f := newBuildFix(t)
	inv := mustBuild(t, f.input("lumiere", month(2026, time.October)))
	if len(inv.Lines) != 0 || len(inv.Taxes) != 0 || !inv.Total.IsZero() || len(inv.Notes) != 1 {
		t.Errorf("got lines %d taxes %d total %s notes %v", len(inv.Lines), len(inv.Taxes), inv.Total, inv.Notes)
	}
	if got := string(renderedJSON(t, inv)); !strings.Contains(got, `"lines": []`) || !strings.Contains(got, `"taxes": []`) {
		t.Errorf("empty lists must render as [], got %s", got)
	}
}
