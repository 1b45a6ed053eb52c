package ledgertest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// expectPeriodUsage is the reference answer, computed here independently of any store: rows
// must have distinct identities; keep selects the rows that count.
func expectPeriodUsage(rows []ledger.Usage, keep func(u ledger.Usage) bool) []ledger.AccountUsage {
	type key struct{ account, sub, meter string }
	groups := map[key][]ledger.Usage{}
	for _, u := range rows {
		u.EventTime = ledger.TruncateTime(u.EventTime)
		if keep(u) {
			k := key{u.Account, u.Subscription, u.Meter}
			groups[k] = append(groups[k], u)
		}
	}
	out := []ledger.AccountUsage{}
	for k, us := range groups {
		slices.SortFunc(us, func(a, b ledger.Usage) int {
			return cmp.Or(a.EventTime.Compare(b.EventTime), cmp.Compare(a.EventID, b.EventID), cmp.Compare(a.Source, b.Source))
		})
		a := ledger.AccountUsage{Account: k.account, Subscription: k.sub, Meter: k.meter, Max: us[0].Quantity,
			Latest: us[len(us)-1].Quantity, Events: uint64(len(us))}
		for _, u := range us {
			a.Quantity = a.Quantity.Add(u.Quantity)
			if u.Quantity.GreaterThan(a.Max) {
				a.Max = u.Quantity
			}
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b ledger.AccountUsage) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Subscription, b.Subscription), cmp.Compare(a.Meter, b.Meter))
	})
	return out
}

func checkPeriodUsage(t *testing.T, what string, got, want []ledger.AccountUsage) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d rows, want %d\n got %.600s\nwant %.600s", what, len(got), len(want), describeUsage(got), describeUsage(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Account != w.Account || g.Subscription != w.Subscription || g.Meter != w.Meter || !g.Quantity.Equal(w.Quantity) ||
			!g.Max.Equal(w.Max) || !g.Latest.Equal(w.Latest) || g.Events != w.Events {
			t.Errorf("%s: row %d is %s, want %s", what, i, describeUsage(got[i:i+1]), describeUsage(want[i:i+1]))
		}
	}
}

// describeUsage prints rows with decimals as text.
func describeUsage(rows []ledger.AccountUsage) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "{%q %q %q sum %s max %s latest %s events %d} ", r.Account, r.Subscription, r.Meter, r.Quantity, r.Max, r.Latest, r.Events)
	}
	return b.String()
}

// inMonthUsage reports whether u's (truncated) event time is in the suite's month.
func inMonthUsage(u ledger.Usage) bool {
	at := ledger.TruncateTime(u.EventTime)
	return !at.Before(month().From) && at.Before(month().To)
}

// testPeriodUsageAggregates checks sum, max, latest and count per (account, subscription,
// meter) with replays collapsed, events outside the period left out, and a latest that is
// neither the largest nor the last written.
func testPeriodUsageAggregates(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	rows := sampleUsage(600, 21)
	for i := range rows {
		if i%5 == 0 { // a second subscription on some accounts: its own rows
			rows[i].Subscription += "-b"
		}
	}
	at := day0().Add(10 * 24 * time.Hour)
	big := "12345678901234567890123455.123456789012" // 38 digits; plus 1 still fits
	hand := []ledger.Usage{
		// One (account, meter): the latest by event time is 2, neither max nor last written.
		usageRow("h", "e1", "Hand'Co", "calls", "5", at),
		usageRow("h", "e3", "Hand'Co", "calls", "2", at.Add(2*time.Hour)),
		usageRow("h", "e2", "Hand'Co", "calls", "9", at.Add(time.Hour)),
		// Same second: the event id decides (e-b after e-a), not the order written.
		usageRow("h", "e-b", "Hand'Co", "bytes", big, at.Add(500*time.Millisecond)),
		usageRow("h", "e-a", "Hand'Co", "bytes", "1", at),
		// Outside the period on either side: not counted.
		usageRow("h", "before", "Hand'Co", "calls", "100", month().From.Add(-time.Second)),
		usageRow("h", "at-end", "Hand'Co", "calls", "100", month().To),
	}
	rows = append(rows, hand...)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	must(t, s.WriteUsage(c, rows), "write usage")
	must(t, s.WriteUsage(c, rows[:200]), "write usage again (a replay)")
	must(t, s.WriteUsage(c, hand), "write the hand-made rows again")

	got, err := s.PeriodUsage(c, ledger.PeriodUsageQuery{Period: month()})
	must(t, err, "period usage")
	want := expectPeriodUsage(rows, inMonthUsage)
	checkPeriodUsage(t, "period usage", got, want)
	// The reference itself must show what the hand-made rows are for.
	var calls ledger.AccountUsage
	for _, w := range want {
		if w.Account == "Hand'Co" && w.Meter == "calls" {
			calls = w
		}
	}
	if calls.Events != 3 || calls.Quantity.String() != "16" || calls.Max.String() != "9" || calls.Latest.String() != "2" {
		t.Fatalf("reference for Hand'Co calls is %s, want 3 events, 16, max 9, latest 2", describeUsage([]ledger.AccountUsage{calls}))
	}
}

// testPeriodUsageAccounts filters by a list of 10,000 long account names (more than one
// ClickHouse statement can hold at the default max_query_size of 256 KiB), with duplicates and
// unknown accounts in it.
func testPeriodUsageAccounts(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	name := func(i int) string { return fmt.Sprintf("customer-%05d-%s", i, strings.Repeat("x", 30)) }
	var rows []ledger.Usage
	for i := 0; i < 300; i++ {
		at := day0().Add(time.Duration(i) * time.Hour)
		rows = append(rows,
			usageRow("f", fmt.Sprint("a", i), name(i), "calls", fmt.Sprintf("%d.5", i), at),
			usageRow("f", fmt.Sprint("b", i), name(i), "tokens", "3", at.Add(time.Minute)))
	}
	quoted := usageRow("f", "q", "it's \\ quoted", "calls", "7", day0())
	rows = append(rows, quoted)
	must(t, s.WriteUsage(c, rows), "write usage")

	var filter []string
	picked := map[string]bool{quoted.Account: true}
	for i := 0; len(filter) < 9_998; i++ { // every third known account, then unknown ones
		if i < 300 && i%3 != 0 {
			continue
		}
		filter = append(filter, name(i))
		if i < 300 {
			picked[name(i)] = true
		}
	}
	filter = append(filter, quoted.Account, name(0)) // name(0) twice: picked above already
	size := 0
	for _, a := range filter {
		size += len(a) + 4
	}
	if len(filter) != 10_000 || size <= 256<<10 {
		t.Fatalf("filter has %d accounts, %d bytes quoted: the test needs 10000 and more than 256 KiB", len(filter), size)
	}
	got, err := s.PeriodUsage(c, ledger.PeriodUsageQuery{Period: month(), Accounts: filter})
	must(t, err, "period usage of 10000 accounts")
	want := expectPeriodUsage(rows, func(u ledger.Usage) bool { return picked[u.Account] && inMonthUsage(u) })
	checkPeriodUsage(t, "10000 accounts", got, want)
	if len(want) < 100 {
		t.Fatalf("reference has only %d rows", len(want))
	}

	one, err := s.PeriodUsage(c, ledger.PeriodUsageQuery{Period: month(), Accounts: []string{name(7)}})
	must(t, err, "period usage of one account")
	checkPeriodUsage(t, "one account", one, expectPeriodUsage(rows, func(u ledger.Usage) bool { return u.Account == name(7) && inMonthUsage(u) }))
}

// testPeriodUsageIngestedBefore counts only events ingested before the cut; a redelivery
// ingested after the cut does not hide a first copy ingested before it.
func testPeriodUsageIngestedBefore(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	cut := day0().Add(20*24*time.Hour + 300*time.Millisecond) // stored to the second, like ingest times
	ingested := func(u ledger.Usage, at time.Time) ledger.Usage { u.IngestTime = at; return u }
	at := day0().Add(24 * time.Hour)
	early := ingested(usageRow("i", "early", "ACME", "calls", "1", at), cut.Add(-time.Hour))
	late := ingested(usageRow("i", "late", "ACME", "calls", "10", at.Add(time.Hour)), cut.Add(time.Hour))
	atCut := ingested(usageRow("i", "at-cut", "ACME", "calls", "100", at.Add(2*time.Hour)), ledger.TruncateTime(cut))
	redelivered := ingested(usageRow("i", "redelivered", "ACME", "tokens", "1000", at), cut.Add(-2*time.Hour))
	lateOnly := ingested(usageRow("i", "late-only", "Globex", "calls", "5", at), cut.Add(time.Second))
	must(t, s.WriteUsage(c, []ledger.Usage{early, late, atCut, redelivered, lateOnly}), "write usage")
	must(t, s.WriteUsage(c, []ledger.Usage{ingested(redelivered, cut.Add(2*time.Hour))}), "redeliver after the cut")

	got, err := s.PeriodUsage(c, ledger.PeriodUsageQuery{Period: month(), IngestedBefore: cut})
	must(t, err, "period usage ingested before the cut")
	checkPeriodUsage(t, "ingested before", got, expectPeriodUsage([]ledger.Usage{early, redelivered}, inMonthUsage))

	all, err := s.PeriodUsage(c, ledger.PeriodUsageQuery{Period: month()})
	must(t, err, "period usage without a cut")
	checkPeriodUsage(t, "without a cut", all, expectPeriodUsage([]ledger.Usage{early, late, atCut, redelivered, lateOnly}, inMonthUsage))
}

// testPeriodUsageUnique counts distinct attribute values for unique_count meters: two meters
// with different attributes in one query, a replayed event counted once, events without the
// attribute or with an empty value not counted, and a meter not asked about answering 0.
func testPeriodUsageUnique(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	at := day0().Add(3 * 24 * time.Hour)
	with := func(u ledger.Usage, kv ...string) ledger.Usage {
		for i := 0; i+1 < len(kv); i += 2 {
			u.Attributes = append(u.Attributes, ledger.Attribute{Key: kv[i], Value: kv[i+1]})
		}
		return u
	}
	rows := []ledger.Usage{
		with(usageRow("u", "1", "A", "users", "1", at), "region", "eu", "user", "alice"),
		with(usageRow("u", "2", "A", "users", "1", at.Add(time.Hour)), "user", "bob"),
		with(usageRow("u", "3", "A", "users", "1", at.Add(2*time.Hour)), "user", "alice"),
		with(usageRow("u", "4", "A", "users", "1", at.Add(3*time.Hour)), "region", "eu"),
		with(usageRow("u", "5", "A", "users", "1", at.Add(4*time.Hour)), "user", ""),
		with(usageRow("u", "6", "A", "seats", "1", at), "seat", "s1", "user", "carol"),
		with(usageRow("u", "7", "A", "seats", "1", at), "seat", "s2"),
		with(usageRow("u", "8", "A", "seats", "1", at), "seat", "s3"),
		with(usageRow("u", "9", "A", "seats", "1", at), "user", "dave"),
		with(usageRow("u", "10", "A", "calls", "1", at), "user", "erin"),
		with(usageRow("u", "11", "B", "users", "1", at), "user", "O'Brien"),
	}
	must(t, s.WriteUsage(c, rows), "write usage")
	must(t, s.WriteUsage(c, rows[:2]), "write usage again (a replay)")
	got, err := s.PeriodUsage(c, ledger.PeriodUsageQuery{Period: month(), UniqueBy: map[string]string{"users": "user", "seats": "seat"}})
	must(t, err, "period usage")
	want := map[string]uint64{"A/calls": 0, "A/seats": 3, "A/users": 2, "B/users": 1}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %s", len(got), len(want), describeUsage(got))
	}
	for _, g := range got {
		if w := want[g.Account+"/"+g.Meter]; g.Unique != w {
			t.Errorf("%s/%s: unique %d, want %d", g.Account, g.Meter, g.Unique, w)
		}
	}
	plain, err := s.PeriodUsage(c, ledger.PeriodUsageQuery{Period: month()})
	must(t, err, "period usage without UniqueBy")
	for _, g := range plain {
		if g.Unique != 0 {
			t.Errorf("%s/%s: unique %d without UniqueBy, want 0", g.Account, g.Meter, g.Unique)
		}
	}
}
