package billing_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
)

func TestFormatNumber(t *testing.T) {
	at := time.Date(2026, 3, 9, 23, 30, 0, 0, time.FixedZone("UTC-2", -2*3600)) // 2026-03-10 01:30 UTC
	tests := []struct {
		pattern string
		issuer  string
		seq     uint64
		want    string
	}{
		{billing.DefaultInvoicePattern, "R1", 123, "R1-2026-000123"},
		{billing.DefaultCreditNotePattern, "R1", 7, "R1-CN-2026-000007"},
		{"{YY}{MM}-{SEQ}", "R1", 42, "2603-42"}, // month and year in UTC, not the caller's zone
		{"INV{SEQ:3}", "R1", 1234, "INV1234"},   // padding never truncates
		{"{SEQ:1}", "R1", 9, "9"},
		{"{ISSUER}/{ISSUER}/{SEQ:2}", "D-7", 3, "D-7/D-7/03"},
		{"{SEQ:20}", "R1", 18446744073709551615, "18446744073709551615"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got, err := billing.FormatNumber(tt.pattern, tt.issuer, tt.seq, at)
			if err != nil {
				t.Fatalf("FormatNumber: %v", err)
			}
			if got != tt.want {
				t.Errorf("FormatNumber(%q, %q, %d) = %q, want %q", tt.pattern, tt.issuer, tt.seq, got, tt.want)
			}
		})
	}
}

func TestValidatePattern(t *testing.T) {
	tests := []struct {
		pattern string
		mention string // the error must name it; "" = valid
	}{
		{billing.DefaultInvoicePattern, ""},
		{billing.DefaultCreditNotePattern, ""},
		{"{SEQ}", ""},
		{"{ISSUER}-{YYYY}", "no {SEQ}"},
		{"{ISSUER}-{DD}-{SEQ}", "{DD}"},
		{"{seq}", "{seq}"},
		{"{SEQ:0}", "{SEQ:0}"},
		{"{SEQ:21}", "{SEQ:21}"},
		{"{SEQ:x}", "{SEQ:x}"},
		{"A-{SEQ", "unclosed"},
		{"A}-{SEQ}", "unmatched"},
		{"", "no {SEQ}"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			err := billing.ValidatePattern(tt.pattern)
			if tt.mention == "" {
				if err != nil {
					t.Fatalf("ValidatePattern(%q) = %v, want nil", tt.pattern, err)
				}
				return
			}
			if !errors.Is(err, billing.ErrInvalid) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("ValidatePattern(%q) = %v, want ErrInvalid naming %q", tt.pattern, err, tt.mention)
			}
		})
	}
}

func TestFormatNumberRefusesSequenceZeroAndEmptyIssuer(t *testing.T) {
	if _, err := billing.FormatNumber("{SEQ}", "R1", 0, lcIssuedAt); !errors.Is(err, billing.ErrInvalid) {
		t.Errorf("seq 0: err = %v, want ErrInvalid", err)
	}
	if _, err := billing.FormatNumber("{ISSUER}{SEQ}", "", 1, lcIssuedAt); !errors.Is(err, billing.ErrInvalid) {
		t.Errorf("empty issuer: err = %v, want ErrInvalid", err)
	}
}

// numberAll numbers docs in order, applying each event as the Service does, and returns the events.
func lcNumberAll(t *testing.T, n *billing.Numbering, issuer *billing.Account, kind billing.DocumentKind, docs []string) []ledger.Event {
	t.Helper()
	var evs []ledger.Event
	for _, d := range docs {
		_, ev, err := n.Next(issuer, kind, d, lcIssuedAt, "test")
		if err != nil {
			t.Fatalf("Next(%s): %v", d, err)
		}
		if ev == nil {
			t.Fatalf("Next(%s): no event for a new document", d)
		}
		if err := ev.Validate(); err != nil {
			t.Fatalf("Next(%s) event: %v", d, err)
		}
		if err := n.Apply(*ev); err != nil {
			t.Fatalf("Apply(%s): %v", ev.Key(), err)
		}
		evs = append(evs, *ev)
	}
	return evs
}

func lcDocIDs(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

func TestNumberingIsGapFreeAndRebuildsFromEvents(t *testing.T) {
	issuer := &billing.Account{ID: "R1", Kind: billing.KindReseller}
	n := billing.NewNumbering()
	const count = 1000
	evs := lcNumberAll(t, n, issuer, billing.DocInvoice, lcDocIDs("inv", count))

	seen := map[string]bool{}
	for i, ev := range evs {
		var data struct{ Document, Number string }
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatal(err)
		}
		if ev.Seq != uint64(i+1) || ev.Aggregate != "series:R1:invoice" || ev.Type != billing.EventNumberAssigned {
			t.Fatalf("event %d = %s type %s, want series:R1:invoice#%d number_assigned", i, ev.Key(), ev.Type, i+1)
		}
		seq, err := strconv.Atoi(data.Number[strings.LastIndexByte(data.Number, '-')+1:])
		if err != nil || seq != i+1 || seen[data.Number] {
			t.Fatalf("event %d: number %q, want sequence %d and unique", i, data.Number, i+1)
		}
		seen[data.Number] = true
		if got, ok := n.Assigned(billing.DocInvoice, data.Document); !ok || got != data.Number {
			t.Fatalf("Assigned(%s) = %q %v, want %q", data.Document, got, ok, data.Number)
		}
	}

	// A fresh Numbering rebuilt from the log continues the series where it stopped.
	re := billing.NewNumbering()
	for _, ev := range evs {
		if err := re.Apply(ev); err != nil {
			t.Fatalf("rebuild: %v", err)
		}
	}
	if got, ok := re.Assigned(billing.DocInvoice, "inv-500"); !ok || got != "R1-2026-000501" {
		t.Errorf("rebuilt Assigned(inv-500) = %q %v", got, ok)
	}
	number, ev, err := re.Next(issuer, billing.DocInvoice, "inv-next", lcIssuedAt, "test")
	if err != nil || ev == nil || ev.Seq != count+1 || number != fmt.Sprintf("R1-2026-%06d", count+1) {
		t.Fatalf("Next after rebuild = %q, %+v, %v; want sequence %d", number, ev, err, count+1)
	}
}

func TestNumberingSameDocumentKeepsItsNumber(t *testing.T) {
	issuer := &billing.Account{ID: "R1", Kind: billing.KindReseller}
	n := billing.NewNumbering()
	lcNumberAll(t, n, issuer, billing.DocInvoice, []string{"a", "b"})
	number, ev, err := n.Next(issuer, billing.DocInvoice, "a", lcIssuedAt.AddDate(1, 0, 0), "rerun")
	if err != nil || ev != nil || number != "R1-2026-000001" {
		t.Fatalf("Next(a) again = %q, %v, %v; want the first number and no event", number, ev, err)
	}
	if last := n.Last("R1", billing.DocInvoice); last != 2 {
		t.Errorf("series at %d after a re-run, want 2", last)
	}
}

// Next alone takes nothing: until its event is applied the same sequence is offered again.
func TestNumberingNextDoesNotTakeTheNumberUntilApplied(t *testing.T) {
	issuer := &billing.Account{ID: "R1", Kind: billing.KindReseller}
	n := billing.NewNumbering()
	_, ev1, _ := n.Next(issuer, billing.DocInvoice, "a", lcIssuedAt, "t")
	_, ev2, _ := n.Next(issuer, billing.DocInvoice, "b", lcIssuedAt, "t")
	if ev1 == nil || ev2 == nil || ev1.Seq != 1 || ev2.Seq != 1 {
		t.Fatalf("unapplied Next calls: seq %v and %v, want 1 and 1", ev1, ev2)
	}
	if _, ok := n.Assigned(billing.DocInvoice, "a"); ok {
		t.Error("document numbered before its event was applied")
	}
}

func TestNumberingSeparateSeriesPerIssuerAndKind(t *testing.T) {
	r1 := &billing.Account{ID: "R1", Kind: billing.KindReseller}
	r2 := &billing.Account{ID: "R2", Kind: billing.KindReseller, InvoicePattern: "R2/{YY}/{SEQ:4}", CreditNotePattern: "G{SEQ}"}
	n := billing.NewNumbering()
	lcNumberAll(t, n, r1, billing.DocInvoice, lcDocIDs("r1", 3))
	lcNumberAll(t, n, r2, billing.DocInvoice, lcDocIDs("r2", 2))
	lcNumberAll(t, n, r1, billing.DocCreditNote, lcDocIDs("r1cn", 1))
	lcNumberAll(t, n, r2, billing.DocCreditNote, lcDocIDs("r2cn", 2))

	tests := []struct {
		kind billing.DocumentKind
		doc  string
		want string
	}{
		{billing.DocInvoice, "r1-2", "R1-2026-000003"},
		{billing.DocInvoice, "r2-1", "R2/26/0002"},
		{billing.DocCreditNote, "r1cn-0", "R1-CN-2026-000001"},
		{billing.DocCreditNote, "r2cn-1", "G2"},
	}
	for _, tt := range tests {
		if got, ok := n.Assigned(tt.kind, tt.doc); !ok || got != tt.want {
			t.Errorf("Assigned(%s, %s) = %q %v, want %q", tt.kind, tt.doc, got, ok, tt.want)
		}
	}
	if _, ok := n.Assigned(billing.DocCreditNote, "r1-0"); ok {
		t.Error("an invoice's number is visible as a credit note's")
	}
}

func TestNumberingNextRefuses(t *testing.T) {
	n := billing.NewNumbering()
	tests := []struct {
		name   string
		issuer *billing.Account
		kind   billing.DocumentKind
		doc    string
	}{
		{"no issuer", nil, billing.DocInvoice, "a"},
		{"no document", &billing.Account{ID: "R1"}, billing.DocInvoice, ""},
		{"unknown kind", &billing.Account{ID: "R1"}, "receipt", "a"},
		{"bad pattern", &billing.Account{ID: "R1", InvoicePattern: "{ISSUER}"}, billing.DocInvoice, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ev, err := n.Next(tt.issuer, tt.kind, tt.doc, lcIssuedAt, "t"); !errors.Is(err, billing.ErrInvalid) || ev != nil {
				t.Fatalf("Next = %v, %v; want ErrInvalid and no event", ev, err)
			}
		})
	}
}

func TestNumberingApplyRejects(t *testing.T) {
	issuer := &billing.Account{ID: "R1", Kind: billing.KindReseller}
	base := billing.NewNumbering()
	evs := lcNumberAll(t, base, issuer, billing.DocInvoice, []string{"a", "b"})
	data := func(doc, number string) []byte {
		return []byte(fmt.Sprintf(`{"document":%q,"number":%q}`, doc, number))
	}
	ev := func(agg string, seq uint64, typ string, d []byte) ledger.Event {
		return ledger.Event{Aggregate: agg, Seq: seq, Type: typ, At: lcIssuedAt, RecordedAt: lcIssuedAt, Data: d}
	}
	tests := []struct {
		name string
		ev   ledger.Event
		kind error
	}{
		{"gap", ev("series:R1:invoice", 4, billing.EventNumberAssigned, data("c", "X3")), billing.ErrConflict},
		{"repeat", ev("series:R1:invoice", 2, billing.EventNumberAssigned, data("c", "X2")), billing.ErrConflict},
		{"second number for a document", ev("series:R1:invoice", 3, billing.EventNumberAssigned, data("a", "X3")), billing.ErrConflict},
		{"not a series", ev("account:R1", 1, billing.EventNumberAssigned, data("c", "X1")), billing.ErrInvalid},
		{"unknown kind", ev("series:R1:receipt", 1, billing.EventNumberAssigned, data("c", "X1")), billing.ErrInvalid},
		{"unknown type", ev("series:R1:invoice", 3, "number_released", data("c", "X3")), billing.ErrInvalid},
		{"bad data", ev("series:R1:invoice", 3, billing.EventNumberAssigned, []byte(`{"document":`)), billing.ErrInvalid},
		{"no number", ev("series:R1:invoice", 3, billing.EventNumberAssigned, data("c", "")), billing.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := billing.NewNumbering()
			for _, e := range evs {
				if err := n.Apply(e); err != nil {
					t.Fatal(err)
				}
			}
			if err := n.Apply(tt.ev); !errors.Is(err, tt.kind) {
				t.Fatalf("Apply(%s) = %v, want %v", tt.ev.Key(), err, tt.kind)
			}
			if last := n.Last("R1", billing.DocInvoice); last != 2 {
				t.Errorf("a rejected event moved the series to %d", last)
			}
		})
	}
	// The first event of a series must be 1.
	if err := billing.NewNumbering().Apply(evs[1]); !errors.Is(err, billing.ErrConflict) {
		t.Errorf("series starting at 2: %v, want ErrConflict", err)
	}
}

// Issuer ids may contain ':' — the kind is what follows the last one.
func TestNumberingIssuerWithColon(t *testing.T) {
	issuer := &billing.Account{ID: "eu:R1", Kind: billing.KindReseller}
	n := billing.NewNumbering()
	evs := lcNumberAll(t, n, issuer, billing.DocCreditNote, []string{"x"})
	if evs[0].Aggregate != "series:eu:R1:credit_note" || n.Last("eu:R1", billing.DocCreditNote) != 1 {
		t.Fatalf("aggregate %s, last %d", evs[0].Aggregate, n.Last("eu:R1", billing.DocCreditNote))
	}
}

// FuzzFormatNumber: a pattern is either refused with ErrInvalid or numbers distinct sequence
// numbers distinctly (the gap-free series relies on it), and never panics.
func FuzzFormatNumber(f *testing.F) {
	for _, p := range []string{billing.DefaultInvoicePattern, billing.DefaultCreditNotePattern, "{SEQ:3}{SEQ}", "{YY}{MM}-{SEQ:2}", "{", "}{SEQ}", "{SEQ:99}"} {
		f.Add(p, uint64(7), uint64(70))
	}
	f.Fuzz(func(t *testing.T, pattern string, a, b uint64) {
		if a == 0 || b == 0 || a == b {
			return
		}
		x, errA := billing.FormatNumber(pattern, "R1", a, lcIssuedAt)
		y, errB := billing.FormatNumber(pattern, "R1", b, lcIssuedAt)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("pattern %q accepted for one sequence only: %v / %v", pattern, errA, errB)
		}
		if errA != nil {
			if !errors.Is(errA, billing.ErrInvalid) || billing.ValidatePattern(pattern) == nil {
				t.Fatalf("pattern %q: %v, and ValidatePattern disagrees", pattern, errA)
			}
			return
		}
		if x == y {
			t.Fatalf("pattern %q numbers %d and %d both %q", pattern, a, b, x)
		}
	})
}
