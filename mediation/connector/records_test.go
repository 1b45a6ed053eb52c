package connector_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/connector"
)

// want is the expected outcome of one record.
type want struct {
	status, reason, mention string
}

func TestPerRecordOutcomes(t *testing.T) {
	late := strings.Replace(event("late", "acme", "api_calls", "cust-1", "1"), testNow.Add(-time.Minute).Format(time.RFC3339Nano), "2020-01-01T00:00:00Z", 1)
	tests := []struct {
		name   string
		key    string
		events []string
		want   []want
		scopes []string // scopes of the published records, in order
	}{
		{name: "own meter, account and group scopes", key: keyAcme,
			events: []string{event("a1", "acme", "api_calls", "cust-1", "2"), event("a2", "acme/gw-eu", "api_calls", "cust-2", "1.5")},
			want:   []want{{status: "accepted"}, {status: "accepted"}}, scopes: []string{"acct-1", "grp-1"}},
		{name: "another vendor's meter", key: keyAcme,
			events: []string{event("a1", "acme", "storage_gb", "cust-g", "2")},
			want:   []want{{status: "rejected", reason: connector.ReasonForeignMeter, mention: `vendor "acme"`}}},
		{name: "meter priced by no plan", key: keyAcme,
			events: []string{event("a1", "acme", "orphan", "cust-1", "2")},
			want:   []want{{status: "rejected", reason: connector.ReasonForeignMeter, mention: "orphan"}}},
		{name: "vendor without products", key: keyInitech,
			events: []string{event("i1", "initech", "api_calls", "cust-1", "2")},
			want:   []want{{status: "rejected", reason: connector.ReasonForeignMeter}}},
		{name: "shared meter on own subscription", key: keyGlobex,
			events: []string{event("g1", "globex", "seats", "cust-g", "3")},
			want:   []want{{status: "accepted"}}, scopes: []string{"acct-g"}},
		{name: "shared meter on another vendor's subscription", key: keyGlobex,
			events: []string{event("g1", "globex", "seats", "cust-1", "3")},
			want:   []want{{status: "rejected", reason: connector.ReasonForeignMeter, mention: "shared"}}},
		{name: "foreign source", key: keyAcme,
			events: []string{event("a1", "globex", "api_calls", "cust-1", "1"), event("a2", "acmeX", "api_calls", "cust-1", "1"), event("a3", "acme/", "api_calls", "cust-1", "1")},
			want: []want{{status: "rejected", reason: connector.ReasonForeignSource, mention: "globex"},
				{status: "rejected", reason: connector.ReasonForeignSource}, {status: "accepted"}}, scopes: []string{"acct-1"}},
		{name: "unknown subject", key: keyAcme,
			events: []string{event("a1", "acme", "api_calls", "nobody", "1")},
			want:   []want{{status: "rejected", reason: mediation.ReasonUnknownSubject, mention: "nobody"}}},
		{name: "validation", key: keyAcme,
			events: []string{event("a1", "acme", "no_such_meter", "cust-1", "1"), event("a2", "acme", "api_calls", "cust-1", "-1"), late, `{"id":"x"}`, `42`},
			want: []want{{status: "rejected", reason: mediation.ReasonUnknownMeter}, {status: "rejected", reason: mediation.ReasonBadQuantity},
				{status: "rejected", reason: mediation.ReasonTooOld}, {status: "rejected", reason: mediation.ReasonMissingField}, {status: "rejected", reason: mediation.ReasonDecode}}},
		{name: "quantity the ledger cannot store", key: keyAcme,
			events: []string{event("b1", "acme", "api_calls", "cust-1", `"0.0000000000001"`), event("b2", "acme", "api_calls", "cust-1", `"0.000000000001"`)},
			want:   []want{{status: "rejected", reason: mediation.ReasonOutOfBounds, mention: "fraction digits"}, {status: "accepted"}}, scopes: []string{"acct-1"}},
		{name: "duplicate in request", key: keyAcme,
			events: []string{event("d", "acme", "api_calls", "cust-1", "1"), event("d", "acme", "api_calls", "cust-1", "1"), event("d", "acme/gw", "api_calls", "cust-1", "1")},
			want:   []want{{status: "accepted"}, {status: "duplicate", mention: "record 0"}, {status: "accepted"}}, scopes: []string{"acct-1", "acct-1"}},
		{name: "rejected first copy does not make a duplicate", key: keyAcme,
			events: []string{event("d", "acme", "api_calls", "nobody", "1"), event("d", "acme", "api_calls", "cust-1", "1")},
			want:   []want{{status: "rejected", reason: mediation.ReasonUnknownSubject}, {status: "accepted"}}, scopes: []string{"acct-1"}},
	}
	for _, tt := range tests {
		for _, form := range []struct{ name, contentType, body string }{
			{"array", "application/cloudevents-batch+json", array(tt.events...)},
			{"ndjson", "application/x-ndjson", ndjson(tt.events...)},
		} {
			t.Run(tt.name+"/"+form.name, func(t *testing.T) {
				f := newFixture(t, nil)
				resp := decodeResponse(t, f.post(tt.key, form.contentType, form.body))
				checkOutcomes(t, f, resp, tt.events, tt.want, tt.scopes)
				if form.name == "ndjson" {
					for i, r := range resp.Results {
						if r.Line != i+1 {
							t.Errorf("results[%d].line = %d, want %d", i, r.Line, i+1)
						}
						if r.Status == connector.StatusRejected && !strings.HasPrefix(r.Detail, "line ") {
							t.Errorf("results[%d].detail %q does not name the line", i, r.Detail)
						}
					}
				}
			})
		}
	}
}

// checkOutcomes compares results with want, the published records with the accepted ones and
// the dead letters with the rejected ones (original bytes, reason, detail).
func checkOutcomes(t *testing.T, f *fixture, resp connector.Response, events []string, wants []want, scopes []string) {
	t.Helper()
	if len(resp.Results) != len(wants) {
		t.Fatalf("%d results, want %d: %+v", len(resp.Results), len(wants), resp.Results)
	}
	var accepted, rejected []string
	for i, w := range wants {
		r := resp.Results[i]
		if r.Status != w.status || r.Reason != w.reason || !strings.Contains(r.Detail, w.mention) {
			t.Errorf("results[%d] = %+v, want %+v", i, r, w)
		}
		switch w.status {
		case connector.StatusAccepted:
			accepted = append(accepted, events[i])
		case connector.StatusRejected:
			rejected = append(rejected, events[i])
		}
	}
	if len(f.pub.recs) != len(accepted) {
		t.Fatalf("published %d records, want %d", len(f.pub.recs), len(accepted))
	}
	for i, o := range f.pub.recs {
		if string(o.Value) != accepted[i] || o.Scope != scopes[i] {
			t.Errorf("published[%d] = %s keyed %q, want %s keyed %q", i, o.Value, o.Scope, accepted[i], scopes[i])
		}
	}
	if len(f.dlq.recs) != len(rejected) {
		t.Fatalf("dead-lettered %d records, want %d", len(f.dlq.recs), len(rejected))
	}
	j := 0
	for i, r := range resp.Results {
		if r.Status != connector.StatusRejected {
			continue
		}
		d := f.dlq.recs[j]
		if string(d.Value) != rejected[j] || d.Reason != r.Reason || d.Detail != r.Detail || d.Offset != int64(i) ||
			d.Topic != connector.DeadLetterOrigin || !d.At.Equal(testNow) || len(d.Key) == 0 {
			t.Errorf("dead letter %d = %+v, want the bytes, reason and detail of results[%d]", j, d, i)
		}
		j++
	}
}

func TestSingleRecordContentTypes(t *testing.T) {
	ev := event("s1", "acme", "api_calls", "cust-2", "7")
	for _, ct := range []string{"application/json", "application/cloudevents+json", "application/cloudevents+json; charset=utf-8"} {
		t.Run(ct, func(t *testing.T) {
			f := newFixture(t, nil)
			resp := decodeResponse(t, f.post(keyAcme, ct, ev))
			checkOutcomes(t, f, resp, []string{ev}, []want{{status: "accepted"}}, []string{"grp-1"})
			if resp.Results[0].ID != "s1" {
				t.Errorf("id %q, want s1", resp.Results[0].ID)
			}
		})
	}
}

// TestBodyTooLargeWithoutContentLength: a chunked body is cut at the limit while reading.
func TestBodyTooLargeWithoutContentLength(t *testing.T) {
	f := newFixture(t, func(c *connector.Config) { c.MaxBodyBytes = 1000 })
	body := ndjson(strings.Split(strings.Repeat(event("x", "acme", "api_calls", "cust-1", "1")+"\n", 10), "\n")...)
	r := httptest.NewRequest(http.MethodPost, "/v1/usage", io.MultiReader(bytes.NewReader([]byte(body))))
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer "+keyAcme)
	r.Header.Set("Content-Type", "application/x-ndjson")
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || decodeError(t, w).Code != "body_too_large" {
		t.Fatalf("status %d body %s, want 413 body_too_large", w.Code, w.Body)
	}
	if len(f.pub.recs) != 0 {
		t.Errorf("published %d records of a refused request", len(f.pub.recs))
	}
}

// TestConcurrentRequests runs vendors in parallel under -race: pooled state must not leak
// between requests.
func TestConcurrentRequests(t *testing.T) {
	f := newFixture(t, nil)
	const workers, perWorker = 4, 25
	done := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := range perWorker {
				id := string(rune('a'+w)) + "-" + string(rune('a'+i))
				rec := httptest.NewRecorder()
				r := httptest.NewRequest(http.MethodPost, "/v1/usage", strings.NewReader(array(event(id, "acme", "api_calls", "cust-1", "1"), event(id, "acme", "nope", "cust-1", "1"))))
				r.Header.Set("Authorization", "Bearer "+keyAcme)
				r.Header.Set("Content-Type", "application/json")
				f.h.ServeHTTP(rec, r)
				if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"id":"`+id+`"`) {
					done <- &mismatch{id: id, body: rec.Body.String()}
					return
				}
			}
			done <- nil
		}()
	}
	for range workers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if len(f.pub.recs) != workers*perWorker || len(f.dlq.recs) != workers*perWorker {
		t.Errorf("published %d, dead-lettered %d; want %d each", len(f.pub.recs), len(f.dlq.recs), workers*perWorker)
	}
}

type mismatch struct{ id, body string }

func (m *mismatch) Error() string { return "record " + m.id + " answered " + m.body }
