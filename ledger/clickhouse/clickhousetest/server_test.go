package clickhousetest_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
)

func ping(addr string) (string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/ping")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b)), err
}

func TestStartKillRestart(t *testing.T) {
	srv := clickhousetest.Start(t)
	if got, err := ping(srv.HTTPAddr); err != nil || got != "Ok." {
		t.Fatalf("ping after Start: %q, %v", got, err)
	}
	conn, err := net.DialTimeout("tcp", srv.Addr, time.Second)
	if err != nil {
		t.Fatalf("native port %s not listening: %v", srv.Addr, err)
	}
	_ = conn.Close()

	srv.Pause()
	if _, err := ping(srv.HTTPAddr); err == nil {
		t.Error("a paused server answered /ping")
	}
	srv.Resume()
	if got, err := ping(srv.HTTPAddr); err != nil || got != "Ok." {
		t.Errorf("ping after Resume: %q, %v", got, err)
	}

	srv.Kill()
	if _, err := ping(srv.HTTPAddr); err == nil {
		t.Error("a killed server answered /ping")
	}
	srv.Restart()
	if got, err := ping(srv.HTTPAddr); err != nil || got != "Ok." {
		t.Errorf("ping after Restart: %q, %v", got, err)
	}
}

// fakeTB records Skipf/Fatalf instead of ending the test; both stop the calling goroutine as the
// real ones do.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	skipped  string
	failed   string
	cleanups int
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) TempDir() string   { return f.TB.TempDir() }
func (f *fakeTB) Cleanup(fn func()) { f.mu.Lock(); f.cleanups++; f.mu.Unlock(); f.TB.Cleanup(fn) }
func (f *fakeTB) Skipf(s string, a ...any) {
	f.mu.Lock()
	f.skipped = fmt.Sprintf(s, a...)
	f.mu.Unlock()
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(s string, a ...any) {
	f.mu.Lock()
	f.failed = fmt.Sprintf(s, a...)
	f.mu.Unlock()
	runtime.Goexit()
}

func startWith(tb *fakeTB) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		clickhousetest.Start(tb)
	}()
	<-done
}

func TestMissingBinary(t *testing.T) {
	t.Setenv("CLICKHOUSE_SERVER", "/nonexistent/clickhouse-server")
	for _, tc := range []struct {
		ci       string
		wantFail bool
	}{{"", false}, {"true", true}} {
		t.Setenv("CI", tc.ci)
		tb := &fakeTB{TB: t}
		startWith(tb)
		msg := tb.skipped
		if tc.wantFail {
			msg = tb.failed
		}
		if msg == "" || !strings.Contains(msg, "make deps") {
			t.Errorf("CI=%q: skipped %q, failed %q; want the %s to mention make deps", tc.ci, tb.skipped, tb.failed,
				map[bool]string{true: "failure", false: "skip"}[tc.wantFail])
		}
	}
}
