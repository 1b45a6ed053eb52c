package clickhouse_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
	"github.com/shopspring/decimal"
)

// TestMigrationUpgradesV1Ledger starts on a ledger created by a build that knew only
// migration 1 (no events table, no rated columns in usage) and expects New to apply and record
// the later migrations, after which the old tables, the new columns and the events table all
// take writes.
func TestMigrationUpgradesV1Ledger(t *testing.T) {
	srv := clickhousetest.Start(t)
	const db = "upgrade_v1"
	ctx := context.Background()
	conn, err := ch.Open(&ch.Options{Addr: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	v1 := chsql.Migrations(db)[0]
	if v1.Version != 1 {
		t.Fatalf("first migration is %d", v1.Version)
	}
	for _, stmt := range append(chsql.Bootstrap(db), v1.Statements...) {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := conn.Exec(ctx, chsql.RecordMigrationSQL(db, v1, time.Now())); err != nil {
		t.Fatal(err)
	}
	// A start that died inside migration 3, after adding its first column: the next start
	// adds only the missing ones (18.16 has no ADD COLUMN IF NOT EXISTS).
	v3 := chsql.Migrations(db)[2]
	if err := conn.Exec(ctx, v3.AddColumns[0].AddColumnSQL(db)); err != nil {
		t.Fatal(err)
	}
	s, err := clickhouse.New(clickhouse.Config{Addr: srv.Addr, Database: db})
	if err != nil {
		t.Fatalf("open a v1 ledger: %v", err)
	}
	defer s.Close()
	versions, err := clickhouse.AppliedMigrations(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	var want []uint32
	for _, m := range chsql.Migrations(db) {
		want = append(want, m.Version)
	}
	if fmt.Sprint(versions) != fmt.Sprint(want) {
		t.Errorf("after the upgrade: migrations %v, want %v", versions, want)
	}
	rows := faultRows("v1", 50)
	rows[0].Rated = []ledger.Rating{{ID: "d1", Charge: "api", Quantity: rows[0].Quantity, Amount: decimal.RequireFromString("0.25"), Currency: "EUR"}}
	if err := s.WriteUsage(ctx, rows); err != nil {
		t.Fatal(err)
	}
	rated, err := s.RatedTotals(ctx, ledger.UsageQuery{Account: rows[0].Account, Period: ledger.Period{From: rows[0].EventTime, To: rows[0].EventTime.Add(time.Second)}})
	if err != nil || len(rated) != 1 || !rated[0].Amount.Equal(decimal.RequireFromString("0.25")) || rated[0].Events != 1 {
		t.Errorf("rated totals of a delta carried by a usage row after the upgrade: %+v, %v", rated, err)
	}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ev := ledger.Event{Aggregate: "account:ACME", Seq: 1, Type: "created", At: at, RecordedAt: at, Actor: "cli", Data: []byte(`{"a":1}`)}
	if err := s.WriteEvents(ctx, []ledger.Event{ev}); err != nil {
		t.Fatalf("write an event after the upgrade: %v", err)
	}
	got, err := s.Events(ctx, ledger.EventQuery{})
	if err != nil || len(got) != 1 || string(got[0].Data) != `{"a":1}` {
		t.Errorf("events after the upgrade: %+v, %v", got, err)
	}
}
