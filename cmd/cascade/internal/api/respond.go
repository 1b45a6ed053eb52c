package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/cascade-billing/cascade/billing"
)

// ErrorBody is every error answer: a stable code, one line for a person naming what is wrong
// and where (field path, id), and the request's field when one input field is at fault.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
	} `json:"error"`
}

// wrap authenticates and authorizes a route, then calls its handler.
func (a *API) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.roles == nil {
			release, ok := a.admitWriter(w, rt)
			if !ok {
				return
			}
			defer release()
			rt.handle(w, r, Principal{})
			return
		}
		p, ok := a.cfg.Keys.Authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeError(w, http.StatusUnauthorized, "unauthenticated", "a valid API key is required (Authorization: Bearer KEY)", "")
			return
		}
		if !slices.Contains(rt.roles, p.Role) {
			writeError(w, http.StatusForbidden, "forbidden", "role "+string(p.Role)+" may not call "+rt.pattern, "")
			return
		}
		if msg := a.partnerMismatch(p); msg != "" {
			writeError(w, http.StatusForbidden, "forbidden", msg, "")
			return
		}
		release, ok := a.admitWriter(w, rt)
		if !ok {
			return
		}
		defer release()
		rt.handle(w, r, p)
	})
}

// readOnlyPosts are the POST routes that change no billing state: any instance answers them.
var readOnlyPosts = []string{"POST /v1/usage", "POST /v1/invoices/preview", "POST /v1/rejects/replay"}

// admitWriter admits rt while this instance is the billing writer, or answers 503 not_writer
// (ok false) when rt changes billing and another instance writes; the client retries, or
// sends commands to the writer. release is called once the request is answered.
func (a *API) admitWriter(w http.ResponseWriter, rt route) (release func(), ok bool) {
	if a.cfg.Writer == nil || strings.HasPrefix(rt.pattern, "GET ") || slices.Contains(readOnlyPosts, rt.pattern) {
		return func() {}, true
	}
	release, err := a.cfg.Writer()
	if err == nil {
		return release, true
	}
	w.Header().Set("Retry-After", "5")
	writeError(w, http.StatusServiceUnavailable, "not_writer",
		err.Error()+": billing commands go to the instance whose GET /readyz says \"writer\": true; retry", "")
	return nil, false
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// writeError answers with an ErrorBody.
func writeError(w http.ResponseWriter, status int, code, message, field string) {
	var b ErrorBody
	b.Error.Code, b.Error.Message, b.Error.Field = code, message, field
	writeJSON(w, status, b)
}

// writeBillingError maps a billing error kind to its HTTP status: not found 404, invalid 400,
// conflict / backdated / currency mismatch 409, unsupported 501, anything else 500 (logged,
// with a generic message: internals stay in the logs).
func (a *API) writeBillingError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, billing.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error(), "")
	case errors.Is(err, billing.ErrInvalid):
		writeError(w, http.StatusBadRequest, "invalid", err.Error(), "")
	case errors.Is(err, billing.ErrConflict), errors.Is(err, billing.ErrBackdated), errors.Is(err, billing.ErrCurrencyMismatch):
		writeError(w, http.StatusConflict, "conflict", err.Error(), "")
	case errors.Is(err, billing.ErrUnsupported):
		writeError(w, http.StatusNotImplemented, "unsupported", err.Error(), "")
	default:
		a.cfg.Logger.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the request failed; the server log has the details", "")
	}
}

// notFoundForPartner is what a partner gets for an account, invoice or statement outside its
// subtree: the same 404 as for an id that does not exist, so ids of other partners' customers
// cannot be probed.
func notFoundForPartner(w http.ResponseWriter, what, id string) {
	writeError(w, http.StatusNotFound, "not_found", what+" "+id+": not found", "")
}
