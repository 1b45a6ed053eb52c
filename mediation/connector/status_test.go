package connector_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/mediation/connector"
)

// TestRequestStatuses covers every whole-request answer: nothing of a refused request may be
// produced or dead-lettered.
func TestRequestStatuses(t *testing.T) {
	good := event("e1", "acme", "api_calls", "cust-1", "3")
	tests := []struct {
		name        string
		method      string
		auth        string // full Authorization header; "" for none
		contentType string
		body        string
		limit       func(*connector.Config)
		status      int
		code        string
		mention     string // the error message must contain it
		header      string // a header that must be set
	}{
		{name: "ok", auth: "Bearer " + keyAcme, contentType: "application/json", body: good, status: 200},
		{name: "get", method: http.MethodGet, auth: "Bearer " + keyAcme, status: 405, code: "method_not_allowed", header: "Allow"},
		{name: "no key", contentType: "application/json", body: good, status: 401, code: "unauthorized", header: "WWW-Authenticate"},
		{name: "wrong key", auth: "Bearer nope", contentType: "application/json", body: good, status: 401, code: "unauthorized"},
		{name: "key of a hash", auth: "Bearer " + hashKey(keyAcme), contentType: "application/json", body: good, status: 401, code: "unauthorized"},
		{name: "basic scheme", auth: "Basic " + keyAcme, contentType: "application/json", body: good, status: 401, code: "unauthorized"},
		{name: "no content type", auth: "Bearer " + keyAcme, body: good, status: 415, code: "unsupported_media_type"},
		{name: "text/plain", auth: "Bearer " + keyAcme, contentType: "text/plain", body: good, status: 415, code: "unsupported_media_type", mention: "text/plain"},
		{name: "empty body", auth: "Bearer " + keyAcme, contentType: "application/json", body: "  \n", status: 400, code: "bad_request", mention: "empty"},
		{name: "not JSON", auth: "Bearer " + keyAcme, contentType: "application/json", body: "{nope", status: 400, code: "bad_request", mention: "not a JSON"},
		{name: "broken array element", auth: "Bearer " + keyAcme, contentType: "application/json", body: "[" + good + ",{bad}]", status: 400, code: "bad_request", mention: "body[1]"},
		{name: "unclosed array", auth: "Bearer " + keyAcme, contentType: "application/cloudevents-batch+json", body: "[" + good, status: 400, code: "bad_request", mention: "body[1]"},
		{name: "trailing data", auth: "Bearer " + keyAcme, contentType: "application/json", body: "[" + good + "] x", status: 400, code: "bad_request", mention: "after the array"},
		{name: "batch not array", auth: "Bearer " + keyAcme, contentType: "application/cloudevents-batch+json", body: good, status: 400, code: "bad_request", mention: "array"},
		{name: "empty array", auth: "Bearer " + keyAcme, contentType: "application/json", body: "[]", status: 400, code: "bad_request", mention: "no records"},
		{name: "body too large", auth: "Bearer " + keyAcme, contentType: "application/json", body: array(good, good, good),
			limit: func(c *connector.Config) { c.MaxBodyBytes = int64(len(good)) * 2 }, status: 413, code: "body_too_large"},
		{name: "too many in array", auth: "Bearer " + keyAcme, contentType: "application/json", body: array(good, good, good),
			limit: func(c *connector.Config) { c.MaxRecords = 2 }, status: 413, code: "too_many_records", mention: "2"},
		{name: "too many lines", auth: "Bearer " + keyAcme, contentType: "application/x-ndjson", body: ndjson(good, good, good),
			limit: func(c *connector.Config) { c.MaxRecords = 2 }, status: 413, code: "too_many_records"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.limit)
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			r := httptest.NewRequest(method, "/v1/usage", strings.NewReader(tt.body))
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			if tt.header != "" && w.Header().Get(tt.header) == "" {
				t.Errorf("header %s not set", tt.header)
			}
			if tt.status == http.StatusOK {
				if resp := decodeResponse(t, w); resp.Accepted != 1 || len(f.pub.recs) != 1 {
					t.Fatalf("accepted %d, published %d; want 1 and 1", resp.Accepted, len(f.pub.recs))
				}
				return
			}
			e := decodeError(t, w)
			if e.Code != tt.code || !strings.Contains(e.Message, tt.mention) {
				t.Errorf("error %+v, want code %s mentioning %q", e, tt.code, tt.mention)
			}
			if len(f.pub.recs) != 0 || len(f.dlq.recs) != 0 {
				t.Errorf("refused request produced %d records and %d dead letters", len(f.pub.recs), len(f.dlq.recs))
			}
		})
	}
}

// TestUnavailable: when the producer or the dead letters fail, the answer is 503 with
// Retry-After and reports nothing accepted.
func TestUnavailable(t *testing.T) {
	body := array(event("e1", "acme", "api_calls", "cust-1", "1"), event("e2", "acme", "nope", "cust-1", "1"))
	tests := []struct {
		name               string
		pubErr, dlqErr     error
		wantPub, wantDLQ   int
		retryAfter         string
		retryAfterDuration func(*connector.Config)
	}{
		{name: "producer fails", pubErr: errBroker, retryAfter: "2"},
		{name: "dead letters fail", dlqErr: errBroker, wantPub: 1, retryAfter: "2"},
		{name: "retry after rounds up", pubErr: errBroker, retryAfter: "4",
			retryAfterDuration: func(c *connector.Config) { c.RetryAfter = 3100e6 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.retryAfterDuration)
			f.pub.err, f.dlq.err = tt.pubErr, tt.dlqErr
			w := f.post(keyAcme, "application/json", body)
			if w.Code != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503; body %s", w.Code, w.Body)
			}
			if got := w.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if strings.Contains(w.Body.String(), `"accepted"`) || decodeError(t, w).Code != "unavailable" {
				t.Errorf("503 body %s reports records or lacks code unavailable", w.Body)
			}
			if len(f.pub.recs) != tt.wantPub || len(f.dlq.recs) != tt.wantDLQ {
				t.Errorf("published %d, dead-lettered %d; want %d, %d", len(f.pub.recs), len(f.dlq.recs), tt.wantPub, tt.wantDLQ)
			}
		})
	}
}
