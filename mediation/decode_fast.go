package mediation

import "bytes"

// decodeFast decodes a record of the common shape straight from its bytes, in one pass and
// without building a JSON tree: an object of unescaped strings, plain numbers and literals, whose
// data holds quantity, an attributes object of strings and scalar keys. It returns false, having
// changed nothing the caller relies on, at the first thing that is unusual — an escape, a
// nested extension value, a duplicate or null known key, a missing or invalid field, anything
// that is not strict JSON — and Decode then runs the general fastjson path on the record, which
// also produces every error. So this path only ever accepts what the general path accepts, with
// the same result (FuzzDecodeFastPath checks it); it exists because fastjson costs about half of
// the pipeline's time per record (docs/usage-records.md, Performance).
func (d *Decoder) decodeFast(raw []byte, rec *Record) bool {
	s := scanner{b: raw}
	attrs0 := len(d.attrs)
	if !d.scanRecord(&s, rec) {
		clear(d.attrs[attrs0:])
		d.attrs = d.attrs[:attrs0]
		*rec = Record{}
		return false
	}
	rec.Attrs = d.attrs[attrs0:len(d.attrs):len(d.attrs)]
	return true
}

// Bits of the known top-level keys, to refuse duplicates.
const (
	seenID = 1 << iota
	seenSpec
	seenSource
	seenType
	seenSubject
	seenTime
	seenContentType
	seenData
)

// scanRecord scans the top-level object into rec.
func (d *Decoder) scanRecord(s *scanner, rec *Record) bool {
	s.ws()
	if !s.consume('{') {
		return false
	}
	var seen int
	var id, spec, source, typ, subject, ts, ct []byte
	for {
		s.ws()
		key, ok := s.str()
		if !ok || !s.colon() {
			return false
		}
		var bit int
		var dst *[]byte
		switch string(key) {
		case "id":
			bit, dst = seenID, &id
		case "specversion":
			bit, dst = seenSpec, &spec
		case "source":
			bit, dst = seenSource, &source
		case "type":
			bit, dst = seenType, &typ
		case "subject":
			bit, dst = seenSubject, &subject
		case "time":
			bit, dst = seenTime, &ts
		case "datacontenttype":
			bit, dst = seenContentType, &ct
		case "data":
			bit = seenData
		default:
			if kind, _, ok := s.scalar(); !ok || kind == 0 {
				return false
			}
		}
		if bit != 0 {
			if seen&bit != 0 {
				return false
			}
			seen |= bit
			if dst != nil {
				if *dst, ok = s.str(); !ok {
					return false
				}
			} else if !d.scanData(s, rec) {
				return false
			}
		}
		if !s.next('}') {
			if s.done {
				break
			}
			return false
		}
	}
	s.ws()
	const required = seenID | seenSpec | seenSource | seenType | seenSubject | seenTime | seenData
	if s.i != len(s.b) || seen&required != required || len(id) == 0 || len(source) == 0 || len(typ) == 0 ||
		len(subject) == 0 || string(spec) != "1.0" || (len(ct) > 0 && !bytes.HasPrefix(ct, []byte("application/json"))) {
		return false
	}
	var ok bool
	if rec.Time, ok = parseRFC3339(b2s(ts)); !ok {
		return false
	}
	rec.ID, rec.Source, rec.Type, rec.Subject = d.keep(id), d.keep(source), d.keep(typ), d.keep(subject)
	return true
}

// scanData scans the data object: quantity, attributes (appended to d.attrs as they come), then
// the other scalar keys, appended after the attributes as the general path orders them.
func (d *Decoder) scanData(s *scanner, rec *Record) bool {
	if !s.consume('{') {
		return false
	}
	var quantity []byte
	var haveQuantity, haveAttrs bool
	d.extra = d.extra[:0]
	for {
		s.ws()
		key, ok := s.str()
		if !ok || !s.colon() {
			return false
		}
		switch string(key) {
		case "quantity":
			kind, v, ok := s.scalar()
			if !ok || haveQuantity || (kind != 's' && kind != 'n') {
				return false
			}
			quantity, haveQuantity = v, true
		case "attributes":
			if haveAttrs || !d.scanAttributes(s) {
				return false
			}
			haveAttrs = true
		default:
			kind, v, ok := s.scalar()
			if !ok || kind == 0 {
				return false
			}
			if kind != 'z' {
				d.extra = append(d.extra, key, v)
			}
		}
		if !s.next('}') {
			if s.done {
				break
			}
			return false
		}
	}
	if !haveQuantity {
		return false
	}
	q, ok := parseQuantity(b2s(quantity))
	if !ok {
		return false
	}
	rec.Quantity = q
	for i := 0; i < len(d.extra); i += 2 {
		d.attrs = append(d.attrs, Attr{Key: d.keep(d.extra[i]), Value: d.keep(d.extra[i+1])})
	}
	return true
}

// scanAttributes scans data.attributes: null, or an object of strings.
func (d *Decoder) scanAttributes(s *scanner) bool {
	if s.literal("null") {
		return true
	}
	if !s.consume('{') {
		return false
	}
	s.ws()
	if s.consume('}') {
		return true
	}
	for {
		s.ws()
		k, ok := s.str()
		if !ok || !s.colon() {
			return false
		}
		v, ok := s.str()
		if !ok {
			return false
		}
		d.attrs = append(d.attrs, Attr{Key: d.keep(k), Value: d.keep(v)})
		if !s.next('}') {
			return s.done
		}
	}
}

// scanner reads strict JSON tokens from b; every method reports false on anything else.
type scanner struct {
	b    []byte
	i    int
	done bool // set by next when it consumed the closing brace
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume skips white space and then c, if c is there.
func (s *scanner) consume(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) colon() bool {
	if !s.consume(':') {
		return false
	}
	s.ws()
	return true
}

// next consumes the comma before another member (true) or the closing brace (false, with done
// set); anything else is false with done clear.
func (s *scanner) next(closing byte) bool {
	s.done = false
	s.ws()
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case ',':
			s.i++
			return true
		case closing:
			s.i++
			s.done = true
		}
	}
	return false
}

// str reads a string without escapes or control characters and returns its contents.
func (s *scanner) str() ([]byte, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// literal reads word if it is next.
func (s *scanner) literal(word string) bool {
	s.ws()
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// scalar reads a string ('s', its contents), a plain number ('n': -?(0|[1-9][0-9]*)(.[0-9]+)?,
// its text), true or false ('b', the word) or null ('z'). Kind 0 with ok false is anything else.
func (s *scanner) scalar() (kind byte, v []byte, ok bool) {
	if s.i >= len(s.b) {
		return 0, nil, false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		v, ok = s.str()
		return 's', v, ok
	case c == 't' && s.literal("true"):
		return 'b', s.b[s.i-4 : s.i], true
	case c == 'f' && s.literal("false"):
		return 'b', s.b[s.i-5 : s.i], true
	case c == 'n' && s.literal("null"):
		return 'z', nil, true
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	}
	return 0, nil, false
}

func (s *scanner) number() (byte, []byte, bool) {
	start, j := s.i, s.i
	if s.b[j] == '-' {
		j++
	}
	digits := func() int {
		k := j
		for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' {
			j++
		}
		return j - k
	}
	if n := digits(); n == 0 || (n > 1 && s.b[j-n] == '0') {
		return 0, nil, false
	}
	if j < len(s.b) && s.b[j] == '.' {
		j++
		if digits() == 0 {
			return 0, nil, false
		}
	}
	if j < len(s.b) {
		switch s.b[j] {
		case 'e', 'E', '.', '+', '-', 'x', 'X', 'i', 'I', 'n', 'N': // exponents and oddities: the general path
			return 0, nil, false
		}
	}
	s.i = j
	return 'n', s.b[start:j], true
}
