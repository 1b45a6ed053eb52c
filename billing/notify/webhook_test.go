package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/billing/notify"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

var secret = []byte("whsec-0123456789abcdef")

// hookServer is a real local HTTP receiver answering with a script of status codes (-1 drops
// the connection: a network error) and checking every request as a receiver would.
type hookServer struct {
	mu     sync.Mutex
	script []int
	hits   int
	ids    []string
	bad    []string
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	code := http.StatusOK
	if h.hits < len(h.script) {
		code = h.script[h.hits]
	}
	h.hits++
	id := r.Header.Get(notify.HeaderEventID)
	h.ids = append(h.ids, id)
	var p notify.Payload
	if err := notify.Verify(secret, r.Header.Get(notify.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		h.bad = append(h.bad, "signature: "+err.Error())
	} else if err := json.Unmarshal(body, &p); err != nil || p.ID != id || p.Subject == "" || p.Data["number"] != "R-1" {
		h.bad = append(h.bad, "payload does not carry the notification")
	}
	if code < 0 {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	w.WriteHeader(code)
}

func TestWebhookDelivery(t *testing.T) {
	for _, tc := range []struct {
		name      string
		script    []int
		status    string
		attempts  int
		wantWaits []time.Duration
	}{
		{"first attempt fails", []int{500, 200}, billing.EventDelivered, 2, []time.Duration{10 * time.Millisecond}},
		{"network error then accepted", []int{-1, 204}, billing.EventDelivered, 2, []time.Duration{10 * time.Millisecond}},
		{"rate limited", []int{429, 503, 202}, billing.EventDelivered, 3, []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}},
		{"retries run out", []int{502, 503, 500, 200}, billing.EventDeadLetter, 3, []time.Duration{10 * time.Millisecond, 20 * time.Millisecond}},
		{"refused", []int{400, 200}, billing.EventDeadLetter, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &hookServer{script: tc.script}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			wh, err := notify.NewWebhook(notify.WebhookConfig{URL: ts.URL + "/cascade", Secret: secret})
			if err != nil {
				t.Fatal(err)
			}
			store := ledgertest.NewMemStore()
			e := entry("K1", "", "suspend+21")
			seed(t, store, e)
			sl := &sleeps{}
			rep, err := newDispatcher(t, store, sl, wh).DispatchOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			o, ok := outcomes(t, store, "webhook")[e.ID]
			if !ok || o.Status != tc.status || o.Attempts != tc.attempts || rep.Attempts != tc.attempts {
				t.Fatalf("outcome %+v (recorded %v), report %+v; want %s after %d attempts", o, ok, rep, tc.status, tc.attempts)
			}
			if !slices.Equal(sl.waits, tc.wantWaits) {
				t.Errorf("backoff waits %v, want %v", sl.waits, tc.wantWaits)
			}
			hits, ids := srv.seen()
			srv.mu.Lock()
			bad := srv.bad
			srv.mu.Unlock()
			if hits != tc.attempts || len(bad) > 0 {
				t.Errorf("server saw %d requests (%v), want %d well-signed ones", hits, bad, tc.attempts)
			}
			for _, id := range ids {
				if id != e.ID {
					t.Errorf("event id header %q, want %q", id, e.ID)
				}
			}
			// A second pass, and a restarted dispatcher, send nothing more.
			for i, d := range []*notify.Dispatcher{newDispatcher(t, store, sl, wh), newDispatcher(t, store, sl, wh)} {
				if rep, err := d.DispatchOnce(context.Background()); err != nil || rep.Attempts != 0 {
					t.Fatalf("pass %d after the outcome: %+v, %v; want nothing sent", i+2, rep, err)
				}
			}
		})
	}
}

func (h *hookServer) seen() (int, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits, append([]string(nil), h.ids...)
}

// failOutcome fails the first write of an outbox outcome: sent, but not recorded.
type failOutcome struct {
	*ledgertest.MemStore
	failed bool
}

func (f *failOutcome) WriteEvents(ctx context.Context, evs []ledger.Event) error {
	if !f.failed && len(evs) > 0 && evs[0].Seq > 1 {
		f.failed = true
		return ledger.ErrUnavailable
	}
	return f.MemStore.WriteEvents(ctx, evs)
}

// TestWebhookSentButNotRecordedIsSentAgain pins the guarantee: when the outcome cannot be
// recorded, the next pass sends the notification again with the same id (at-least-once; the
// receiver deduplicates on X-Cascade-Event-Id), and once recorded it is never sent again.
func TestWebhookSentButNotRecordedIsSentAgain(t *testing.T) {
	srv := &hookServer{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	wh, err := notify.NewWebhook(notify.WebhookConfig{URL: ts.URL, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	store := &failOutcome{MemStore: ledgertest.NewMemStore()}
	e := entry("K1", "", "s")
	seed(t, store, e)
	for pass, want := range []struct {
		err  bool
		hits int
	}{{true, 1}, {false, 2}, {false, 2}} {
		_, err := newDispatcher(t, store, &sleeps{}, wh).DispatchOnce(context.Background())
		if (err != nil) != want.err || !errors.Is(err, ledger.ErrUnavailable) && want.err {
			t.Fatalf("pass %d: %v, want error %v", pass+1, err, want.err)
		}
		if hits, ids := srv.seen(); hits != want.hits || slices.ContainsFunc(ids, func(id string) bool { return id != e.ID }) {
			t.Fatalf("pass %d: %d requests with ids %v, want %d, all %s", pass+1, hits, ids, want.hits, e.ID)
		}
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"id":"ntf_1"}`)
	now := time.Unix(1_800_000_000, 0)
	good := notify.Sign(secret, now.Unix(), body)
	for _, tc := range []struct {
		name   string
		secret []byte
		header string
		body   []byte
		ok     bool
	}{
		{"valid", secret, good, body, true},
		{"two signatures, one valid", secret, good + ",v1=00ff", body, true},
		{"tampered body", secret, good, []byte(`{"id":"ntf_2"}`), false},
		{"other secret", []byte("another-secret-123"), good, body, false},
		{"too old", secret, notify.Sign(secret, now.Add(-10*time.Minute).Unix(), body), body, false},
		{"no timestamp", secret, "v1=00", body, false},
		{"garbage", secret, "t=x,v1=zz", body, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := notify.Verify(tc.secret, tc.header, tc.body, now, 5*time.Minute)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, notify.ErrInvalid)) {
				t.Fatalf("Verify: %v, want ok=%v (errors wrap ErrInvalid)", err, tc.ok)
			}
		})
	}
}
