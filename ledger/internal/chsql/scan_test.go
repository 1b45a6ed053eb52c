package chsql_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
)

// TestScanQueries checks the scans' SQL: duplicates collapsed with FINAL, the since bound as a
// full DateTime literal (18.16 cannot compare a DateTime with a date-only string), a total
// order, and a column count that matches the decoder.
func TestScanQueries(t *testing.T) {
	since := time.Date(2026, 10, 20, 6, 30, 0, 0, time.UTC)
	q := ledger.ScanQuery{Since: since}
	for _, tc := range []struct {
		name   string
		query  chsql.Query
		table  string
		order  string
		decode func([][]string) error
		row    []string
		also   []string // further fragments the SQL must hold
	}{
		{"usage", chsql.ScanUsage("db", q), "`db`.`usage` FINAL", "ORDER BY event_time, source, event_id",
			func(r [][]string) error { _, err := chsql.DecodeScanUsage(r); return err },
			[]string{"s", "e", "subj", "m", "acct", "", "1792305000"}, nil},
		// Both homes of rated deltas: the rated table, and the usage rows' arrays minus the ids
		// the rated table holds (a re-rating replaces a carried delta).
		{"rated", chsql.ScanRated("db", q), "`db`.`rated` FINAL", "ORDER BY event_time, id",
			func(r [][]string) error { _, err := chsql.DecodeScanRated(r); return err },
			[]string{"id", "s", "e", "calls", "1792305000", "1.000000000001"},
			[]string{"`db`.`usage` FINAL ARRAY JOIN rated_id, rated_charge, rated_quantity", "rated_id NOT IN (SELECT id FROM `db`.`rated`"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sql := tc.query.SQL
			for _, want := range append([]string{tc.table, "event_time >= " + chsql.Time(since), tc.order}, tc.also...) {
				if !strings.Contains(sql, want) {
					t.Errorf("SQL %q lacks %q", sql, want)
				}
			}
			if tc.query.Columns != len(tc.row) {
				t.Fatalf("query has %d columns, the decoder's row %d", tc.query.Columns, len(tc.row))
			}
			if err := tc.decode([][]string{tc.row}); err != nil {
				t.Errorf("decode a well-formed row: %v", err)
			}
			if err := tc.decode([][]string{tc.row[:len(tc.row)-1]}); err == nil {
				t.Errorf("decode a row missing its last column: want an error")
			}
		})
	}
}

func TestDecodeScanValues(t *testing.T) {
	u, err := chsql.DecodeScanUsage([][]string{{"src", "ev-1", "cust", "api_calls", "acct", "grp", "1792305000"}})
	if err != nil {
		t.Fatal(err)
	}
	want := ledger.UsageRef{Source: "src", EventID: "ev-1", Subject: "cust", Meter: "api_calls", Account: "acct", PricingGroup: "grp",
		EventTime: time.Unix(1792305000, 0).UTC()}
	if len(u) != 1 || u[0] != want {
		t.Errorf("DecodeScanUsage = %+v, want %+v", u, want)
	}
	r, err := chsql.DecodeScanRated([][]string{{"id", "src", "ev-1", "calls", "1792305000", "12345678901234567890.123456789012"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r) != 1 || r[0].Quantity.String() != "12345678901234567890.123456789012" || r[0].Charge != "calls" {
		t.Errorf("DecodeScanRated = %+v: the 32-digit quantity must survive exactly", r)
	}
}
