package connector

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Response is the answer to a processed request (HTTP 200): one Result per record, in request
// order, and the counts, which add up to len(Results).
type Response struct {
	Accepted  int      `json:"accepted"`
	Rejected  int      `json:"rejected"`
	Duplicate int      `json:"duplicate"`
	Results   []Result `json:"results"`
}

// Result is the outcome of one record. Index is its 0-based position among the request's
// records; Line, for NDJSON, its 1-based line. Reason (a reason code) and Detail are set for a
// rejection, and Detail names the first copy for a duplicate.
type Result struct {
	Index  int    `json:"index"`
	Line   int    `json:"line,omitempty"`
	ID     string `json:"id,omitempty"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// ErrorResponse is the body of every non-200 answer: nothing of the request was accepted.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody says what is wrong with the request as a whole; Code is stable
// ("unauthorized", "unsupported_media_type", "body_too_large", "too_many_records",
// "bad_request", "method_not_allowed", "unavailable").
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeJSON answers with status and v as JSON. An encoding error can only be a broken
// connection, which the client sees anyway.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // an API, not a web page: keep "<key>" readable
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, e *requestError) {
	writeJSON(w, e.status, ErrorResponse{Error: ErrorBody{Code: e.code, Message: e.message}})
}

// retryAfter formats d as whole seconds, rounded up, at least 1.
func retryAfter(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(s, 1), 10)
}
