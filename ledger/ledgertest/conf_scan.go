package ledgertest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// testScan checks ledger.Scanner: rows from Since on, duplicates collapsed, the latest rated
// version, sorted, with the fields a consumer rebuilds its state from.
func testScan(t *testing.T, s ledger.Store, _ Options) {
	sc, ok := s.(ledger.Scanner)
	if !ok {
		t.Fatalf("%T does not implement ledger.Scanner", s)
	}
	c := ctx(t)
	since := day0().Add(15 * 24 * time.Hour)
	rows := sampleUsage(200, 11)
	must(t, s.WriteUsage(c, rows), "write usage")
	must(t, s.WriteUsage(c, rows[:50]), "write usage again (a replay)")
	var want []ledger.UsageRef
	for _, u := range rows {
		if !u.EventTime.Before(since) {
			want = append(want, ledger.UsageRef{Source: u.Source, EventID: u.EventID, Subject: u.Subject, Meter: u.Meter,
				Account: u.Account, PricingGroup: u.PricingGroup, EventTime: ledger.TruncateTime(u.EventTime)})
		}
	}
	slices.SortFunc(want, func(a, b ledger.UsageRef) int {
		return cmp.Or(a.EventTime.Compare(b.EventTime), cmp.Compare(a.Source, b.Source), cmp.Compare(a.EventID, b.EventID))
	})
	got, err := sc.ScanUsage(c, ledger.ScanQuery{Since: since})
	must(t, err, "scan usage")
	if len(want) == 0 || len(want) == len(rows) {
		t.Fatalf("sample has %d of %d rows after %s: the test needs some on each side", len(want), len(rows), since)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("scan usage since %s: got %d rows, want %d\n got %v\nwant %v", since, len(got), len(want), got, want)
	}

	base := ledger.RatedDelta{Source: "s", EventID: "e1", Account: "ACME", Charge: "api", Meter: "api_calls",
		EventTime: since.Add(time.Hour + 300*time.Millisecond), Currency: "EUR"}
	early := base
	early.ID, early.EventID, early.EventTime, early.Quantity, early.Amount, early.Version = "r-early", "e0", since.Add(-time.Second), dec("5"), dec("1"), 1
	var rated []ledger.RatedDelta
	for _, v := range []uint64{2, 1} { // version 2 must win although it arrives first
		r := base
		r.ID, r.Version, r.Quantity, r.Amount = "r-1", v, dec(fmt.Sprint(7*v)+".000000000001"), dec("0.25")
		rated = append(rated, r)
	}
	must(t, s.WriteRated(c, append(rated, early)), "write rated")
	gotR, err := sc.ScanRated(c, ledger.ScanQuery{Since: since})
	must(t, err, "scan rated")
	wantR := []ledger.RatedRef{{ID: "r-1", Source: "s", EventID: "e1", Charge: "api", EventTime: ledger.TruncateTime(base.EventTime), Quantity: rated[0].Quantity}}
	if len(gotR) != 1 || gotR[0].ID != wantR[0].ID || gotR[0].Source != "s" || gotR[0].EventID != "e1" || gotR[0].Charge != "api" ||
		!gotR[0].EventTime.Equal(wantR[0].EventTime) || !gotR[0].Quantity.Equal(wantR[0].Quantity) {
		t.Fatalf("scan rated since %s: got %+v, want %+v (version 2, the early row left out)", since, gotR, wantR)
	}
	if _, err := sc.ScanUsage(c, ledger.ScanQuery{}); err == nil {
		t.Errorf("scan with a zero since: want an error, got none")
	}
}
