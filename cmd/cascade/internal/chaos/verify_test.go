package chaos_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/chaos"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/rating"
)

// TestVerifyFinds checks the oracle itself: Verify, given a ledger written directly (no
// service), says OK for exactly the stream, and finds a lost record, a record stored twice (a
// duplicate with another time accepted as new), a missing reject and broken counters.
func TestVerifyFinds(t *testing.T) {
	needsReal(t)
	env := chaos.StartEnv(t)
	cal := env.Calendar
	st := chaos.NewStream(chaos.StreamConfig{Seed: 5, Records: 200, Customers: 3, Window: cal.Usage, TooOld: cal.TooOld, InFuture: cal.InFuture})
	var first string // one good record's id, to break
	for _, m := range st.Messages {
		if m.Kind == chaos.Good {
			first = m.ID
			break
		}
	}
	okCounters, _ := chaos.ParseMetrics("cascade_mediation_consumed_total 3\ncascade_mediation_accepted_total 1\n" +
		"cascade_mediation_duplicate_total 1\ncascade_mediation_rejected_total{reason=\"decode\"} 1\n")
	badCounters, _ := chaos.ParseMetrics("cascade_mediation_consumed_total 4\ncascade_mediation_accepted_total 1\n" +
		"cascade_mediation_duplicate_total 1\ncascade_mediation_rejected_total{reason=\"decode\"} 1\n")
	for _, tc := range []struct {
		name          string
		skip, twice   string // a good record left out, or stored a second time with another event time
		ratedTwice    string // a good record whose delta is stored again under another id
		dropReject    bool
		counters      chaos.Metrics
		lost, doubled bool
		identity      bool
	}{
		{name: "exact", counters: okCounters, identity: true},
		{name: "lost", skip: first},
		{name: "doubled", twice: first, doubled: true, identity: true},
		{name: "delta doubled", ratedTwice: first, doubled: true, identity: true},
		{name: "reject missing", dropReject: true},
		{name: "counters off", counters: badCounters},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := env.NewScenario(t, "verify")
			writeLedger(t, sc, st, tc.skip, tc.twice, tc.ratedTwice, tc.dropReject)
			res := sc.Verify(t, st, tc.counters)
			if (res.Lost > 0) != (tc.skip != "") || (res.Doubled > 0) != tc.doubled || res.Identity != tc.identity {
				t.Errorf("Verify: %s; want lost=%v doubled=%v identity=%v", res, tc.skip != "", tc.doubled, tc.identity)
			}
		})
	}
}

// writeLedger stores what a correct mediation of st would (usage rows and rated deltas of the
// good records, rejects of the bad ones at their raw-topic positions), changed as asked.
func writeLedger(t *testing.T, sc *chaos.Scenario, st *chaos.Stream, skip, twice, ratedTwice string, dropReject bool) {
	t.Helper()
	store, err := clickhouse.New(clickhouse.Config{Addr: sc.Env.CH.Addr, Database: sc.Database})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ingest := time.Now().UTC().Truncate(time.Second)
	var usage []ledger.Usage
	var rated []ledger.RatedDelta
	var rejects []ledger.Reject
	price := quoter(t, sc.Calendar.Month.From)
	running := map[string]decimal.Decimal{} // account → total so far
	for i, m := range st.Messages {
		switch {
		case m.Kind == chaos.Good && m.ID != skip:
			e := st.Events[m.ID]
			u := ledger.Usage{Source: chaos.Source, EventID: m.ID, Account: e.Account, Subscription: "sub-" + e.Account,
				Subject: e.Account, Meter: chaos.Meter, Quantity: e.Quantity, EventTime: e.Time, IngestTime: ingest}
			usage = append(usage, u)
			before := running[e.Account]
			running[e.Account] = before.Add(e.Quantity)
			rated = append(rated, ledger.RatedDelta{ID: "d-" + m.ID, Version: 1, Source: chaos.Source, EventID: m.ID,
				Account: e.Account, Subscription: u.Subscription, PlanVersion: "std@1", Charge: chaos.Meter, Meter: chaos.Meter,
				EventTime: e.Time, Quantity: e.Quantity, Amount: price(running[e.Account]).Sub(price(before)), Currency: "EUR"})
			if m.ID == ratedTwice {
				again := rated[len(rated)-1]
				again.ID += "-replayed"
				rated = append(rated, again)
			}
			if m.ID == twice {
				u.EventTime = u.EventTime.Add(time.Second)
				usage = append(usage, u)
			}
		case m.Kind == chaos.Bad && dropReject:
			dropReject = false // the first bad message is left out
		case m.Kind == chaos.Bad:
			rejects = append(rejects, ledger.Reject{Topic: sc.RawTopic, Partition: 0, Offset: int64(i), At: ingest,
				Reason: m.Reason, Source: chaos.Source, EventID: m.ID, Original: m.Value})
		}
	}
	ctx := context.Background()
	if err := store.WriteRated(ctx, rated); err != nil {
		t.Fatal(err)
	}
	if err := store.WriteUsage(ctx, usage); err != nil {
		t.Fatal(err)
	}
	if err := store.WriteRejects(ctx, rejects); err != nil {
		t.Fatal(err)
	}
}

// quoter prices a period total of calls with the catalog: the exact (unrounded) charge.
func quoter(t *testing.T, at time.Time) func(decimal.Decimal) decimal.Decimal {
	cat, err := rating.Load("chaos", []byte(chaos.Catalog))
	if err != nil {
		t.Fatal(err)
	}
	return func(total decimal.Decimal) decimal.Decimal {
		q, err := cat.Quote(rating.QuoteInput{PlanID: "std", At: at, Usage: map[string]decimal.Decimal{chaos.Meter: total}})
		if err != nil {
			t.Fatal(err)
		}
		exact := decimal.Zero
		for _, l := range q.Lines {
			exact = exact.Add(l.Exact)
		}
		return exact
	}
}
