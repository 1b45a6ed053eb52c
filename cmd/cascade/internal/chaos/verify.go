package chaos

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
)

// Result is what Verify found in a scenario's ledger after a stream.
type Result struct {
	Records int // messages of the stream
	// Lost counts good records missing from the ledger, plus one per (account, meter) total
	// below the expected; Doubled counts extra rows of a record (a duplicate or replay counted
	// again, or stored with the duplicate's quantity), plus one per total above the expected.
	Lost, Doubled int
	// Accepted and Rejected are the distinct records in the ledger's usage and reject tables.
	Accepted, Rejected int
	// Identity holds when records = accepted + duplicates + rejected, every reject reason has
	// the expected count and, when counters were given, consumed = accepted + duplicate + rejected.
	Identity bool
	// Problems lists what broke each check (ids first), for the failure message.
	Problems []string
}

// OK says nothing was lost or doubled and the identity holds.
func (r Result) OK() bool { return r.Lost == 0 && r.Doubled == 0 && r.Identity }

// String is one line for logs.
func (r Result) String() string {
	s := fmt.Sprintf("records=%d accepted=%d rejected=%d lost=%d doubled=%d identity=%v", r.Records, r.Accepted, r.Rejected,
		r.Lost, r.Doubled, r.Identity)
	if len(r.Problems) > 0 {
		s += "\n  " + strings.Join(r.Problems, "\n  ")
	}
	return s
}

// maxProblems caps Result.Problems: the first ids say enough.
const maxProblems = 20

func (r *Result) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// Verify reads the scenario's ledger (its SQL read API on the ClickHouse server, and the usage
// totals billing reads) and checks it against the stream. Call it once the group caught up
// (WaitCaughtUp). counters, when not nil, are the /metrics of the last instance, taken after it
// caught up: its own counters must satisfy consumed = accepted + duplicate + rejected.
func (sc *Scenario) Verify(tb testing.TB, st *Stream, counters Metrics) Result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store, err := clickhouse.New(clickhouse.Config{Addr: sc.Env.CH.Addr, Database: sc.Database})
	if err != nil {
		tb.Fatalf("chaos: verify %s: %v", sc.Name, err)
	}
	defer store.Close()
	res := Result{Records: len(st.Messages), Identity: true}
	if err := sc.checkUsage(ctx, store, st, &res); err != nil {
		tb.Fatalf("chaos: verify %s: %v", sc.Name, err)
	}
	if err := sc.checkRejects(ctx, store, st, &res); err != nil {
		tb.Fatalf("chaos: verify %s: %v", sc.Name, err)
	}
	if err := checkTotals(ctx, store, st, sc.Calendar.Month, &res); err != nil {
		tb.Fatalf("chaos: verify %s: %v", sc.Name, err)
	}
	if err := checkRated(ctx, store, st, sc.Calendar.Month, &res); err != nil {
		tb.Fatalf("chaos: verify %s: %v", sc.Name, err)
	}
	if got := res.Accepted + st.Duplicates + res.Rejected; got != res.Records {
		res.Identity = false
		res.problem("identity: %d records != %d accepted + %d duplicates + %d rejected", res.Records, res.Accepted, st.Duplicates, res.Rejected)
	}
	if counters != nil {
		checkCounters(counters, &res)
	}
	return res
}

// checkUsage compares the usage rows (duplicates collapsed by FINAL, as every reader does)
// with the stream's good records.
func (sc *Scenario) checkUsage(ctx context.Context, store *clickhouse.Store, st *Stream, res *Result) error {
	_, rows, err := store.Query(ctx, "SELECT event_id, account, quantity FROM usage FINAL WHERE source = '"+Source+"' ORDER BY event_id")
	if err != nil {
		return fmt.Errorf("read usage: %w", err)
	}
	seen := map[string]int{}
	for _, r := range rows {
		id, account := r[0], r[1]
		q, err := decimal.NewFromString(r[2])
		if err != nil {
			return fmt.Errorf("usage row %s: quantity %q: %w", id, r[2], err)
		}
		seen[id]++
		want, ok := st.Events[id]
		switch {
		case !ok:
			res.Doubled++
			res.problem("doubled: usage row %s is no good record of the stream (account %s, quantity %s)", id, account, q)
		case seen[id] > 1:
			res.Doubled++
			res.problem("doubled: record %s stored %d times", id, seen[id])
		case !q.Equal(want.Quantity) || account != want.Account:
			res.Doubled++
			res.problem("doubled: record %s stored as %s %s, want %s %s (a duplicate's content won)", id, account, q, want.Account, want.Quantity)
		}
	}
	ids := make([]string, 0, len(st.Events))
	for id := range st.Events {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if seen[id] == 0 {
			res.Lost++
			res.problem("lost: record %s (%s, %s) is not in the ledger", id, st.Events[id].Account, st.Events[id].Quantity)
		} else {
			res.Accepted++
		}
	}
	return nil
}

// checkRejects counts the distinct rejects of the scenario's raw topic per reason.
func (sc *Scenario) checkRejects(ctx context.Context, store *clickhouse.Store, st *Stream, res *Result) error {
	_, rows, err := store.Query(ctx, "SELECT reason, count() FROM rejects FINAL WHERE topic = '"+sc.RawTopic+"' GROUP BY reason ORDER BY reason")
	if err != nil {
		return fmt.Errorf("read rejects: %w", err)
	}
	got := map[string]int{}
	for _, r := range rows {
		var n int
		if _, err := fmt.Sscan(r[1], &n); err != nil {
			return fmt.Errorf("rejects of %s: count %q: %w", r[0], r[1], err)
		}
		got[r[0]] = n
		res.Rejected += n
	}
	for reason, want := range st.Reasons {
		if got[reason] != want {
			res.Identity = false
			res.problem("identity: %d rejects %s in the ledger, want %d", got[reason], reason, want)
		}
	}
	for reason, n := range got {
		if _, ok := st.Reasons[reason]; !ok {
			res.Identity = false
			res.problem("identity: %d unexpected rejects %s", n, reason)
		}
	}
	return nil
}

// checkTotals reads each (account, meter) total as billing does (UsageTotals over the month)
// and compares it with the stream's exact total.
func checkTotals(ctx context.Context, store *clickhouse.Store, st *Stream, month ledger.Period, res *Result) error {
	for _, cust := range st.Customers {
		totals, err := store.UsageTotals(ctx, ledger.UsageQuery{Account: cust, Period: month})
		if err != nil {
			return fmt.Errorf("usage totals of %s: %w", cust, err)
		}
		got := decimal.Zero
		for _, t := range totals {
			if t.Meter == Meter {
				got = t.Quantity
			} else {
				res.Doubled++
				res.problem("doubled: %s has %s %s, a meter the stream never sent", cust, t.Quantity, t.Meter)
			}
		}
		want := st.Totals[UsageKey{Account: cust, Meter: Meter}]
		switch got.Cmp(want) {
		case -1:
			res.Lost++
			res.problem("lost: %s total %s %s, want %s (short by %s)", cust, got, Meter, want, want.Sub(got))
		case 1:
			res.Doubled++
			res.problem("doubled: %s total %s %s, want %s (over by %s)", cust, got, Meter, want, got.Sub(want))
		}
	}
	return nil
}

// checkCounters checks one process's own accounting: consumed = accepted + duplicate + rejected.
func checkCounters(m Metrics, res *Result) {
	consumed, err1 := m.Int("cascade_mediation_consumed_total")
	accepted, err2 := m.Int("cascade_mediation_accepted_total")
	duplicate, err3 := m.Int("cascade_mediation_duplicate_total")
	rejected, err4 := m.Sum("cascade_mediation_rejected_total")
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			res.Identity = false
			res.problem("identity: counters: %v", err)
			return
		}
	}
	if consumed != accepted+duplicate+rejected {
		res.Identity = false
		res.problem("identity: counters consumed %d != accepted %d + duplicate %d + rejected %d", consumed, accepted, duplicate, rejected)
	}
}
