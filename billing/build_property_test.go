package billing_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// TestBuildProperties builds random invoices and checks what must hold for every one: Total =
// Subtotal + Tax; every amount at the currency's minor unit; the tax summary sums to the
// totals; an invoice without credits is never negative; Build is deterministic, also when the
// subscriptions' items arrive interleaved differently.
func TestBuildProperties(t *testing.T) {
	f := newBuildFix(t)
	rng := rand.New(rand.NewPCG(7, 2026))
	buyers := []string{"acme", "lumiere", "brit", "sakura", "calif"}
	plans := map[string][]string{
		"EUR": {"api-basic", "api-pro", "api-annual", "storage", "team", "desk"},
		"GBP": {"team-uk"},
		"JPY": {"compute-jp"},
	}
	seen := map[billing.LineKind]int{}
	for n := 0; n < 400; n++ {
		buyer := f.buyers[buyers[rng.IntN(len(buyers))]]
		var items []billing.Item
		credits := false
		for s := 0; s < 1+rng.IntN(3); s++ {
			sub := fmt.Sprintf("S%d", s)
			ps := plans[buyer.Currency]
			p, _ := f.cat.PlanVersion(ps[rng.IntN(len(ps))], 1)
			for i := 0; i < 1+rng.IntN(4); i++ {
				it := randomItem(rng, sub, p)
				credits = credits || it.Kind == billing.ItemProrationCredit || it.Kind == billing.ItemUsageAdjustment
				items = append(items, it)
			}
			if rng.IntN(3) == 0 {
				code := []string{"WELCOME10", "FIVEOFF"}[rng.IntN(2)]
				for i := range items {
					if items[i].Subscription == sub {
						items[i].Coupon, items[i].CouponAt, items[i].CouponPeriod = code, day(2026, 6, 1), rng.IntN(5)
					}
				}
			}
		}
		in := f.input(buyer.ID, month(2026, time.October), items...)
		inv, err := billing.Build(in)
		if err != nil {
			t.Fatalf("case %d: Build: %v", n, err)
		}
		checkInvoiceAddsUp(t, inv)
		checkMinorUnits(t, inv)
		for _, l := range inv.Lines {
			seen[l.Kind]++
		}
		if !credits && inv.Total.IsNegative() {
			t.Errorf("case %d: total %s below zero without any credit", n, inv.Total)
		}
		again := in
		again.Items = interleave(rng, items)
		inv2 := mustBuild(t, again)
		if a, b := renderedJSON(t, inv), renderedJSON(t, inv2); !bytes.Equal(a, b) {
			t.Fatalf("case %d: Build is not deterministic: %s", n, firstDiff(a, b))
		}
		if a, b := marshal(t, inv), marshal(t, inv2); !bytes.Equal(a, b) {
			t.Fatalf("case %d: Build is not deterministic (stored form): %s", n, firstDiff(a, b))
		}
		if t.Failed() {
			t.Fatalf("case %d failed; items %+v", n, items)
		}
	}
	// the generator must reach every kind of line, or the properties prove little
	for _, k := range []billing.LineKind{billing.LineRecurring, billing.LineOneTime, billing.LineUsage, billing.LineDiscount,
		billing.LineCoupon, billing.LineCommitment, billing.LineProrationCredit, billing.LineUsageAdjustment} {
		if seen[k] == 0 {
			t.Errorf("no %s line in 400 random invoices", k)
		}
	}
	t.Logf("lines by kind: %v", seen)
}

// randomItem draws one item of subscription sub on plan p.
func randomItem(rng *rand.Rand, sub string, p *rating.Plan) billing.Item {
	period := month(2026, time.November)
	var fees, meters []*rating.Charge
	for _, ch := range p.Charges {
		if ch.Kind == rating.ChargeUsage {
			meters = append(meters, ch)
		} else {
			fees = append(fees, ch)
		}
	}
	it := billing.Item{Subscription: sub, PlanID: p.ID, PlanVersion: p.Version, Period: period,
		Seats: decimal.NewFromInt(int64(rng.IntN(12)))}
	if len(fees) > 0 && (len(meters) == 0 || rng.IntN(2) == 0) {
		ch := fees[rng.IntN(len(fees))]
		it.ChargeID = ch.ID
		it.Kind = billing.ItemOneTime
		if ch.Kind == rating.ChargeRecurring {
			it.Kind = []billing.ItemKind{billing.ItemRecurring, billing.ItemProrationCredit}[rng.IntN(2)]
			days := 1 + rng.IntN(30)
			it.Days, it.PeriodDays = days, 30
			it.Window = billing.Period{From: period.To.AddDate(0, 0, -days), To: period.To}
		}
		return it
	}
	it.Kind, it.Window = billing.ItemUsage, period
	it.Commitment = rng.IntN(2) == 0
	it.Usage = map[string]decimal.Decimal{}
	cur := p.Currency
	for _, ch := range meters {
		// quantities up to 20 million with up to 3 decimals
		it.Usage[ch.Meter] = decimal.New(rng.Int64N(20_000_000_000), -3)
	}
	if rng.IntN(4) == 0 {
		it.Kind = billing.ItemUsageAdjustment
		it.Invoiced = map[string]decimal.Decimal{}
		for _, ch := range meters {
			it.Invoiced[ch.ID] = decimal.New(rng.Int64N(100_000_00), -cur.MinorUnits)
		}
		if it.Commitment {
			it.Invoiced[billing.CommitmentRef] = decimal.New(rng.Int64N(100_00), -cur.MinorUnits)
		}
	}
	return it
}

// interleave reorders items across subscriptions, keeping each subscription's own order.
func interleave(rng *rand.Rand, items []billing.Item) []billing.Item {
	queues := map[string][]billing.Item{}
	var subs []string
	for _, it := range items {
		if _, ok := queues[it.Subscription]; !ok {
			subs = append(subs, it.Subscription)
		}
		queues[it.Subscription] = append(queues[it.Subscription], it)
	}
	out := make([]billing.Item, 0, len(items))
	for len(out) < len(items) {
		s := subs[rng.IntN(len(subs))]
		if q := queues[s]; len(q) > 0 {
			out, queues[s] = append(out, q[0]), q[1:]
		}
	}
	return out
}

// checkMinorUnits: no amount on the invoice is finer than the currency's minor unit.
func checkMinorUnits(t *testing.T, inv *billing.Invoice) {
	t.Helper()
	cur, err := rating.LookupCurrency(inv.Currency)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, d decimal.Decimal) {
		if !cur.IsRounded(d) {
			t.Errorf("%s = %s is not at %s's minor unit", what, d, cur.Code)
		}
	}
	for _, l := range inv.Lines {
		for name, d := range map[string]decimal.Decimal{"amount": l.Amount, "net": l.Net, "tax": l.Tax, "gross": l.Gross} {
			check(fmt.Sprintf("line %d %s", l.No, name), d)
		}
	}
	for _, s := range inv.Taxes {
		check("summary net", s.Net)
		check("summary tax", s.Tax)
	}
	check("subtotal", inv.Subtotal)
	check("tax", inv.Tax)
	check("total", inv.Total)
}

func mustBuild(t *testing.T, in billing.InvoiceInput) *billing.Invoice {
	t.Helper()
	inv, err := billing.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func renderedJSON(t *testing.T, inv *billing.Invoice) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := billing.RenderJSON(&b, inv); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// marshal is the stored form, exact amounts included.
func marshal(t *testing.T, inv *billing.Invoice) []byte {
	t.Helper()
	b, err := json.MarshalIndent(inv, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
