package ledgerstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/mediation"
	"github.com/shopspring/decimal"
)

// TestWriteCarriesDeltasInUsageRows builds batches by hand: deltas in the order of their usage
// rows, shuffled, several per record, none for some records; and deltas that cannot be
// stored with their row. Every delta must come back from the ledger under its own record (and
// nothing else), or the write must fail naming the delta and store nothing.
func TestWriteCarriesDeltasInUsageRows(t *testing.T) {
	at := time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC)
	row := func(id string) mediation.UsageRow {
		return mediation.UsageRow{ID: mediation.UsageID("gw", id),
			Record:     mediation.Record{ID: id, Source: "gw", Type: "api_calls", Subject: "cust-0", Time: at, Quantity: mediation.DecimalNumber(decimal.New(3, 0))},
			Enrichment: mediation.Enrichment{Account: "acct-cust-0", Subscription: "sub-0", PlanID: "pro", PlanVersion: 1}}
	}
	delta := func(id, charge string, amount int64) mediation.RatedDelta {
		return mediation.RatedDelta{ID: mediation.DeltaID("gw", id, charge), UsageID: mediation.UsageID("gw", id), PlanID: "pro", PlanVersion: 1,
			Charge: charge, Currency: "EUR", EventTime: at, Quantity: mediation.DecimalNumber(decimal.New(3, 0)),
			Amount: mediation.DecimalNumber(decimal.New(amount, -2))}
	}
	usage := []mediation.UsageRow{row("e1"), row("e2"), row("e3"), row("e4")}
	otherPlan := delta("e1", "calls", 1)
	otherPlan.PlanVersion = 2
	otherTime := delta("e2", "calls", 1)
	otherTime.EventTime = at.Add(time.Second)
	for _, tc := range []struct {
		name   string
		deltas []mediation.RatedDelta
		err    string // substring of Write's error; "" for success
	}{
		{"in row order", []mediation.RatedDelta{delta("e1", "calls", 1), delta("e1", "premium", 2), delta("e3", "calls", 3)}, ""},
		{"shuffled", []mediation.RatedDelta{delta("e4", "calls", 4), delta("e1", "premium", 2), delta("e3", "calls", 3), delta("e1", "calls", 1)}, ""},
		{"none", nil, ""},
		{"usage row missing", []mediation.RatedDelta{delta("e1", "calls", 1), delta("e9", "calls", 9)}, "is not in the batch"},
		{"another plan", []mediation.RatedDelta{otherPlan}, "differs from its usage row"},
		{"another time", []mediation.RatedDelta{otherTime}, "differs from its usage row"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := ledgertest.NewMemStore()
			store := newAdapter(t, l, loadCatalog(t), newDirectory())
			ctx := context.Background()
			err := store.Write(ctx, &mediation.Batch{Topic: topic, Usage: usage, Deltas: tc.deltas, At: testNow, Consumed: len(usage)})
			got, scanErr := l.ScanRated(ctx, ledger.ScanQuery{Since: november().From})
			if scanErr != nil {
				t.Fatal(scanErr)
			}
			refs, scanErr := l.ScanUsage(ctx, ledger.ScanQuery{Since: november().From})
			if scanErr != nil {
				t.Fatal(scanErr)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Write = %v, want an error containing %q", err, tc.err)
				}
				if len(got) != 0 || len(refs) != 0 {
					t.Errorf("a refused batch stored %d usage rows and %d deltas, want none", len(refs), len(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("Write = %v", err)
			}
			if len(refs) != len(usage) {
				t.Errorf("ledger holds %d usage rows, want %d", len(refs), len(usage))
			}
			want := map[string]string{}
			for _, d := range tc.deltas {
				want[d.ID.String()] = fmt.Sprintf("gw/%s %s %s", eventOf(t, d.UsageID, usage), d.Charge, d.Quantity)
			}
			if len(got) != len(want) {
				t.Fatalf("ledger holds %d deltas %+v, want %d", len(got), got, len(want))
			}
			for _, g := range got {
				if s := fmt.Sprintf("%s/%s %s %s", g.Source, g.EventID, g.Charge, g.Quantity); want[g.ID] != s {
					t.Errorf("delta %s stored as %q, want %q", g.ID, s, want[g.ID])
				}
			}
		})
	}
}

// eventOf returns the event id of the usage row with the given id.
func eventOf(t *testing.T, id mediation.ID, usage []mediation.UsageRow) string {
	t.Helper()
	for _, u := range usage {
		if u.ID == id {
			return u.Record.ID
		}
	}
	t.Fatalf("no usage row %s", id)
	return ""
}
