package soak_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/soak"
)

// fakeConnector answers POST /v1/usage like the connector: each record accepted the first time
// its id is seen and a duplicate after. Every answer number fail is a 503 (or, with drop, a
// connection closed after the records were taken, so the retry carries duplicates); reject
// makes it reject the second record of every batch.
type fakeConnector struct {
	mu      sync.Mutex
	seen    map[string]bool
	n       atomic.Int64
	fail    int64
	drop    bool
	reject  bool
	badBody atomic.Int64 // requests without the vendor key or the NDJSON type
}

func (f *fakeConnector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+soak.VendorKey || r.Header.Get("Content-Type") != "application/x-ndjson" {
		f.badBody.Add(1)
	}
	body, _ := io.ReadAll(r.Body)
	n := f.n.Add(1)
	if n == f.fail && !f.drop {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var ans struct{ Accepted, Rejected, Duplicate int }
	f.mu.Lock()
	sc := bufio.NewScanner(bytes.NewReader(body))
	for i := 0; sc.Scan(); i++ {
		var rec struct{ ID, Source, Type, Subject string }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Source != soak.Source || rec.Type != soak.Meter || rec.Subject == "" {
			f.badBody.Add(1)
		}
		switch {
		case f.reject && i == 1:
			ans.Rejected++
		case f.seen[rec.ID]:
			ans.Duplicate++
		default:
			f.seen[rec.ID] = true
			ans.Accepted++
		}
	}
	f.mu.Unlock()
	if n == f.fail && f.drop {
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		_ = conn.Close()
		return
	}
	_ = json.NewEncoder(w).Encode(ans)
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		fc   *fakeConnector
		kind error // Run's error; nil: every generated record accepted once
		dups bool  // the answers include duplicates (a retry after a lost answer)
	}{
		{name: "every batch accepted", fc: &fakeConnector{}},
		{name: "a 503 is retried", fc: &fakeConnector{fail: 3}},
		{name: "a lost answer is retried and the copies are duplicates", fc: &fakeConnector{fail: 3, drop: true}, dups: true},
		{name: "a rejected record stops the load", fc: &fakeConnector{reject: true}, kind: soak.ErrLoad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fc.seen = map[string]bool{}
			srv := httptest.NewServer(tt.fc)
			defer srv.Close()
			l := &soak.Load{Base: srv.URL, Subjects: []string{"c0", "c1"}, Batch: 10, Clients: 2, Now: time.Now}
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			err := l.Run(ctx, 0)
			if tt.kind != nil {
				if !errors.Is(err, tt.kind) {
					t.Fatalf("Run: %v, want %v", err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := l.Counts()
			tt.fc.mu.Lock()
			held := int64(len(tt.fc.seen))
			tt.fc.mu.Unlock()
			// A retried batch whose first answer was lost is answered "duplicate" by a connector
			// that remembers ids (the real one leaves that to mediation): still accounted for.
			if c.Generated < 30 || c.Accepted+c.Duplicate != c.Generated || held != c.Generated {
				t.Errorf("generated %d, the load counts %d accepted and %d duplicate, the connector holds %d ids: want them to add up (and > 30)",
					c.Generated, c.Accepted, c.Duplicate, held)
			}
			if got := c.Duplicate > 0; got != tt.dups || (tt.fc.fail > 0) != (c.Retries > 0) {
				t.Errorf("duplicates %d, retries %d for %q", c.Duplicate, c.Retries, tt.name)
			}
			if c.Sent != c.Generated+10*c.Retries {
				t.Errorf("sent %d records, accepted %d, duplicate %d, retries %d: the counts do not add up", c.Sent, c.Accepted, c.Duplicate, c.Retries)
			}
			if bad := tt.fc.badBody.Load(); bad > 0 {
				t.Errorf("%d requests or records were malformed", bad)
			}
		})
	}
}

// TestLoadPaced checks the pacing: at 400 records/s for a second, about 400 records go.
func TestLoadPaced(t *testing.T) {
	fc := &fakeConnector{seen: map[string]bool{}}
	srv := httptest.NewServer(fc)
	defer srv.Close()
	l := &soak.Load{Base: srv.URL, Subjects: []string{"c0"}, Batch: 20, Clients: 3, Now: time.Now}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := l.Run(ctx, 400); err != nil {
		t.Fatal(err)
	}
	// 400 in the second plus the first slot's batch; a busy machine may send fewer, never more.
	if got := l.Counts().Generated; got < 200 || got > 440 {
		t.Errorf("paced at 400 records/s for 1 s, generated %d", got)
	}
	if !strings.HasPrefix(srv.URL, "http://") {
		t.Fatal(srv.URL)
	}
}
