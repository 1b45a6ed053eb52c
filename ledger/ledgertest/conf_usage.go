package ledgertest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// sampleUsage makes n rows over three accounts, four meters and the days of the month, with a
// region attribute on most rows and a pricing group on two accounts. Seeded: deterministic.
func sampleUsage(n int, seed uint64) []ledger.Usage {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	accounts := []string{"ACME", "Globex", "Initech"}
	meters := []string{"api_calls", "gpu_seconds", "storage_gb", "tokens"}
	regions := []string{"eu", "us", "ap"}
	rows := make([]ledger.Usage, n)
	for i := range rows {
		acc := accounts[r.IntN(len(accounts))]
		at := day0().Add(time.Duration(r.IntN(30*24*3600)) * time.Second)
		qty := decimal.New(r.Int64N(1_000_000_000), -int32(r.IntN(13)))
		u := usageRow("src-"+fmt.Sprint(i%3), fmt.Sprintf("ev-%d-%d", seed, i), acc, meters[r.IntN(len(meters))], "0", at)
		u.Quantity = qty
		if r.IntN(5) > 0 {
			u.Attributes = []ledger.Attribute{{Key: "region", Value: regions[r.IntN(len(regions))]}, {Key: "tier", Value: "std"}}
		}
		if acc != "Initech" {
			u.PricingGroup = "pool-1"
		}
		rows[i] = u
	}
	return rows
}

func testUsageRoundTrip(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	rows := sampleUsage(500, 1)
	// One row outside the month and one with sub-second time: the period is half-open and times
	// are kept to the second.
	out := usageRow("src-x", "outside", "ACME", "api_calls", "7", day0().AddDate(0, 1, 0))
	frac := usageRow("src-x", "fraction", "ACME", "api_calls", "3", day0().Add(1500*time.Millisecond))
	rows = append(rows, out, frac)
	must(t, s.WriteUsage(c, rows), "write usage")

	inMonth := func(u ledger.Usage) bool { return !u.EventTime.Before(day0()) && u.EventTime.Before(month().To) }
	for _, acc := range []string{"ACME", "Globex", "Initech"} {
		got, err := s.UsageTotals(c, ledger.UsageQuery{Account: acc, Period: month()})
		must(t, err, "usage totals "+acc)
		checkTotals(t, got, expectTotals(rows, func(u ledger.Usage) bool { return u.Account == acc && inMonth(u) }))
	}
	got, err := s.UsageTotals(c, ledger.UsageQuery{PricingGroup: "pool-1", Period: month(), Meters: []string{"tokens", "api_calls"}})
	must(t, err, "usage totals pool")
	checkTotals(t, got, expectTotals(rows, func(u ledger.Usage) bool {
		return u.PricingGroup == "pool-1" && inMonth(u) && (u.Meter == "tokens" || u.Meter == "api_calls")
	}))

	// Consumption by day and region for one account, against a reference computed here.
	cons, err := s.Consumption(c, ledger.ConsumptionQuery{Account: "ACME", Period: month(), GroupBy: "region"})
	must(t, err, "consumption")
	type key struct{ day, meter, group string }
	want := map[key]ledger.ConsumptionRow{}
	for _, u := range rows {
		if u.Account != "ACME" || !inMonth(u) {
			continue
		}
		g := ""
		for _, a := range u.Attributes {
			if a.Key == "region" {
				g = a.Value
				break
			}
		}
		k := key{u.EventTime.Format("2006-01-02"), u.Meter, g}
		w := want[k]
		w.Quantity = w.Quantity.Add(u.Quantity)
		w.Events++
		want[k] = w
	}
	if len(cons) != len(want) {
		t.Fatalf("consumption: %d rows, want %d", len(cons), len(want))
	}
	for i, r := range cons {
		k := key{r.Day.Format("2006-01-02"), r.Meter, r.Group}
		w, ok := want[k]
		if !ok || !r.Quantity.Equal(w.Quantity) || r.Events != w.Events {
			t.Errorf("consumption row %+v: want %+v (found %v)", r, w, ok)
		}
		if !r.Day.Equal(r.Day.UTC().Truncate(24 * time.Hour)) {
			t.Errorf("consumption day %v is not a UTC midnight", r.Day)
		}
		if i > 0 {
			p := cons[i-1]
			if p.Day.After(r.Day) || (p.Day.Equal(r.Day) && (p.Meter > r.Meter || (p.Meter == r.Meter && p.Group >= r.Group))) {
				t.Errorf("consumption not sorted at %d: %+v then %+v", i, p, r)
			}
		}
	}
	// Without GroupBy every group is "" and totals per day and meter still match.
	flat, err := s.Consumption(c, ledger.ConsumptionQuery{Account: "ACME", Period: month(), Meters: []string{"tokens"}})
	must(t, err, "consumption flat")
	var sum, wantSum decimal.Decimal
	for _, r := range flat {
		if r.Group != "" || r.Meter != "tokens" {
			t.Errorf("flat consumption row %+v has a group or another meter", r)
		}
		sum = sum.Add(r.Quantity)
	}
	for _, u := range rows {
		if u.Account == "ACME" && u.Meter == "tokens" && inMonth(u) {
			wantSum = wantSum.Add(u.Quantity)
		}
	}
	if !sum.Equal(wantSum) {
		t.Errorf("flat consumption sums to %s, want %s", sum, wantSum)
	}
}

func testUsageTwice(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	rows := sampleUsage(300, 2)
	must(t, s.WriteUsage(c, rows), "first write")
	first, err := s.UsageTotals(c, ledger.UsageQuery{Account: "ACME", Period: month()})
	must(t, err, "totals after first write")
	// The same batch again (a replay), then an overlapping batch: half old ids, half new.
	must(t, s.WriteUsage(c, rows), "second write")
	again, err := s.UsageTotals(c, ledger.UsageQuery{Account: "ACME", Period: month()})
	must(t, err, "totals after replay")
	if describe(first) != describe(again) {
		t.Fatalf("replay changed totals:\n%v\n%v", first, again)
	}
	more := sampleUsage(100, 3)
	mixed := append(append([]ledger.Usage{}, rows[:150]...), more...)
	must(t, s.WriteUsage(c, mixed), "overlapping write")
	got, err := s.UsageTotals(c, ledger.UsageQuery{Account: "ACME", Period: month()})
	must(t, err, "totals after overlap")
	all := append(append([]ledger.Usage{}, rows...), more...)
	checkTotals(t, got, expectTotals(all, func(u ledger.Usage) bool { return u.Account == "ACME" }))
}

func testUsageDigits(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	values := []string{
		"12345678901234567890123456.789012345678", // 38 significant digits: 26 integer, 12 fraction
		"-99999999999999999999999999.999999999999",
		"0.000000000001",
		"1",
	}
	var rows []ledger.Usage
	for i, v := range values {
		rows = append(rows, usageRow("digits", fmt.Sprint(i), "D", fmt.Sprintf("m%d", i), v, day0().Add(time.Hour)))
	}
	must(t, s.WriteUsage(c, rows), "write")
	got, err := s.UsageTotals(c, ledger.UsageQuery{Account: "D", Period: month()})
	must(t, err, "totals")
	checkTotals(t, got, expectTotals(rows, func(ledger.Usage) bool { return true }))
}

func testUsageLarge(t *testing.T, s ledger.Store, opts Options) {
	c := ctx(t)
	rows := sampleUsage(opts.LargeBatch, 4)
	must(t, s.WriteUsage(c, rows), "write large batch")
	var total uint64
	for _, acc := range []string{"ACME", "Globex", "Initech"} {
		got, err := s.UsageTotals(c, ledger.UsageQuery{Account: acc, Period: month()})
		must(t, err, "totals "+acc)
		checkTotals(t, got, expectTotals(rows, func(u ledger.Usage) bool { return u.Account == acc }))
		for _, g := range got {
			total += g.Events
		}
	}
	if total != uint64(len(rows)) {
		t.Errorf("large batch: %d events stored, want %d", total, len(rows))
	}
}

func testUsageConcurrent(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	rows := sampleUsage(4000, 5)
	// Eight writers; writer w writes chunk w and chunk w+1, so every chunk but the first is
	// written twice, concurrently.
	const writers = 8
	chunk := len(rows) / writers
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lo, hi := w*chunk, min((w+2)*chunk, len(rows))
			for i := lo; i < hi; i += 250 {
				if err := s.WriteUsage(c, rows[i:min(i+250, hi)]); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent write: %v", err)
	}
	for _, acc := range []string{"ACME", "Globex", "Initech"} {
		got, err := s.UsageTotals(c, ledger.UsageQuery{Account: acc, Period: month()})
		must(t, err, "totals")
		checkTotals(t, got, expectTotals(rows, func(u ledger.Usage) bool { return u.Account == acc }))
	}
}

func testUsageBounds(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	good := usageRow("b", "good", "B", "m", "1", day0())
	cases := []struct {
		name, field string
		kind        error
		mutate      func(u *ledger.Usage)
	}{
		{"13 fraction digits", "quantity", ledger.ErrOutOfBounds, func(u *ledger.Usage) { u.Quantity = dec("0.0000000000001") }},
		{"27 integer digits", "quantity", ledger.ErrOutOfBounds, func(u *ledger.Usage) { u.Quantity = dec("100000000000000000000000000") }},
		{"before 1970", "event_time", ledger.ErrOutOfBounds, func(u *ledger.Usage) { u.EventTime = time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) }},
		{"after 2106", "event_time", ledger.ErrOutOfBounds, func(u *ledger.Usage) { u.EventTime = time.Date(2106, 3, 1, 0, 0, 0, 0, time.UTC) }},
		{"no event id", "event_id", ledger.ErrInvalid, func(u *ledger.Usage) { u.EventID = "" }},
		{"no account", "account", ledger.ErrInvalid, func(u *ledger.Usage) { u.Account = "" }},
	}
	for _, tc := range cases {
		bad := usageRow("b", "bad-"+strings.ReplaceAll(tc.name, " ", "_"), "B", "m", "1", day0())
		tc.mutate(&bad)
		err := s.WriteUsage(c, []ledger.Usage{good, bad})
		if !errors.Is(err, tc.kind) {
			t.Errorf("%s: error %v, want kind %v", tc.name, err, tc.kind)
			continue
		}
		var re *ledger.RecordError
		if !errors.As(err, &re) || re.Field != tc.field || !strings.Contains(err.Error(), bad.EventID) || !strings.Contains(err.Error(), "usage[1]") {
			t.Errorf("%s: error %q does not name usage[1], the id %q and field %q", tc.name, err, bad.EventID, tc.field)
		}
	}
	// Trailing zeros beyond the scale are not a loss and are accepted.
	ok := usageRow("b", "zeros", "B", "m", "0", day0())
	ok.Quantity = dec("2.50000000000000000000")
	must(t, s.WriteUsage(c, []ledger.Usage{ok}), "trailing zeros")
	got, err := s.UsageTotals(c, ledger.UsageQuery{Account: "B", Period: month()})
	must(t, err, "totals")
	// Nothing of the rejected calls was written: only the trailing-zero row is there.
	checkTotals(t, got, expectTotals([]ledger.Usage{ok}, func(ledger.Usage) bool { return true }))
}

func testUsageQuoting(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	nasty := `O'Brien \ "x" ; DROP TABLE usage; --` + "\n\t\x00é"
	u := usageRow(nasty, nasty, nasty, nasty, "4.25", day0().Add(time.Hour))
	u.Attributes = []ledger.Attribute{{Key: nasty, Value: nasty}}
	must(t, s.WriteUsage(c, []ledger.Usage{u}), "write")
	got, err := s.UsageTotals(c, ledger.UsageQuery{Account: nasty, Period: month(), Meters: []string{nasty}})
	must(t, err, "totals")
	checkTotals(t, got, expectTotals([]ledger.Usage{u}, func(ledger.Usage) bool { return true }))
	cons, err := s.Consumption(c, ledger.ConsumptionQuery{Account: nasty, Period: month(), GroupBy: nasty})
	must(t, err, "consumption")
	if len(cons) != 1 || cons[0].Group != nasty || cons[0].Meter != nasty {
		t.Errorf("consumption with quoted values: %+v", cons)
	}
}
