package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// moreRejects writes rejects of several sources and reasons, inside and outside the default
// window (the 7 days before moreNow), and returns them.
func (w *moreWorld) moreRejects() []ledger.Reject {
	w.t.Helper()
	var rows []ledger.Reject
	add := func(source, reason string, at time.Time, original string) {
		n := len(rows)
		rows = append(rows, ledger.Reject{Topic: "usage.raw", Partition: int32(n % 2), Offset: int64(100 + n), At: at,
			Reason: reason, Detail: "detail " + reason, Source: source, EventID: fmt.Sprintf("e%d", n), Original: []byte(original)})
	}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 9, 0, 0, 0, time.UTC) }
	add("V", "unknown_meter", day(5), `{"id":"e0","source":"V"}`)
	add("V/gw-eu", "unknown_subject", day(6), `{"id":"e1","source":"V/gw-eu"}`)
	add("W", "unknown_meter", day(7), `{"id":"e2","source":"W"}`)
	add("VX", "unknown_meter", day(8), `{"id":"e3","source":"VX"}`) // not V's: a prefix is not a producer
	add("", "bad_json", day(9), "\x00\xffnot json")
	add("V", "unknown_meter", day(1), `{"id":"e5","source":"V"}`) // before the default window
	add("V", "unknown_meter", day(9), "")                         // nothing to replay
	if err := w.store.WriteRejects(context.Background(), rows); err != nil {
		w.t.Fatal(err)
	}
	return rows
}

type moreRejectList struct {
	Rejects []struct {
		Offset   int64  `json:"offset"`
		Reason   string `json:"reason"`
		Source   string `json:"source"`
		Original []byte `json:"original"`
	} `json:"rejects"`
	Truncated bool `json:"truncated"`
}

func TestRejectsListScopedBySource(t *testing.T) {
	w := newMoreWorld(t, true)
	rows := w.moreRejects()
	window := func(r ledger.Reject) bool { return !r.At.Before(moreNow.Add(-7*24*time.Hour)) && r.At.Before(moreNow) }
	ofV := func(r ledger.Reject) bool { return r.Source == "V" || strings.HasPrefix(r.Source, "V/") }
	tests := []struct {
		name, query, key string
		keep             func(ledger.Reject) bool
		truncated        bool
	}{
		{"admin, default window", "", "admin", window, false},
		{"analyst, by reason", "?reason=unknown_meter", "analyst", func(r ledger.Reject) bool { return window(r) && r.Reason == "unknown_meter" }, false},
		{"finance, explicit window", "?from=2026-11-01&to=2026-11-06", "finance", func(r ledger.Reject) bool { return r.At.Before(time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC)) }, false},
		{"vendor sees only its sources", "", "vendor-v", func(r ledger.Reject) bool { return window(r) && ofV(r) }, false},
		{"vendor, its own producer", "?source=V/gw-eu", "vendor-v", func(r ledger.Reject) bool { return window(r) && r.Source == "V/gw-eu" }, false},
		{"admin by source", "?source=W", "admin", func(r ledger.Reject) bool { return window(r) && r.Source == "W" }, false},
		{"limit", "?limit=2", "admin", func(r ledger.Reject) bool {
			return window(r) && r.At.Before(time.Date(2026, 11, 7, 0, 0, 0, 0, time.UTC))
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got moreRejectList
			w.callJSON("GET", "/v1/rejects"+tc.query, tc.key, nil, http.StatusOK, &got)
			var want []string
			for _, r := range rows {
				if tc.keep(r) {
					want = append(want, fmt.Sprintf("%d %s %q", r.Offset, r.Reason, r.Original))
				}
			}
			var have []string
			for _, r := range got.Rejects {
				have = append(have, fmt.Sprintf("%d %s %q", r.Offset, r.Reason, r.Original))
			}
			sort.Strings(want)
			sort.Strings(have)
			if strings.Join(have, "\n") != strings.Join(want, "\n") || got.Truncated != tc.truncated {
				t.Fatalf("got (truncated %v)\n%s\nwant (truncated %v)\n%s", got.Truncated, strings.Join(have, "\n"), tc.truncated, strings.Join(want, "\n"))
			}
		})
	}
	for _, tc := range []struct {
		name, path, key string
		status          int
	}{
		{"vendor asks for another's source", "/v1/rejects?source=W", "vendor-v", http.StatusForbidden},
		{"reseller", "/v1/rejects", "reseller-1", http.StatusForbidden},
		{"no key", "/v1/rejects", "", http.StatusUnauthorized},
		{"bad from", "/v1/rejects?from=yesterday", "admin", http.StatusBadRequest},
		{"bad limit", "/v1/rejects?limit=0", "admin", http.StatusBadRequest},
		{"empty window", "/v1/rejects?from=2026-11-09&to=2026-11-01", "admin", http.StatusBadRequest},
	} {
		if status, b := w.call("GET", tc.path, tc.key, nil); status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, status, tc.status, b)
		}
	}
}

func TestRejectsReplay(t *testing.T) {
	w := newMoreWorld(t, true)
	rows := w.moreRejects()
	body := `{"from":"2026-11-01","to":"2026-11-10","reason":"unknown_meter"}`
	var ans struct{ Replayed, Skipped int }
	w.callJSON("POST", "/v1/rejects/replay", "admin", []byte(body), http.StatusOK, &ans)
	var want []string
	skipped := 0
	for _, r := range rows {
		if r.Reason == "unknown_meter" && r.At.Before(time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)) {
			if len(r.Original) == 0 {
				skipped++
				continue
			}
			want = append(want, string(r.Original))
		}
	}
	if len(w.replayer.batches) != 1 {
		t.Fatalf("replayer called %d times, want 1", len(w.replayer.batches))
	}
	var got []string
	for _, b := range w.replayer.batches[0] {
		got = append(got, string(b))
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "|") != strings.Join(want, "|") || ans.Replayed != len(want) || ans.Skipped != skipped {
		t.Fatalf("replayed %v (answer %+v), want %v and %d skipped", got, ans, want, skipped)
	}
	audit, err := w.store.Audit(context.Background(), ledger.AuditQuery{Period: ledger.Period{From: moreNow.Add(-time.Hour), To: moreNow.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != "rejects.replay" || audit[0].Actor != "api:admin" {
		t.Fatalf("audit = %+v, want one rejects.replay by api:admin", audit)
	}

	for _, tc := range []struct {
		name, key, body string
		status          int
	}{
		{"analyst", "analyst", body, http.StatusForbidden},
		{"vendor", "vendor-v", body, http.StatusForbidden},
		{"no window", "admin", `{"reason":"unknown_meter"}`, http.StatusBadRequest},
		{"unknown field", "admin", `{"from":"2026-11-01","to":"2026-11-10","reasons":"x"}`, http.StatusBadRequest},
	} {
		if status, b := w.call("POST", "/v1/rejects/replay", tc.key, []byte(tc.body)); status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, status, tc.status, b)
		}
	}
	if n := len(w.replayer.batches); n != 1 {
		t.Fatalf("refused replays reached the replayer: %d calls", n)
	}

	none := newMoreWorld(t, false)
	if status, b := none.call("POST", "/v1/rejects/replay", "admin", []byte(body)); status != http.StatusServiceUnavailable {
		t.Fatalf("replay without a replayer: status %d, want 503: %s", status, b)
	}
}
