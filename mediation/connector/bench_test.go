package connector_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/connector"
)

// nopPublisher measures the handler alone.
type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, []mediation.Outgoing) error { return nil }

// BenchmarkIngest measures records/s through the handler (auth, framing, decode, validate,
// ownership, directory, response) with a no-op producer, by body format and records per request.
func BenchmarkIngest(b *testing.B) {
	for _, format := range []string{"array", "ndjson"} {
		for _, n := range []int{1, 100, 1000} {
			b.Run(fmt.Sprintf("format=%s/records=%d", format, n), func(b *testing.B) {
				f := newFixture(b, func(c *connector.Config) { c.Publisher = nopPublisher{} })
				events := make([]string, n)
				for i := range events {
					events[i] = event(fmt.Sprintf("ev-%d", i), "acme", "api_calls", []string{"cust-1", "cust-2"}[i%2], "1.5")
				}
				ct, body := "application/cloudevents-batch+json", array(events...)
				if format == "ndjson" {
					ct, body = "application/x-ndjson", ndjson(events...)
				}
				r := httptest.NewRequest(http.MethodPost, "/v1/usage", nil)
				r.Header.Set("Authorization", "Bearer "+keyAcme)
				r.Header.Set("Content-Type", ct)
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					r.Body = readCloser{strings.NewReader(body)}
					r.ContentLength = int64(len(body))
					w := httptest.NewRecorder()
					f.h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d: %s", w.Code, w.Body)
					}
				}
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
