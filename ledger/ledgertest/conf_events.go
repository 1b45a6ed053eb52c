package ledgertest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// event builds a valid event with a sub-second time (stored truncated to the second).
func event(aggregate string, seq uint64, data string) ledger.Event {
	at := day0().Add(time.Duration(seq)*time.Hour + 250*time.Millisecond)
	return ledger.Event{Aggregate: aggregate, Seq: seq, Type: "changed", At: at, RecordedAt: at.Add(time.Minute),
		Actor: "cli", Data: []byte(data)}
}

// stored is what a store returns for e: times truncated to the second.
func stored(e ledger.Event) ledger.Event {
	e.At, e.RecordedAt = ledger.TruncateTime(e.At), ledger.TruncateTime(e.RecordedAt)
	return e
}

// sortEvents sorts as Events must answer: by (aggregate, seq), bytewise.
func sortEvents(events []ledger.Event) {
	slices.SortFunc(events, func(a, b ledger.Event) int {
		return cmp.Or(cmp.Compare(a.Aggregate, b.Aggregate), cmp.Compare(a.Seq, b.Seq))
	})
}

// checkEvents compares two event lists field by field, the payload byte for byte.
func checkEvents(t *testing.T, what string, got, want []ledger.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d events, want %d\n got %s\nwant %s", what, len(got), len(want), describeEvents(got), describeEvents(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Aggregate != w.Aggregate || g.Seq != w.Seq || g.Type != w.Type || g.Actor != w.Actor ||
			!g.At.Equal(w.At) || !g.RecordedAt.Equal(w.RecordedAt) || !bytes.Equal(g.Data, w.Data) {
			t.Errorf("%s: event %d is\n %q #%d %q at %s rec %s by %q data %q\nwant\n %q #%d %q at %s rec %s by %q data %q", what, i,
				g.Aggregate, g.Seq, g.Type, g.At, g.RecordedAt, g.Actor, g.Data, w.Aggregate, w.Seq, w.Type, w.At, w.RecordedAt, w.Actor, w.Data)
		}
	}
}

func describeEvents(events []ledger.Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%q#%d ", e.Aggregate, e.Seq)
	}
	return b.String()
}

// testEventsRoundTrip stores payloads that break naive quoting or text formats and expects every
// field back exactly.
func testEventsRoundTrip(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	payloads := []string{
		`{"name":"Zoë Ünïcödé 日本語 🚀","note":"it's \"quoted\""}`,
		`{"path":"C:\\dir\\file","re":"\\d+\\'"}`,
		"{\"lines\":\"one\ntwo\r\nthree\ttab\"}",
		"", // an event without payload
		"\x00\x01\xff\xfe not UTF-8 \\N '\\'",
		strings.Repeat(`{"k":"v"},`, 5000), // 50 KB
	}
	var events []ledger.Event
	for i, p := range payloads {
		e := event(fmt.Sprintf("account:O'Brien\\%d", i), uint64(i+1), p)
		e.Type, e.Actor = "type \"q\" "+fmt.Sprint(i), "key'\\"+fmt.Sprint(i)
		events = append(events, e)
	}
	must(t, s.WriteEvents(c, events), "write events")
	got, err := s.Events(c, ledger.EventQuery{})
	must(t, err, "read events")
	want := make([]ledger.Event, len(events))
	for i, e := range events {
		want[i] = stored(e)
		want[i].Data = bytes.Clone(e.Data)
	}
	first := want[0]
	sortEvents(want)
	checkEvents(t, "all events", got, want)
	// The store must not keep the caller's buffer: changing it after the write changes nothing.
	events[0].Data[0] = 'X'
	again, err := s.Events(c, ledger.EventQuery{AggregatePrefix: events[0].Aggregate})
	must(t, err, "read events again")
	checkEvents(t, "after the caller reused its buffer", again, []ledger.Event{first})
}

// testEventsTwice writes events twice, in one call and across calls: each identity once.
func testEventsTwice(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	var events []ledger.Event
	for i := 1; i <= 20; i++ {
		events = append(events, event("subscription:S"+fmt.Sprint(i%3), uint64(i), fmt.Sprintf(`{"i":%d}`, i)))
	}
	must(t, s.WriteEvents(c, events), "write events")
	must(t, s.WriteEvents(c, events[5:12]), "write some again (a retried command)")
	must(t, s.WriteEvents(c, []ledger.Event{events[0], events[0]}), "write one twice in a call")
	got, err := s.Events(c, ledger.EventQuery{})
	must(t, err, "read events")
	want := make([]ledger.Event, len(events))
	for i, e := range events {
		want[i] = stored(e)
	}
	sortEvents(want)
	checkEvents(t, "events written twice", got, want)
}

// testEventsPrefix checks prefix selection with aggregates containing quotes, backslashes, LIKE
// wildcards and bytes at the top of the range, against EventQuery.Matches.
func testEventsPrefix(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	aggregates := []string{"subscription:S1", "subscription:S10", "subscription:S2", "subscriptions", "account:A",
		"sub'q:X", "sub'q:Y", `a\b:1`, `a\\b:2`, "a%b", "a_b", "axb", "\xff\xff", "\xff\xfe", "\xffz", "ü:1", "u:1", "subscription:S1\x00x"}
	var events []ledger.Event
	for i, a := range aggregates {
		events = append(events, event(a, 1, fmt.Sprint(i)), event(a, 2, "x"))
	}
	must(t, s.WriteEvents(c, events), "write events")
	for _, prefix := range []string{"", "subscription:", "subscription:S1", "sub'", "sub'q:Y", `a\`, `a\\`, "a%", "a_", "\xff",
		"\xff\xff", "ü", "zzz", "subscription:S1\x00"} {
		q := ledger.EventQuery{AggregatePrefix: prefix}
		var want []ledger.Event
		for _, e := range events {
			if q.Matches(e.Aggregate) {
				want = append(want, stored(e))
			}
		}
		sortEvents(want)
		got, err := s.Events(c, q)
		must(t, err, fmt.Sprintf("events with prefix %q", prefix))
		checkEvents(t, fmt.Sprintf("prefix %q", prefix), got, want)
	}
}

// testEventsInvalid checks that one invalid event fails the whole call and writes nothing.
func testEventsInvalid(t *testing.T, s ledger.Store, _ Options) {
	c := ctx(t)
	for _, tc := range []struct {
		name  string
		bad   func(e *ledger.Event)
		kind  error
		field string
	}{
		{"seq zero", func(e *ledger.Event) { e.Seq = 0 }, ledger.ErrInvalid, "seq"},
		{"no aggregate", func(e *ledger.Event) { e.Aggregate = "" }, ledger.ErrInvalid, "aggregate"},
		{"no type", func(e *ledger.Event) { e.Type = "" }, ledger.ErrInvalid, "type"},
		{"time unset", func(e *ledger.Event) { e.At = time.Time{} }, ledger.ErrOutOfBounds, "at"},
		{"recorded before 1970", func(e *ledger.Event) { e.RecordedAt = time.Unix(-1, 0) }, ledger.ErrOutOfBounds, "recorded_at"},
	} {
		events := []ledger.Event{event("account:A", 1, "{}"), event("account:A", 2, "{}"), event("account:B", 1, "{}")}
		tc.bad(&events[1])
		err := s.WriteEvents(c, events)
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), "events[1]") || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: error %v, want %v naming events[1] and field %s", tc.name, err, tc.kind, tc.field)
		}
		got, err := s.Events(c, ledger.EventQuery{})
		must(t, err, "read events")
		if len(got) != 0 {
			t.Fatalf("%s: a rejected call stored %d events: %s", tc.name, len(got), describeEvents(got))
		}
	}
}
