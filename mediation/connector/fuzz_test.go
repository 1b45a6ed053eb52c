package connector_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/cascade-billing/cascade/mediation/connector"
)

var fuzzContentTypes = []string{"application/json", "application/cloudevents-batch+json", "application/x-ndjson", "application/cloudevents+json"}

// FuzzIngest feeds arbitrary bodies through the handler: it never panics, answers 200, 400 or
// 413, and a 200 has exactly one result per record of the body, counts that add up, every
// accepted record published and every rejected one dead-lettered with its bytes.
// testdata/fuzz/FuzzIngest holds the committed seed corpus.
func FuzzIngest(f *testing.F) {
	ev := event("f1", "acme", "api_calls", "cust-1", "1")
	f.Add(uint8(0), []byte(ev))
	f.Add(uint8(1), []byte(array(ev, ev, event("f2", "acme", "seats", "cust-2", "2"))))
	f.Add(uint8(2), []byte(ndjson(ev, "not json", event("f3", "globex", "api_calls", "cust-1", "1"))))
	f.Add(uint8(3), []byte(`[1, "x", null, {}]`))
	f.Add(uint8(2), []byte("\n\n  \r\n"+ev))
	fx := newFixture(f, func(c *connector.Config) { c.MaxRecords = 50; c.MaxBodyBytes = 64 << 10 })
	f.Fuzz(func(t *testing.T, ct uint8, body []byte) {
		fx.pub.recs, fx.dlq.recs = nil, nil
		contentType := fuzzContentTypes[int(ct)%len(fuzzContentTypes)]
		w := fx.post(keyAcme, contentType, string(body))
		switch w.Code {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if e := decodeError(t, w); e.Code == "" || e.Message == "" {
				t.Fatalf("status %d without an error code and message: %s", w.Code, w.Body)
			}
			if len(fx.pub.recs)+len(fx.dlq.recs) != 0 {
				t.Fatalf("refused request produced %d records", len(fx.pub.recs)+len(fx.dlq.recs))
			}
			return
		case http.StatusOK:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		resp := decodeResponse(t, w) // also checks the counts add up
		if n := recordsIn(contentType, body); n != len(resp.Results) {
			t.Fatalf("%d results for %d records", len(resp.Results), n)
		}
		if len(fx.pub.recs) != resp.Accepted || len(fx.dlq.recs) != resp.Rejected {
			t.Fatalf("published %d, dead-lettered %d; response says %d accepted, %d rejected",
				len(fx.pub.recs), len(fx.dlq.recs), resp.Accepted, resp.Rejected)
		}
	})
}

// recordsIn counts a body's records by the documented framing rules, independently of the handler.
func recordsIn(contentType string, body []byte) int {
	if contentType == "application/x-ndjson" {
		n := 0
		for _, l := range bytes.Split(body, []byte{'\n'}) {
			if len(bytes.Trim(l, " \t\r\n")) > 0 {
				n++
			}
		}
		return n
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &elems); err == nil && elems != nil {
		return len(elems)
	}
	return 1
}
