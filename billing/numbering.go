package billing

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// EventNumberAssigned is the type of a number series' events: one per number taken.
const EventNumberAssigned = "number_assigned"

// maxSeqWidth bounds {SEQ:n}: a uint64 has at most 20 digits, so a wider pad is a typo.
const maxSeqWidth = 20

// SeriesAggregate is the ledger aggregate of an issuer's series of one document kind. Invoices
// and credit notes are numbered in separate series, as most tax authorities require.
func SeriesAggregate(issuer string, kind DocumentKind) string {
	return "series:" + issuer + ":" + string(kind)
}

// numberAssigned is the payload of a number_assigned event.
type numberAssigned struct {
	Document string `json:"document"`
	Number   string `json:"number"`
}

// ValidatePattern checks a numbering pattern: it must contain {SEQ} or {SEQ:n} (without the
// sequence two documents could get one number) and no token other than {ISSUER}, {YYYY}, {YY},
// {MM}, {SEQ}, {SEQ:n}. Braces are reserved for tokens.
func ValidatePattern(pattern string) error {
	_, err := FormatNumber(pattern, "X", 1, time.Unix(0, 0).UTC())
	return err
}

// FormatNumber renders a document number. {ISSUER} is the issuer id, {YYYY}, {YY} and {MM} the
// UTC issue year and month, {SEQ} the sequence number and {SEQ:n} the sequence zero-padded to n
// digits (never truncated: 1234567 with {SEQ:6} prints all 7 digits, so numbers stay unique).
// The sequence does not restart with the year: it is one gap-free series per issuer and kind.
func FormatNumber(pattern, issuer string, seq uint64, at time.Time) (string, error) {
	if seq == 0 {
		return "", fmt.Errorf("number pattern %q: sequence must be 1 or more: %w", pattern, ErrInvalid)
	}
	at = at.UTC()
	var b strings.Builder
	hasSeq := false
	for rest := pattern; rest != ""; {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		if rest[i] == '}' {
			return "", fmt.Errorf("number pattern %q: unmatched '}' at byte %d: %w", pattern, len(pattern)-len(rest)+i, ErrInvalid)
		}
		end := strings.IndexByte(rest[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("number pattern %q: unclosed '{' at byte %d: %w", pattern, len(pattern)-len(rest)+i, ErrInvalid)
		}
		token := rest[i+1 : i+end]
		rest = rest[i+end+1:]
		switch {
		case token == "ISSUER":
			if issuer == "" {
				return "", fmt.Errorf("number pattern %q: {ISSUER} with an empty issuer id: %w", pattern, ErrInvalid)
			}
			b.WriteString(issuer)
		case token == "YYYY":
			fmt.Fprintf(&b, "%04d", at.Year())
		case token == "YY":
			fmt.Fprintf(&b, "%02d", at.Year()%100)
		case token == "MM":
			fmt.Fprintf(&b, "%02d", int(at.Month()))
		case token == "SEQ":
			hasSeq = true
			b.WriteString(strconv.FormatUint(seq, 10))
		case strings.HasPrefix(token, "SEQ:"):
			w, err := strconv.Atoi(token[len("SEQ:"):])
			if err != nil || w < 1 || w > maxSeqWidth {
				return "", fmt.Errorf("number pattern %q: token {%s}: width must be 1..%d: %w", pattern, token, maxSeqWidth, ErrInvalid)
			}
			hasSeq = true
			fmt.Fprintf(&b, "%0*d", w, seq)
		default:
			return "", fmt.Errorf("number pattern %q: unknown token {%s} (want ISSUER, YYYY, YY, MM, SEQ or SEQ:n): %w", pattern, token, ErrInvalid)
		}
	}
	if !hasSeq {
		return "", fmt.Errorf("number pattern %q: has no {SEQ} or {SEQ:n} token: %w", pattern, ErrInvalid)
	}
	return b.String(), nil
}

// PatternFor returns the pattern an issuer numbers documents of a kind with.
func PatternFor(issuer *Account, kind DocumentKind) (string, error) {
	switch kind {
	case DocInvoice:
		if issuer.InvoicePattern != "" {
			return issuer.InvoicePattern, nil
		}
		return DefaultInvoicePattern, nil
	case DocCreditNote:
		if issuer.CreditNotePattern != "" {
			return issuer.CreditNotePattern, nil
		}
		return DefaultCreditNotePattern, nil
	}
	return "", fmt.Errorf("numbering for %s: unknown document kind %q: %w", issuer.ID, kind, ErrInvalid)
}

// series is one issuer's series of one kind.
type series struct {
	last uint64
}

// docKey identifies a numbered document: ids are unique per kind.
type docKey struct {
	kind DocumentKind
	doc  string
}

// Numbering is the state of every number series, rebuilt from the series events. Numbers are
// gap-free per issuer and document kind: a number is taken exactly when its event is written,
// the event's Seq is the sequence number, and the ledger's (aggregate, seq) identity makes
// each sequence number unique. Not safe for concurrent use (the Service locks).
type Numbering struct {
	series   map[string]*series   // by aggregate
	assigned map[docKey]string    // document -> number
	at       map[docKey]time.Time // document -> when its number was taken
}

// NewNumbering returns empty numbering state.
func NewNumbering() *Numbering {
	return &Numbering{series: map[string]*series{}, assigned: map[docKey]string{}, at: map[docKey]time.Time{}}
}

// parseSeries splits "series:<issuer>:<kind>"; the issuer id may itself contain ':'.
func parseSeries(aggregate string) (issuer string, kind DocumentKind, ok bool) {
	rest, found := strings.CutPrefix(aggregate, "series:")
	i := strings.LastIndexByte(rest, ':')
	if !found || i <= 0 {
		return "", "", false
	}
	kind = DocumentKind(rest[i+1:])
	if kind != DocInvoice && kind != DocCreditNote {
		return "", "", false
	}
	return rest[:i], kind, true
}

// Apply replays one series event. Events of a series must come in order without gaps or
// repeats, and a document may hold only one number: anything else means the log is not what
// this code wrote, and numbering on top of it could hand out a duplicate.
func (n *Numbering) Apply(ev ledger.Event) error {
	_, kind, ok := parseSeries(ev.Aggregate)
	if !ok {
		return fmt.Errorf("numbering: event %s: aggregate is not series:<issuer>:<invoice|credit_note>: %w", ev.Key(), ErrInvalid)
	}
	if ev.Type != EventNumberAssigned {
		return fmt.Errorf("numbering: event %s: unknown type %q: %w", ev.Key(), ev.Type, ErrInvalid)
	}
	var p numberAssigned
	if err := json.Unmarshal(ev.Data, &p); err != nil {
		return fmt.Errorf("numbering: event %s: data: %v: %w", ev.Key(), err, ErrInvalid)
	}
	if p.Document == "" || p.Number == "" {
		return fmt.Errorf("numbering: event %s: data needs document and number: %w", ev.Key(), ErrInvalid)
	}
	s := n.series[ev.Aggregate]
	var last uint64
	if s != nil {
		last = s.last
	}
	switch {
	case ev.Seq <= last:
		return fmt.Errorf("numbering: event %s: sequence %d repeats (series is at %d): %w", ev.Key(), ev.Seq, last, ErrConflict)
	case ev.Seq != last+1:
		return fmt.Errorf("numbering: event %s: sequence %d leaves a gap after %d: %w", ev.Key(), ev.Seq, last, ErrConflict)
	}
	key := docKey{kind, p.Document}
	if prev, dup := n.assigned[key]; dup {
		return fmt.Errorf("numbering: event %s: %s %s already has number %s: %w", ev.Key(), kind, p.Document, prev, ErrConflict)
	}
	if s == nil {
		s = &series{}
		n.series[ev.Aggregate] = s
	}
	s.last = ev.Seq
	n.assigned[key] = p.Number
	n.at[key] = ev.At
	return nil
}

// AssignedAt returns when a document's number was taken. A cycle re-run after a crash issues the
// document at that instant again, so everything it rewrites (journal, document row, snapshot)
// is identical to what the interrupted run may already have written.
func (n *Numbering) AssignedAt(kind DocumentKind, docID string) (time.Time, bool) {
	t, ok := n.at[docKey{kind, docID}]
	return t, ok
}

// Count returns how many documents of a kind hold a number.
func (n *Numbering) Count(kind DocumentKind) int {
	c := 0
	for k := range n.assigned {
		if k.kind == kind {
			c++
		}
	}
	return c
}

// Documents lists the ids of the documents of a kind that hold a number, sorted.
func (n *Numbering) Documents(kind DocumentKind) []string {
	var out []string
	for k := range n.assigned {
		if k.kind == kind {
			out = append(out, k.doc)
		}
	}
	sort.Strings(out)
	return out
}

// Assigned returns the number a document was given, if any.
func (n *Numbering) Assigned(kind DocumentKind, docID string) (number string, ok bool) {
	number, ok = n.assigned[docKey{kind, docID}]
	return number, ok
}

// Last returns the last sequence number taken in an issuer's series (0: none yet).
func (n *Numbering) Last(issuer string, kind DocumentKind) uint64 {
	if s := n.series[SeriesAggregate(issuer, kind)]; s != nil {
		return s.last
	}
	return 0
}

// Next returns the number for docID and the event to write. If docID already has a number it
// returns that number and a nil event, so re-running a cycle never takes a second number.
//
// Next does not change the Numbering: Apply the returned event before numbering the next
// document of the series (Apply then write, or write then Apply). If writing fails after the
// Apply, memory is ahead of the ledger: rebuild the Numbering from the log, or write the very
// same events again (their (aggregate, seq) identity makes the retry harmless).
func (n *Numbering) Next(issuer *Account, kind DocumentKind, docID string, at time.Time, actor string) (number string, ev *ledger.Event, err error) {
	if issuer == nil || issuer.ID == "" {
		return "", nil, fmt.Errorf("number %s %s: issuer is required: %w", kind, docID, ErrInvalid)
	}
	if docID == "" {
		return "", nil, fmt.Errorf("number %s for issuer %s: document id is required: %w", kind, issuer.ID, ErrInvalid)
	}
	if number, ok := n.Assigned(kind, docID); ok {
		return number, nil, nil
	}
	pattern, err := PatternFor(issuer, kind)
	if err != nil {
		return "", nil, err
	}
	agg := SeriesAggregate(issuer.ID, kind)
	seq := n.Last(issuer.ID, kind) + 1
	number, err = FormatNumber(pattern, issuer.ID, seq, at)
	if err != nil {
		return "", nil, fmt.Errorf("number %s %s of issuer %s: %w", kind, docID, issuer.ID, err)
	}
	data, err := json.Marshal(numberAssigned{Document: docID, Number: number})
	if err != nil {
		return "", nil, fmt.Errorf("number %s %s of issuer %s: %w", kind, docID, issuer.ID, err)
	}
	e := ledger.Event{Aggregate: agg, Seq: seq, Type: EventNumberAssigned, At: at.UTC(), RecordedAt: at.UTC(), Actor: actor, Data: data}
	return number, &e, nil
}
