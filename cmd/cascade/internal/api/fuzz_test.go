package api_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
	"gopkg.in/yaml.v3"
)

// The body fuzz targets (fuzz_*_test.go) share this harness: a route table of the routes that
// read a body, one world per target (built once, rebuilt only when successful writes have
// grown it), and one check per input that says what may never happen, whatever the bytes:
//
//   - a status the route's entry in docs/openapi.yaml does not document, or a 500;
//   - an answer that is not JSON of the documented shape, or an error without a message;
//   - a refused request (4xx, 503) that changed the world (fingerprint below);
//   - a money or quantity field sent as a JSON number and accepted (it has likely been
//     through float64 already), or one accepted and answered as another value (rounded).

// fuzzRoute is one route a target sends bodies to.
type fuzzRoute struct {
	pattern string                // the spec operation, "POST /v1/payments"
	key     string                // the API key the request carries (a role the route allows)
	path    func(w *world) string // the request path, which may name the world's ids
	seeds   func(w *world) []string
	// money are the fields that must be decimal strings, never JSON numbers ("amount",
	// "lines[].amount"); exact are top-level fields the answer repeats, which must then be the
	// very value sent (a string or, where the API takes one, a number).
	money, exact []string
}

// at is a fixed path.
func at(p string) func(*world) string { return func(*world) string { return p } }

// bodies is a fixed seed list.
func bodies(s ...string) func(*world) []string { return func(*world) []string { return s } }

// fuzzHarness is one target's world and routes.
type fuzzHarness struct {
	world  func(tb testing.TB) *world // builds the target's world
	w      *world
	h      http.Handler
	spec   *spec
	routes []fuzzRoute
	paths  []string // the routes' paths in the current world
	grown  int      // the world's fingerprint size when built; a rebuild comes after rebuildAfter writes
}

// rebuildAfter bounds how far successful writes may grow a world before it is built again:
// the fingerprint reads the whole ledger, so an ever-growing world would slow every input.
const rebuildAfter = 400

// newFuzzHarness builds the world, loads the spec and adds the seed corpus: each route's valid
// bodies, their truncations and, per field, a type swap.
func newFuzzHarness(f *testing.F, world func(tb testing.TB) *world, routes []fuzzRoute) *fuzzHarness {
	f.Helper()
	h := &fuzzHarness{world: world, spec: loadSpecTB(f), routes: routes}
	h.build(f)
	for i, rt := range routes {
		if _, err := h.spec.responseFor(rt.pattern, http.StatusBadRequest); err != nil {
			f.Fatalf("route %d: %v", i, err)
		}
		for _, s := range rt.seeds(h.w) {
			for _, v := range variants(s) {
				f.Add(uint8(i), v)
			}
		}
		f.Add(uint8(i), "")
	}
	return h
}

// build (re)builds the world and the handler under test: the world's API plus a replayer, so
// POST /v1/rejects/replay reaches its decoding.
func (h *fuzzHarness) build(tb testing.TB) {
	h.w = h.world(tb)
	a, err := api.New(api.Config{Billing: h.w.svc, Store: h.w.store, Keys: fuzzKeyring(tb), Now: h.w.clock.Now,
		Replayer: &moreReplayer{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	h.h = a
	h.paths = h.paths[:0]
	for _, rt := range h.routes {
		h.paths = append(h.paths, rt.path(h.w))
	}
	h.grown = h.fingerprint(tb).size()
}

// loadSpecTB is loadSpec for a fuzz target (which has a *testing.F, not a *testing.T).
func loadSpecTB(tb testing.TB) *spec {
	tb.Helper()
	var s spec
	data, err := os.ReadFile(specFile)
	if err != nil {
		tb.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &s); err != nil {
		tb.Fatalf("%s: %v", specFile, err)
	}
	return &s
}

// check sends one body to route (taken modulo the table) and fails on anything the harness
// comment forbids. header, when not empty, is sent as the Idempotency-Key.
func (h *fuzzHarness) check(t *testing.T, route uint8, header, body string) {
	rt, path := h.routes[int(route)%len(h.routes)], h.paths[int(route)%len(h.routes)]
	before := h.fingerprint(t)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+rt.key)
	req.Header.Set("Content-Type", "application/json")
	if header != "" {
		req.Header.Set("Idempotency-Key", header)
	}
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	where := fmt.Sprintf("POST %s %q", path, body)
	if rec.Code == http.StatusInternalServerError {
		t.Fatalf("%s: 500: %s", where, rec.Body)
	}
	resp, err := h.spec.responseFor(rt.pattern, rec.Code)
	if err != nil {
		t.Fatalf("%s: %v: %s", where, err, rec.Body)
	}
	var answer any
	if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
		t.Fatalf("%s: status %d, answer is not JSON (%v): %s", where, rec.Code, err, rec.Body)
	}
	if media, ok := resp.Content["application/json"]; ok {
		if problems := h.spec.validate("$", answer, media.Schema); len(problems) > 0 {
			t.Fatalf("%s: status %d, answer not of the documented shape: %v: %s", where, rec.Code, problems, rec.Body)
		}
	}
	after := h.fingerprint(t)
	if rec.Code >= 400 {
		var e api.ErrorBody
		if json.Unmarshal(rec.Body.Bytes(), &e) != nil || strings.TrimSpace(e.Error.Message) == "" || e.Error.Code == "" {
			t.Fatalf("%s: status %d without an error code and message: %s", where, rec.Code, rec.Body)
		}
		if d := before.diff(after); d != "" {
			t.Fatalf("%s: refused with %d (%s) but changed the world: %s", where, rec.Code, e.Error.Message, d)
		}
		return
	}
	checkMoney(t, where, rt, body, answer)
	h.checkHealthy(t, where)
	if after.size() > h.grown+rebuildAfter {
		h.build(t)
	}
}

// checkHealthy: after an accepted request, billing still works for everyone: an invoice cycle
// (as of the world's now) answers 200 and complete, and the account list answers 200. An
// accepted value that billing cannot carry through a cycle (a due date past year 9999) used to
// fail every buyer's cycle and leave the service answering 500.
func (h *fuzzHarness) checkHealthy(t *testing.T, where string) {
	t.Helper()
	for _, probe := range []struct{ method, path, key, body string }{
		{http.MethodPost, "/v1/cycles", keyFinance, `{}`},
		{http.MethodGet, "/v1/accounts", keyAdmin, ""},
	} {
		req := httptest.NewRequest(probe.method, probe.path, strings.NewReader(probe.body))
		req.Header.Set("Authorization", "Bearer "+probe.key)
		rec := httptest.NewRecorder()
		h.h.ServeHTTP(rec, req)
		var cycle struct {
			Complete *bool `json:"complete"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &cycle)
		if rec.Code != http.StatusOK || cycle.Complete != nil && !*cycle.Complete {
			t.Fatalf("%s was accepted, then %s %s answers %d: %s", where, probe.method, probe.path, rec.Code, rec.Body)
		}
	}
}

// checkMoney: on a success, no money field of the request was a JSON number, and every exact
// one is answered as exactly the value sent (no rounding, no float on the way).
func checkMoney(t *testing.T, where string, rt fuzzRoute, body string, answer any) {
	t.Helper()
	sent := sentFields(body)
	for _, f := range rt.money {
		for _, raw := range fieldValues(sent, f) {
			var s string
			if string(raw) != "null" && json.Unmarshal(raw, &s) != nil {
				t.Fatalf("%s: accepted %s as the JSON %s, not a decimal string", where, f, raw)
			}
		}
	}
	got, _ := answer.(map[string]any)
	for _, f := range rt.exact {
		raw, ok := sent[f]
		if !ok || string(raw) == "null" {
			continue
		}
		text := string(raw)
		_ = json.Unmarshal(raw, &text) // a string's text; a number's is raw itself
		echo, _ := got[f].(string)
		if !sameDecimal(text, echo) {
			t.Fatalf("%s: %s sent as %s, answered as %q", where, f, raw, echo)
		}
	}
}

// fieldValues returns the values of a top-level field ("amount") or of a field of each element
// of a top-level array ("lines[].amount"); absent ones are left out.
func fieldValues(sent map[string]json.RawMessage, path string) []json.RawMessage {
	arr, field, nested := strings.Cut(path, "[].")
	if !nested {
		if v, ok := sent[path]; ok {
			return []json.RawMessage{v}
		}
		return nil
	}
	var elems []map[string]json.RawMessage
	_ = json.Unmarshal(sent[arr], &elems)
	var out []json.RawMessage
	for _, e := range elems {
		if v, ok := e[field]; ok {
			out = append(out, v)
		}
	}
	return out
}

// topLevel reads a body's top-level fields (nil when the body is not one JSON object).
func topLevel(body string) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &m) != nil {
		return nil
	}
	return m
}

// sentFields reads a body's top-level fields as encoding/json fills a struct: keys match field
// names case-insensitively and the last of duplicates wins. Keys are returned lower-cased
// (every field name of this API is lower case).
func sentFields(body string) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	dec := json.NewDecoder(strings.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return out
	}
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		var v json.RawMessage
		if err != nil || !ok || dec.Decode(&v) != nil {
			return out
		}
		out[foldKey(key)] = v
	}
	return out
}

// foldKey folds a key as encoding/json matches names (its appendFoldedName: ASCII by case,
// other runes by upper(lower(r)), so the Kelvin sign is a k and the long s an s), then
// lower-cases it like the API's field names.
func foldKey(k string) string {
	return strings.Map(func(r rune) rune {
		if r >= utf8.RuneSelf {
			r = unicode.ToUpper(unicode.ToLower(r))
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}, k)
}

// fuzzKeyring is the world's keyring (world_test.go's keys, roles and partners).
func fuzzKeyring(tb testing.TB) *api.Keyring {
	tb.Helper()
	var keys []api.Key
	for _, k := range []struct {
		key     string
		role    api.Role
		partner string
	}{{keyAdmin, api.RoleAdmin, ""}, {keyFinance, api.RoleFinance, ""}, {keyAnalyst, api.RoleAnalyst, ""},
		{keyVendor, api.RoleVendor, "V"}, {keyDist, api.RoleDistributor, "D"}, {keyR1, api.RoleReseller, "R1"}, {keyR2, api.RoleReseller, "R2"}} {
		keys = append(keys, api.Key{Name: k.key, SHA256: keyHash(k.key), Role: k.role, Partner: k.partner})
	}
	ring, err := api.NewKeyring(keys)
	if err != nil {
		tb.Fatal(err)
	}
	return ring
}
