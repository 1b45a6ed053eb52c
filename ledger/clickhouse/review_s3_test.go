package clickhouse_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
)

// TestReviewS3SQLNoOutboundRequest: no statement `cascade sql` accepts may make the ClickHouse
// server fetch a URL (server-side request forgery towards internal services).
func TestReviewS3SQLNoOutboundRequest(t *testing.T) {
	var hits atomic.Int64
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("1\t2\n"))
	}))
	defer web.Close()
	srv := clickhousetest.Start(t)
	s := open(t, srv)
	ctx := context.Background()
	for _, q := range []string{
		"SELECT * FROM url('" + web.URL + "/a', 'TSV', 'a UInt8, b UInt8')",
		"DESCRIBE TABLE url('" + web.URL + "/b', 'TSV', 'a UInt8, b UInt8')",
		"SELECT * FROM (SELECT * FROM url('" + web.URL + "/c', 'TSV', 'a UInt8, b UInt8'))",
	} {
		before := hits.Load()
		_, rows, err := s.Query(ctx, q)
		if hits.Load() != before {
			t.Errorf("%q made the server fetch %s (rows %q, err %v)", q, web.URL, rows, err)
		}
		t.Logf("%q: %q %v", q, rows, err)
	}
}

// TestReviewS3PausedServerAnswersWithinTheCallersDeadline: with the server frozen (SIGSTOP, a
// hung host), /readyz's ledger ping (a 5 s deadline) must fail within about its deadline, not
// after the store's ReadTimeout; and a small write (the group commit) whose caller gives up
// must return an error, never nil, and return once the server is back.
func TestReviewS3PausedServerAnswersWithinTheCallersDeadline(t *testing.T) {
	srv := clickhousetest.Start(t)
	s := open(t, srv)
	ctx := context.Background()
	rows := faultRows("paused", 10)
	if err := s.WriteUsage(ctx, rows[:5]); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	resumed := false
	defer func() {
		if !resumed {
			srv.Resume()
		}
	}()
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	start := time.Now()
	_, err := s.UsageTotals(rctx, ledger.UsageQuery{Account: "readyz", Period: ledger.Period{From: at, To: at.Add(time.Second)}})
	cancel()
	if took := time.Since(start); err == nil || took > 6*time.Second {
		t.Errorf("read on a paused server: err %v after %s; want an error within about the 2 s deadline", err, took.Round(time.Millisecond))
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	done := make(chan error, 1)
	go func() { done <- s.WriteUsage(wctx, rows[5:]) }()
	time.Sleep(3 * time.Second)
	srv.Resume()
	resumed = true
	cancel()
	select {
	case err := <-done:
		if err == nil {
			// nil must mean durable: the rows are then in the table.
			got, rerr := s.UsageTotals(ctx, ledger.UsageQuery{Account: rows[5].Account, Period: ledger.Period{From: rows[5].EventTime.Truncate(time.Hour), To: rows[5].EventTime.Add(time.Hour)}})
			if rerr != nil || len(got) == 0 {
				t.Errorf("the write returned nil but its rows are not readable (%v, %v)", got, rerr)
			}
		} else if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ledger.ErrUnavailable) {
			t.Logf("write on a paused server: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("a write on a paused-then-resumed server did not return within 60 s")
	}
}
