package chaos

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// httpClient bounds every call: a child that is SIGSTOPped or killed mid-request must not hang
// the suite.
var httpClient = &http.Client{Timeout: 60 * time.Second}

// Do sends one request to the instance, authenticated with the named key (Keys; "" for none),
// a body as application/json, and returns the status and body. A transport error (the child is
// down) is returned as is.
func (in *Instance) Do(method, path, key string, body []byte) (int, []byte, error) {
	return in.DoContent(method, path, key, "application/json", body)
}

// DoContent is Do with the body's content type given (application/x-ndjson for POST /v1/usage).
func (in *Instance) DoContent(method, path, key, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, in.Base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("chaos: %s %s: %w", method, path, err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+Key(key))
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("chaos: %s %s on %s: %w", method, path, in.Name, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, out, fmt.Errorf("chaos: %s %s on %s: read the answer: %w", method, path, in.Name, err)
	}
	return res.StatusCode, out, nil
}

// Call is Do that requires the status and decodes the JSON answer into out (when not nil).
func (in *Instance) Call(tb testing.TB, method, path, key string, body []byte, status int, out any) []byte {
	tb.Helper()
	got, b, err := in.Do(method, path, key, body)
	if err != nil {
		tb.Fatal(err)
	}
	if got != status {
		tb.Fatalf("chaos: %s %s on %s as %q: HTTP %d, want %d: %s", method, path, in.Name, key, got, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Fatalf("chaos: %s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}
