package ledgertest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// testRatedCarried checks rated deltas carried by their usage rows (ledger.Usage.Rated): read
// like deltas written through WriteRated, a replay counted once, a re-rating through
// WriteRated (same id, higher version) winning over the carried one, deltas of both kinds
// summed together, and a bad carried delta refusing the whole call.
func testRatedCarried(t *testing.T, s ledger.Store, _ Options) {
	sc, ok := s.(ledger.Scanner)
	if !ok {
		t.Fatalf("%T does not implement ledger.Scanner", s)
	}
	c := ctx(t)
	at := day0().Add(20 * 24 * time.Hour)
	u1 := usageRow("s", "e1", "ACME", "api_calls", "3", at.Add(time.Hour))
	u1.Rated = []ledger.Rating{
		{ID: "d-e1-api", Charge: "api", Quantity: dec("3"), Amount: dec("0.000000000000000003"), Currency: "EUR"},
		{ID: "d-e1-premium", Charge: "premium", Quantity: dec("3"), Amount: dec("12345678901234567890.123456789012345678"), Currency: "EUR"},
	}
	u2 := usageRow("s", "e2", "ACME", "api_calls", "2", at.Add(2*time.Hour))
	u2.Rated = []ledger.Rating{{ID: "d-e2-api", Charge: "api", Quantity: dec("2"), Amount: dec("0.5"), Currency: "EUR"}}
	u3 := usageRow("s", "e3", "ACME", "api_calls", "1", at.Add(3*time.Hour)) // no deltas
	other := usageRow("s", "e4", "BETA", "api_calls", "7", at.Add(time.Hour))
	other.Subscription = "sub-BETA"
	other.Rated = []ledger.Rating{{ID: "d-e4-api", Charge: "api", Quantity: dec("7"), Amount: dec("7"), Currency: "USD"}}
	rows := []ledger.Usage{u1, u2, u3, other}
	must(t, s.WriteUsage(c, rows), "write usage with deltas")
	must(t, s.WriteUsage(c, rows[:2]), "write usage again (a replay)")
	legacy := ledger.RatedDelta{ID: "d-legacy", Version: 1, Source: "s", EventID: "e0", Account: "ACME", Subscription: "sub-ACME",
		Charge: "api", Meter: "api_calls", EventTime: at, Quantity: dec("10"), Amount: dec("1"), Currency: "EUR"}
	must(t, s.WriteRated(c, []ledger.RatedDelta{legacy}), "write a delta through WriteRated")

	check := func(when string, want []ledger.RatedTotal) {
		t.Helper()
		got, err := s.RatedTotals(c, ledger.UsageQuery{Account: "ACME", Subscription: "sub-ACME", Period: month()})
		must(t, err, "rated totals")
		if len(got) != len(want) {
			t.Fatalf("%s: rated totals %+v, want %+v", when, got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Charge != w.Charge || g.Currency != w.Currency || !g.Quantity.Equal(w.Quantity) || !g.Amount.Equal(w.Amount) || g.Events != w.Events {
				t.Errorf("%s: rated total %d = %+v, want %+v", when, i, g, w)
			}
		}
	}
	check("carried and written deltas", []ledger.RatedTotal{
		{Charge: "api", Currency: "EUR", Quantity: dec("15"), Amount: dec("1.500000000000000003"), Events: 3},
		{Charge: "premium", Currency: "EUR", Quantity: dec("3"), Amount: dec("12345678901234567890.123456789012345678"), Events: 1},
	})
	rerated := u1.Delta(0)
	rerated.Version, rerated.Quantity, rerated.Amount = 2, dec("4"), dec("0.75")
	must(t, s.WriteRated(c, []ledger.RatedDelta{rerated}), "re-rate a carried delta")
	must(t, s.WriteUsage(c, rows[:1]), "replay the usage after the re-rating")
	check("after re-rating e1's api delta", []ledger.RatedTotal{
		{Charge: "api", Currency: "EUR", Quantity: dec("16"), Amount: dec("2.25"), Events: 3},
		{Charge: "premium", Currency: "EUR", Quantity: dec("3"), Amount: dec("12345678901234567890.123456789012345678"), Events: 1},
	})

	got, err := sc.ScanRated(c, ledger.ScanQuery{Since: at.Add(time.Minute)})
	must(t, err, "scan rated")
	want := []ledger.RatedRef{
		{ID: "d-e1-api", Source: "s", EventID: "e1", Charge: "api", EventTime: at.Add(time.Hour), Quantity: dec("4")},
		{ID: "d-e1-premium", Source: "s", EventID: "e1", Charge: "premium", EventTime: at.Add(time.Hour), Quantity: dec("3")},
		{ID: "d-e4-api", Source: "s", EventID: "e4", Charge: "api", EventTime: at.Add(time.Hour), Quantity: dec("7")},
		{ID: "d-e2-api", Source: "s", EventID: "e2", Charge: "api", EventTime: at.Add(2 * time.Hour), Quantity: dec("2")},
	}
	if len(got) != len(want) {
		t.Fatalf("scan rated: got %+v, want %+v (the legacy delta is before since)", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Source != w.Source || g.EventID != w.EventID || g.Charge != w.Charge || !g.EventTime.Equal(w.EventTime) || !g.Quantity.Equal(w.Quantity) {
			t.Errorf("scan rated [%d] = %+v, want %+v", i, g, w)
		}
	}

	bad := usageRow("s", "e9", "ACME", "api_calls", "1", at)
	bad.Rated = []ledger.Rating{{ID: "d-e9", Charge: "api", Quantity: dec("1"), Amount: dec("0.0000000000000000001"), Currency: "EUR"}}
	err = s.WriteUsage(c, []ledger.Usage{usageRow("s", "e8", "ACME", "api_calls", "1", at), bad})
	if !errors.Is(err, ledger.ErrOutOfBounds) || !strings.Contains(err.Error(), "rated[0].amount") || !strings.Contains(err.Error(), "usage[1]") {
		t.Errorf("a carried delta with 19 fraction digits: got %v, want ErrOutOfBounds naming usage[1] and rated[0].amount", err)
	}
	totals, err := s.UsageTotals(c, ledger.UsageQuery{Account: "ACME", Period: month()})
	must(t, err, "usage totals")
	if len(totals) != 1 || totals[0].Events != 3 {
		t.Errorf("after the refused call: usage totals %+v, want the 3 events written before (nothing of the call)", totals)
	}
}
