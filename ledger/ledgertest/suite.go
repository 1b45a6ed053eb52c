// Package ledgertest holds what every ledger.Store is tested with: the conformance suite that
// each backend (in-memory fake, ClickHouse server, embedded chdb) runs, and an in-memory Store
// (MemStore) for other packages' unit tests.
package ledgertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/shopspring/decimal"
)

// Options tunes the suite for slow backends; the zero value runs everything at full size.
type Options struct {
	// LargeBatch is the row count of the large-batch test (default 100000).
	LargeBatch int
}

// RunConformance runs the conformance suite. open must return a fresh, empty store each time it
// is called; the suite closes it. Each behaviour is a subtest, so a backend's failures name the
// behaviour that broke.
func RunConformance(t *testing.T, open func(t *testing.T) ledger.Store) {
	RunConformanceWith(t, open, Options{})
}

// RunConformanceWith is RunConformance with options.
func RunConformanceWith(t *testing.T, open func(t *testing.T) ledger.Store, opts Options) {
	t.Helper()
	if opts.LargeBatch == 0 {
		opts.LargeBatch = 100_000
	}
	for _, c := range conformanceCases() {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			c.run(t, s, opts)
		})
	}
}

// conformanceCase is one behaviour every Store must have.
type conformanceCase struct {
	name string
	run  func(t *testing.T, s ledger.Store, opts Options)
}

func conformanceCases() []conformanceCase {
	return []conformanceCase{
		{"usage/round_trip", testUsageRoundTrip},
		{"usage/same_batch_twice", testUsageTwice},
		{"usage/38_digits", testUsageDigits},
		{"usage/large_batch", testUsageLarge},
		{"usage/concurrent_writers", testUsageConcurrent},
		{"usage/bounds", testUsageBounds},
		{"usage/quoting", testUsageQuoting},
		{"rated/latest_version_wins", testRatedVersions},
		{"rated/carried_by_usage", testRatedCarried},
		{"scan/usage_and_rated_since", testScan},
		{"journal/balances_and_party", testJournal},
		{"journal/zero_and_three_decimal_currencies", testJournalCurrencies},
		{"journal/imbalance_rejected", testJournalImbalance},
		{"journal/38_digits", testJournalDigits},
		{"documents/latest_version", testDocuments},
		{"rejects/counts_and_originals", testRejects},
		{"audit/round_trip", testAudit},
		{"events/round_trip_bytes", testEventsRoundTrip},
		{"events/same_event_twice", testEventsTwice},
		{"events/prefix", testEventsPrefix},
		{"events/invalid_rejects_all", testEventsInvalid},
		{"period_usage/aggregates", testPeriodUsageAggregates},
		{"period_usage/accounts_filter", testPeriodUsageAccounts},
		{"period_usage/ingested_before", testPeriodUsageIngestedBefore},
		{"period_usage/unique_count", testPeriodUsageUnique},
		{"empty_results", testEmpty},
		{"closed", testClosed},
	}
}

// day0 and month are the fixed instants the suite writes around, so runs are deterministic.
func day0() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }

func month() ledger.Period { return ledger.Period{From: day0(), To: day0().AddDate(0, 1, 0)} }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return c
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// usageRow builds a valid usage row.
func usageRow(source, id, account, meter, qty string, at time.Time) ledger.Usage {
	return ledger.Usage{
		Source: source, EventID: id, Account: account, Meter: meter, Subject: "subj-" + account,
		Quantity: dec(qty), EventTime: at, IngestTime: at.Add(time.Minute),
		Subscription: "sub-" + account, PlanVersion: "plan@1", Chain: []string{"vendor:V", "reseller:R1"},
	}
}

// expectTotals computes per-meter totals of rows matching pred: the reference the stores are
// checked against. Rows must already have distinct identities.
func expectTotals(rows []ledger.Usage, pred func(u ledger.Usage) bool) map[string]ledger.UsageTotal {
	out := map[string]ledger.UsageTotal{}
	for _, u := range rows {
		if !pred(u) {
			continue
		}
		t := out[u.Meter]
		t.Meter = u.Meter
		t.Quantity = t.Quantity.Add(u.Quantity)
		t.Events++
		out[u.Meter] = t
	}
	return out
}

func checkTotals(t *testing.T, got []ledger.UsageTotal, want map[string]ledger.UsageTotal) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d meter totals %v, want %d %v", len(got), got, len(want), want)
	}
	for i, g := range got {
		w, ok := want[g.Meter]
		if !ok {
			t.Fatalf("unexpected meter %q in %v", g.Meter, got)
		}
		if !g.Quantity.Equal(w.Quantity) || g.Events != w.Events {
			t.Errorf("meter %s: got %s over %d events, want %s over %d", g.Meter, g.Quantity, g.Events, w.Quantity, w.Events)
		}
		if i > 0 && got[i-1].Meter >= g.Meter {
			t.Errorf("totals not sorted by meter: %v", got)
		}
	}
}

func describe(v any) string { return fmt.Sprintf("%+v", v) }
