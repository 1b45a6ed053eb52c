package connector

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cascade-billing/cascade/mediation"
)

// Handler serves POST /v1/usage (mount it on that route). Safe for concurrent use: each request
// takes its own decoder and buffers from a pool.
type Handler struct {
	cfg    Config
	keys   *keyring
	checks atomic.Pointer[checks] // swapped by SetCatalog (catalog.go); loaded once per request
	pool   sync.Pool              // *work
}

// work is one request's reusable state.
type work struct {
	body     bytes.Buffer
	dec      mediation.Decoder
	rec      mediation.Record
	raws     []rawRecord
	out      []mediation.Outgoing
	rejected []mediation.Rejected
	seen     map[mediation.ID]int // accepted (source, id) → index of the first copy
	resp     Response
}

// New validates cfg and returns the handler.
func New(cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("connector config: %w", err)
	}
	h := &Handler{cfg: cfg, keys: newKeyring(cfg.APIKeys)}
	ck, err := newChecks(&h.cfg, cfg.Catalog)
	if err != nil {
		return nil, fmt.Errorf("connector config: %w", err)
	}
	h.checks.Store(ck)
	h.pool.New = func() any { return &work{seen: map[mediation.ID]int{}} }
	return h, nil
}

// ServeHTTP authenticates, frames, checks and produces one request's records, answering only
// after the publisher acknowledged the accepted ones and the dead letters the rejected ones.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, &requestError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: r.Method + " not allowed: use POST"})
		return
	}
	vendor, ok := h.keys.vendor(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cascade"`)
		writeError(w, &requestError{status: http.StatusUnauthorized, code: "unauthorized", message: "missing or unknown API key (Authorization: Bearer <key>)"})
		return
	}
	f, rerr := formatOf(r.Header.Get("Content-Type"))
	if rerr != nil {
		writeError(w, rerr)
		return
	}
	wk := h.pool.Get().(*work)
	defer h.release(wk)
	if rerr := h.readBody(w, r, wk); rerr != nil {
		writeError(w, rerr)
		return
	}
	if wk.raws, rerr = split(f, wk.body.Bytes(), h.cfg.MaxRecords, wk.raws[:0]); rerr != nil {
		writeError(w, rerr)
		return
	}
	h.process(h.checks.Load(), vendor, wk, h.cfg.Clock())
	if err := h.publish(r, wk); err != nil {
		h.unavailable(w, vendor, err)
		return
	}
	writeJSON(w, http.StatusOK, &wk.resp)
}

// publish makes the request's outcome durable: the accepted records first, then the dead
// letters. If the dead letters fail, the client retries the whole request and the pipeline's
// dedup by (source, id) absorbs the records already produced.
func (h *Handler) publish(r *http.Request, wk *work) error {
	if len(wk.out) > 0 {
		if err := h.cfg.Publisher.Publish(r.Context(), wk.out); err != nil {
			return fmt.Errorf("publish %d accepted records: %w", len(wk.out), err)
		}
	}
	if len(wk.rejected) > 0 {
		if err := h.cfg.DeadLetters.Publish(r.Context(), wk.rejected); err != nil {
			return fmt.Errorf("dead-letter %d rejected records: %w", len(wk.rejected), err)
		}
	}
	return nil
}

// readBody reads the body into wk.body, enforcing the size limit.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, wk *work) *requestError {
	tooLarge := &requestError{status: http.StatusRequestEntityTooLarge, code: "body_too_large",
		message: "body larger than " + strconv.FormatInt(h.cfg.MaxBodyBytes, 10) + " bytes; split the request"}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		return tooLarge
	}
	wk.body.Reset()
	if _, err := wk.body.ReadFrom(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge
		}
		return badRequest("read body: %v", err)
	}
	return nil
}

// unavailable answers 503: nothing of the request is reported accepted, the client retries it.
func (h *Handler) unavailable(w http.ResponseWriter, vendor string, err error) {
	h.cfg.Logger.Warn("usage request not taken", "vendor", vendor, "err", err)
	w.Header().Set("Retry-After", retryAfter(h.cfg.RetryAfter))
	writeError(w, &requestError{status: http.StatusServiceUnavailable, code: "unavailable",
		message: "usage could not be stored durably; nothing of this request was accepted; retry it"})
}

// release returns wk to the pool, dropping references into the request.
func (h *Handler) release(wk *work) {
	if wk.body.Cap() > 4*int(h.cfg.MaxBodyBytes) {
		return
	}
	clear(wk.raws)
	clear(wk.out)
	clear(wk.rejected)
	wk.raws, wk.out, wk.rejected = wk.raws[:0], wk.out[:0], wk.rejected[:0]
	clear(wk.seen)
	h.pool.Put(wk)
}

// process checks every record, filling wk.out, wk.rejected and wk.resp.
func (h *Handler) process(ck *checks, vendor string, wk *work, now time.Time) {
	wk.dec.Reset(len(wk.body.Bytes()))
	wk.resp = Response{Results: make([]Result, 0, len(wk.raws))}
	for i, raw := range wk.raws {
		res := Result{Index: i, Line: raw.line}
		scope, err := h.check(ck, vendor, &wk.dec, raw.value, &wk.rec, now)
		res.ID = strings.Clone(wk.rec.ID)
		switch {
		case err != nil:
			res.Status, res.Reason, res.Detail = StatusRejected, err.Reason, err.Error()
			if raw.line > 0 {
				res.Detail = "line " + strconv.Itoa(raw.line) + ": " + res.Detail
			}
			wk.rejected = append(wk.rejected, mediation.Rejected{
				Message: mediation.Message{Topic: DeadLetterOrigin, Offset: int64(i), Key: []byte(vendor), Value: bytes.Clone(raw.value), Time: now},
				Reason:  err.Reason, Detail: res.Detail, At: now,
			})
			wk.resp.Rejected++
		default:
			id := mediation.UsageID(wk.rec.Source, wk.rec.ID)
			if first, dup := wk.seen[id]; dup {
				res.Status, res.Detail = StatusDuplicate, "same source and id as record "+strconv.Itoa(first)
				wk.resp.Duplicate++
				break
			}
			wk.seen[id] = i
			wk.out = append(wk.out, mediation.Outgoing{Scope: scope, Value: raw.value})
			res.Status = StatusAccepted
			wk.resp.Accepted++
		}
		wk.resp.Results = append(wk.resp.Results, res)
	}
}

// DeadLetterOrigin is the origin "topic" of records the connector dead-letters; their key is
// the vendor id and their offset the record's index in its request.
const DeadLetterOrigin = "http:/v1/usage"

// check runs the edge checks on one record and returns its ownership scope.
func (h *Handler) check(ck *checks, vendor string, dec *mediation.Decoder, raw []byte, rec *mediation.Record, now time.Time) (string, *mediation.RecordError) {
	var re *mediation.RecordError
	if err := dec.Decode(raw, rec); err != nil {
		if !errors.As(err, &re) {
			re = &mediation.RecordError{Reason: mediation.ReasonDecode, Field: "$", Detail: err.Error()}
		}
		return "", re
	}
	if re = checkSource(vendor, rec); re != nil {
		return "", re
	}
	if _, err := ck.val.Validate(rec, now); err != nil {
		if !errors.As(err, &re) {
			re = &mediation.RecordError{Reason: mediation.ReasonDecode, Field: "$", ID: rec.ID, Detail: err.Error()}
		}
		return "", re
	}
	// Normalize only the decoded copy (the raw bytes are what is produced) to check that the
	// ledger can store the quantity; the pipeline checks again, after its own normalization.
	ck.norm.Normalize(rec)
	if re = mediation.DefaultBounds.CheckQuantity(rec); re != nil {
		return "", re
	}
	shared, re := ck.own.checkMeter(vendor, rec)
	if re != nil {
		return "", re
	}
	e, ok := h.cfg.Directory.Lookup(rec.Subject, rec.Type, rec.Time)
	scope := e.PricingGroup
	if scope == "" {
		scope = e.Account
	}
	if !ok || scope == "" {
		return "", &mediation.RecordError{Reason: mediation.ReasonUnknownSubject, Field: "subject", ID: rec.ID,
			Detail: `no subscription of subject "` + clip(rec.Subject) + `" prices meter "` + clip(rec.Type) + `" at ` + rec.Time.Format(time.RFC3339)}
	}
	if shared {
		if re = ck.own.checkShared(vendor, rec, &e); re != nil {
			return "", re
		}
	}
	return scope, nil
}
