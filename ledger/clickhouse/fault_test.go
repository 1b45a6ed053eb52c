package clickhouse_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/cascade-billing/cascade/ledger/internal/chsql"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/shopspring/decimal"
)

// faultRows makes n usage rows for account ACME in November 2026 (seeded, deterministic).
func faultRows(prefix string, n int) []ledger.Usage {
	day0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	meters := []string{"api_calls", "tokens", "gpu_seconds"}
	rows := make([]ledger.Usage, n)
	for i := range rows {
		at := day0.Add(time.Duration(i*7919%(29*24*3600)) * time.Second)
		rows[i] = ledger.Usage{Source: "fault", EventID: fmt.Sprintf("%s-%d", prefix, i), Account: "ACME", Meter: meters[i%3],
			Quantity: decimal.New(int64(i%1000+1), -3), EventTime: at, IngestTime: at,
			Attributes: []ledger.Attribute{{Key: "region", Value: []string{"eu", "us"}[i%2]}}}
	}
	return rows
}

var november = ledger.Period{From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}

// answers returns the queries a billing run depends on, as comparable text.
func answers(t *testing.T, s ledger.Reader) string {
	t.Helper()
	ctx := context.Background()
	totals, err := s.UsageTotals(ctx, ledger.UsageQuery{Account: "ACME", Period: november})
	if err != nil {
		t.Fatalf("usage totals: %v", err)
	}
	cons, err := s.Consumption(ctx, ledger.ConsumptionQuery{Account: "ACME", Period: november, GroupBy: "region"})
	if err != nil {
		t.Fatalf("consumption: %v", err)
	}
	var b strings.Builder
	for _, x := range totals {
		fmt.Fprintf(&b, "%s %s %d\n", x.Meter, x.Quantity.String(), x.Events)
	}
	for _, x := range cons {
		fmt.Fprintf(&b, "%s %s %s %s %d\n", x.Day.Format(time.DateOnly), x.Meter, x.Group, x.Quantity.String(), x.Events)
	}
	return b.String()
}

func TestServerDownAtStart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now
	start := time.Now()
	s, err := clickhouse.New(clickhouse.Config{Addr: addr, Database: "ledger", DialTimeout: time.Second})
	if err == nil {
		_ = s.Close()
		t.Fatal("New succeeded with no server")
	}
	if !errors.Is(err, ledger.ErrUnavailable) || !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q: want ErrUnavailable naming %s", err, addr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("New took %s to fail", d)
	}
}

func TestKilledMidWriteThenReplay(t *testing.T) {
	srv := clickhousetest.Start(t)
	cfg := clickhouse.Config{Addr: srv.Addr, Database: "crash", BatchSize: 10_000, ReadTimeout: 10 * time.Second}
	s, err := clickhouse.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	durable := faultRows("a", 30_000)
	if err := s.WriteUsage(ctx, durable); err != nil {
		t.Fatalf("write before the crash: %v", err)
	}
	inflight := faultRows("b", 400_000)
	done := make(chan error, 1)
	go func() { done <- s.WriteUsage(ctx, inflight) }()
	time.Sleep(500 * time.Millisecond) // several of the 40 inserts are through, one is in flight
	srv.Kill()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("write did not return after the server was killed")
	}
	if err == nil {
		t.Fatal("write reported success although the server was killed during it")
	}
	if !errors.Is(err, ledger.ErrUnavailable) {
		t.Errorf("write error %v: want ErrUnavailable", err)
	}
	_ = s.Close()

	srv.Restart()
	s, err = clickhouse.New(cfg)
	if err != nil {
		t.Fatalf("reopen after restart: %v", err)
	}
	defer s.Close()
	oracle := ledgertest.NewMemStore()
	if err := oracle.WriteUsage(ctx, durable); err != nil {
		t.Fatal(err)
	}
	// Everything reported durable survived the crash. Part of the failed call may be there as
	// well; the store did not claim it either way.
	totals, err := s.UsageTotals(ctx, ledger.UsageQuery{Account: "ACME", Period: november})
	if err != nil {
		t.Fatal(err)
	}
	var stored uint64
	for _, x := range totals {
		stored += x.Events
	}
	t.Logf("after the crash: %d of %d events stored (%d reported durable)", stored, len(durable)+len(inflight), len(durable))
	if stored < uint64(len(durable)) || stored >= uint64(len(durable)+len(inflight)) {
		t.Errorf("after the crash %d events are stored; want at least the %d durable ones and not all %d", stored, len(durable), len(durable)+len(inflight))
	}
	// The replay (what the pipeline does from its last committed offset) converges exactly.
	if err := s.WriteUsage(ctx, inflight); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if err := oracle.WriteUsage(ctx, inflight); err != nil {
		t.Fatal(err)
	}
	want := answers(t, oracle)
	got := answers(t, s)
	if got != want {
		t.Errorf("answers after replay differ from the reference:\n got %.300s\nwant %.300s", got, want)
	}
	// And a second crash-restart leaves the answers identical.
	_ = s.Close()
	srv.Kill()
	srv.Restart()
	s2, err := clickhouse.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if again := answers(t, s2); again != want {
		t.Errorf("answers changed across a restart")
	}
}

func TestHungServerTimesOut(t *testing.T) {
	srv := clickhousetest.Start(t)
	s := open(t, srv, func(c *clickhouse.Config) { c.ReadTimeout = 2 * time.Second })
	srv.Pause()
	defer srv.Resume()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	err := s.WriteUsage(ctx, faultRows("p", 1000))
	if err == nil {
		t.Fatal("write to a paused server succeeded")
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("write took %s to fail on a hung server", d)
	}
}

func TestMigrationsConcurrentAndRerun(t *testing.T) {
	srv := clickhousetest.Start(t)
	cfg := clickhouse.Config{Addr: srv.Addr, Database: "migrate_race"}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s, err := clickhouse.New(cfg)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent start %d: %v", i, err)
		}
	}
	s, err := clickhouse.New(cfg) // re-run on an up-to-date schema
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	defer s.Close()
	versions, err := clickhouse.AppliedMigrations(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	var want []uint32
	for _, m := range chsql.Migrations(cfg.Database) {
		want = append(want, m.Version)
	}
	if fmt.Sprint(versions) != fmt.Sprint(want) {
		t.Errorf("applied migrations %v, want %v", versions, want)
	}
	if err := s.WriteUsage(context.Background(), faultRows("m", 10)); err != nil {
		t.Errorf("write after concurrent migrations: %v", err)
	}
}
