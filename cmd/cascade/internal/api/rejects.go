package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// Reject listing bounds: a default window a person can read, and caps that keep one request
// from loading an unbounded reject table into memory.
const (
	rejectsDefaultWindow = 7 * 24 * time.Hour
	rejectsDefaultLimit  = 1000
	rejectsMaxLimit      = 10000
	// replayMax is the most records one replay takes; a larger window is refused (narrow it),
	// rather than replayed in part.
	replayMax = 100000
)

// rejectView is one reject; Original is the record's bytes exactly as consumed, base64.
type rejectView struct {
	Topic     string    `json:"topic"`
	Partition int32     `json:"partition"`
	Offset    int64     `json:"offset"`
	At        time.Time `json:"at"`
	Reason    string    `json:"reason"`
	Detail    string    `json:"detail,omitempty"`
	Source    string    `json:"source,omitempty"`
	EventID   string    `json:"event_id,omitempty"`
	Original  []byte    `json:"original"`
}

// rejectList is GET /v1/rejects's answer; Truncated says the limit cut the list.
type rejectList struct {
	From      time.Time    `json:"from"`
	To        time.Time    `json:"to"`
	Rejects   []rejectView `json:"rejects"`
	Truncated bool         `json:"truncated"`
}

// rejectFilter is a parsed reject selection.
type rejectFilter struct {
	q      ledger.RejectQuery
	source string // "" = any; a vendor's own id (or "<vendor>/…" sources)
}

// matches says whether a reject's source is the filter's: the vendor id itself or a producer
// of it ("acme/gateway-eu"), the same rule the connector applies to CloudEvents sources.
func (f rejectFilter) matches(r *ledger.Reject) bool {
	if f.source == "" {
		return true
	}
	return r.Source == f.source || strings.HasPrefix(r.Source, f.source+"/")
}

// rejectsWindow parses from/to (RFC 3339 or YYYY-MM-DD), defaulting to the last 7 days.
func (a *API) rejectsWindow(from, to string) (ledger.Period, string, error) {
	end := a.cfg.Now().UTC()
	if to != "" {
		t, err := rejectsTime(to)
		if err != nil {
			return ledger.Period{}, "to", err
		}
		end = t
	}
	start := end.Add(-rejectsDefaultWindow)
	if from != "" {
		t, err := rejectsTime(from)
		if err != nil {
			return ledger.Period{}, "from", err
		}
		start = t
	}
	if !start.Before(end) {
		return ledger.Period{}, "from", fmt.Errorf("from %s is not before to %s", start.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	return ledger.Period{From: start, To: end}, "", nil
}

// rejectsTime reads an instant of the rejects window. Like every instant a request names, it
// must lie in minTime..maxTime: the ledger refuses to query outside its storable range, and
// that refusal must be the client's 400, not a 500 (found by the body fuzz harness,
// testdata/fuzz/FuzzCatalogBodies/replay_*).
func rejectsTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, v); err != nil {
			return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", v)
		}
	}
	if t.Before(minTime) || !t.Before(maxTime) {
		return time.Time{}, fmt.Errorf("%s is outside %s..%s", v, minTime.Format(time.RFC3339), maxTime.Format(time.RFC3339))
	}
	return t.UTC(), nil
}

// listRejects: GET /v1/rejects?from=&to=&reason=&source=&limit=. A vendor sees only rejects
// whose source is itself; its source parameter, if any, must be its own.
func (a *API) listRejects(w http.ResponseWriter, r *http.Request, p Principal) {
	q := r.URL.Query()
	period, field, err := a.rejectsWindow(q.Get("from"), q.Get("to"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", field+": "+err.Error(), field)
		return
	}
	limit := rejectsDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > rejectsMaxLimit {
			writeError(w, http.StatusBadRequest, "invalid", fmt.Sprintf("limit: want 1..%d", rejectsMaxLimit), "limit")
			return
		}
		limit = n
	}
	f := rejectFilter{q: ledger.RejectQuery{Reason: q.Get("reason"), Period: period}, source: q.Get("source")}
	if p.Role.IsPartner() {
		if f.source != "" && f.source != p.Partner && !strings.HasPrefix(f.source, p.Partner+"/") {
			writeError(w, http.StatusForbidden, "forbidden", "a vendor key lists only its own rejects (source "+p.Partner+")", "source")
			return
		}
		if f.source == "" {
			f.source = p.Partner
		}
	}
	f.q.Source = f.source
	f.q.Limit = limit + 1 // one more than asked says whether the list was cut
	rows, err := a.cfg.Store.Rejects(r.Context(), f.q)
	if err != nil {
		a.writeBillingError(w, r, fmt.Errorf("list rejects: %w", err))
		return
	}
	out := rejectList{From: period.From, To: period.To, Rejects: []rejectView{}}
	for i := range rows {
		if !f.matches(&rows[i]) {
			continue
		}
		if len(out.Rejects) == limit {
			out.Truncated = true
			break
		}
		x := &rows[i]
		out.Rejects = append(out.Rejects, rejectView{Topic: x.Topic, Partition: x.Partition, Offset: x.Offset, At: x.At.UTC(),
			Reason: x.Reason, Detail: x.Detail, Source: x.Source, EventID: x.EventID, Original: x.Original})
	}
	writeJSON(w, http.StatusOK, out)
}

// replayBody selects the rejects to replay; from and to are required (a replay is a deliberate
// act on a known window), reason and source narrow it.
type replayBody struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
	Source string `json:"source"`
}

// replayAnswer says how many records went back to the raw topic, and how many matching
// rejects had no original bytes to replay.
type replayAnswer struct {
	Replayed int `json:"replayed"`
	Skipped  int `json:"skipped"`
}

// replayRejects: POST /v1/rejects/replay (admin). The matching rejects' original bytes go to
// the Replayer; the act is audited. Replaying twice is harmless: mediation deduplicates.
func (a *API) replayRejects(w http.ResponseWriter, r *http.Request, p Principal) {
	if a.cfg.Replayer == nil {
		unavailable(w, "rejects replay (a Kafka raw topic)")
		return
	}
	var body replayBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "body: want {\"from\", \"to\", \"reason\", \"source\"}: "+err.Error(), "")
		return
	}
	for _, f := range []struct{ name, v string }{{"from", body.From}, {"to", body.To}} {
		if f.v == "" {
			writeError(w, http.StatusBadRequest, "invalid", f.name+": required", f.name)
			return
		}
	}
	period, field, err := a.rejectsWindow(body.From, body.To)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", field+": "+err.Error(), field)
		return
	}
	f := rejectFilter{q: ledger.RejectQuery{Reason: body.Reason, Source: body.Source, Period: period, Limit: replayMax + 1},
		source: body.Source}
	rows, err := a.cfg.Store.Rejects(r.Context(), f.q)
	if err != nil {
		a.writeBillingError(w, r, fmt.Errorf("read rejects to replay: %w", err))
		return
	}
	var records [][]byte
	var ans replayAnswer
	for i := range rows {
		switch {
		case !f.matches(&rows[i]):
		case len(rows[i].Original) == 0:
			ans.Skipped++
		default:
			records = append(records, rows[i].Original)
		}
	}
	if len(records) > replayMax {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("more than %d rejects match; narrow from/to, reason or source", replayMax), "")
		return
	}
	if err := a.cfg.Replayer.Replay(r.Context(), records); err != nil {
		a.writeBillingError(w, r, fmt.Errorf("replay %d rejects: %w", len(records), err))
		return
	}
	ans.Replayed = len(records)
	now := a.cfg.Now().UTC()
	entry := ledger.AuditEntry{ID: "rejects.replay:" + now.Format(time.RFC3339Nano) + ":" + p.Name, At: now, Actor: p.Actor(),
		Action: "rejects.replay", Object: "rejects:" + period.From.Format(time.RFC3339) + "/" + period.To.Format(time.RFC3339),
		Origin: "api " + r.RemoteAddr,
		Detail: fmt.Sprintf("reason=%q source=%q replayed=%d skipped=%d", body.Reason, body.Source, ans.Replayed, ans.Skipped)}
	if err := a.cfg.Store.WriteAudit(r.Context(), []ledger.AuditEntry{entry}); err != nil {
		// The records are already on the raw topic: say so, the audit gap is logged.
		a.cfg.Logger.Error("audit a rejects replay", "err", err, "replayed", ans.Replayed)
	}
	writeJSON(w, http.StatusOK, ans)
}
