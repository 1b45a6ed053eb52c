package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// TestServeUsageErrors: a missing or broken config is exit 2 with every problem named.
func TestServeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("http:\n  listn: x\nlog: {format: xml}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no config", []string{"serve"}, exitUsage, []string{"--config FILE is required"}},
		{"missing file", []string{"serve", "--config", filepath.Join(dir, "nope.yaml")}, exitUsage, []string{"nope.yaml"}},
		{"every problem listed", []string{"serve", "--config", bad}, exitUsage,
			[]string{"line 2: http.listn: unknown key", "log.format", "catalog: required"}},
		{"stray argument", []string{"serve", "--config", bad, "extra"}, exitUsage, []string{`unexpected argument "extra"`}},
		{"help", []string{"serve", "-h"}, exitOK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errs bytes.Buffer
			code := runWith(context.Background(), tt.args, &out, &errs, openEmbeddedLedger)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, errs.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(errs.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs.String())
				}
			}
		})
	}
}

// TestReadyz: 200 only when the ledger answers, billing is loaded and the source runs; a
// failing part is named in the 503.
func TestReadyz(t *testing.T) {
	svc, _ := dirWorld(t)
	tests := []struct {
		name    string
		closed  bool // the ledger is closed: its query fails
		running bool
		status  int
		failing string
	}{
		{"all up", false, true, http.StatusOK, ""},
		{"source stopped", false, false, http.StatusServiceUnavailable, "mediation_source"},
		{"ledger down", true, true, http.StatusServiceUnavailable, "ledger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := ledgertest.NewMemStore()
			if tt.closed {
				_ = store.Close()
			}
			s := &server{svc: svc, store: store, med: &serveMediation{}, now: time.Now}
			s.med.running.Store(tt.running)
			rec := httptest.NewRecorder()
			s.readyz(rec, httptest.NewRequest("GET", "/readyz", nil))
			if rec.Code != tt.status {
				t.Fatalf("HTTP %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			var rd readiness
			if err := json.Unmarshal(rec.Body.Bytes(), &rd); err != nil {
				t.Fatal(err)
			}
			for part, state := range rd.Checks {
				if (part == tt.failing) == (state == "ok") {
					t.Errorf("check %s = %q (failing part: %q)", part, state, tt.failing)
				}
			}
			if rd.Ready != (tt.failing == "") || len(rd.Checks) != 3 {
				t.Errorf("readiness %+v", rd)
			}
		})
	}
}

// TestServeCommand runs `cascade serve --config FILE` through the command line as main does, on
// an embedded broker and an in-memory ledger, with the listen address from the environment:
// it serves, is ready, and exits 0 once its context is cancelled (SIGTERM in main).
func TestServeCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	t.Setenv("CASCADE_HTTP_LISTEN", addr)
	path := writeE2EConfig(t, "unused:9000", "")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The same file on the embedded ledger instead of ClickHouse.
	cfg := strings.Replace(string(raw), `clickhouse: {addr: "unused:9000", database: cascade_e2e}`, "embedded: {dir: data}", 1)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	memLedger := func(context.Context, *env, string) (ledger.Store, error) { return ledgertest.NewMemStore(), nil }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &lockedWriter{}
	code := make(chan int, 1)
	go func() { code <- runWith(ctx, []string{"serve", "--config", path}, io.Discard, stderr, memLedger) }()

	deadline := time.Now().Add(30 * time.Second)
	ready := false
	for !ready && time.Now().Before(deadline) {
		select {
		case c := <-code:
			t.Fatalf("serve exited %d before serving:\n%s", c, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			ready = res.StatusCode == http.StatusOK
			_ = res.Body.Close()
		}
	}
	if !ready {
		t.Fatalf("not ready on %s within 30 s:\n%s", addr, stderr.String())
	}
	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Fatalf("exit %d after shutdown, want 0:\n%s", c, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop within 60 s")
	}
	if !strings.Contains(stderr.String(), "shutdown: ledger closed") {
		t.Errorf("the log lacks the last shutdown step:\n%s", stderr.String())
	}
}
