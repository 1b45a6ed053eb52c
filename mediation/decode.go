package mediation

import (
	"strings"
	"unsafe"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
	"github.com/valyala/fastjson"
)

// maxQuantityText bounds a quantity's text before the decimal fallback parses it, and
// maxQuantityExp bounds its exponent: "1e999999999" parses cheaply but would make every later
// operation on it allocate a billion-digit integer.
const (
	maxQuantityText = 64
	maxQuantityExp  = 30
)

// Decoder turns CloudEvents 1.0 structured-JSON usage records into Records.
//
// It owns a reused JSON parser and the buffers the decoded strings live in, so decoding
// allocates nothing once the buffers have grown to the batch size. Not safe for concurrent
// use: the pipeline keeps one per partition.
type Decoder struct {
	p     fastjson.Parser
	arena []byte // decoded strings; never reallocated under a live string (see keep)
	attrs []Attr
	num   []byte
	rec   *Record
	err   *RecordError
	top   topFields
	extra [][]byte // decodeFast: data's other keys and values, in pairs
}

// topFields are the values of the top-level keys the decoder reads, found in one pass over the
// object (seven Object.Get calls would scan its keys seven times); the first of duplicate keys
// wins, as with Object.Get.
type topFields struct {
	id, specversion, source, typ, subject, time, contentType, data *fastjson.Value
	// In data: quantity and attributes, and whether it has other keys (kept as attributes).
	quantity, attributes *fastjson.Value
	otherData            bool
}

// visitData records data's quantity and attributes and notes any other key.
func (d *Decoder) visitData(k []byte, v *fastjson.Value) {
	switch b2s(k) {
	case "quantity":
		if d.top.quantity == nil {
			d.top.quantity = v
		}
	case "attributes":
		if d.top.attributes == nil {
			d.top.attributes = v
		}
	default:
		d.top.otherData = true
	}
}

// visitTop records one top-level key's value if the decoder reads that key.
func (d *Decoder) visitTop(k []byte, v *fastjson.Value) {
	var slot **fastjson.Value
	switch b2s(k) {
	case "id":
		slot = &d.top.id
	case "specversion":
		slot = &d.top.specversion
	case "source":
		slot = &d.top.source
	case "type":
		slot = &d.top.typ
	case "subject":
		slot = &d.top.subject
	case "time":
		slot = &d.top.time
	case "datacontenttype":
		slot = &d.top.contentType
	case "data":
		slot = &d.top.data
	default:
		return // an extension attribute
	}
	if *slot == nil {
		*slot = v
	}
}

// Reset starts a new batch whose raw records total about size bytes. Records decoded before
// are invalid afterwards: their strings may be overwritten.
func (d *Decoder) Reset(size int) {
	if cap(d.arena) < size {
		d.arena = make([]byte, 0, size+size/4)
	}
	d.arena = d.arena[:0]
	clear(d.attrs)
	d.attrs = d.attrs[:0]
}

// Decode decodes one raw record into rec. An error is always a *RecordError naming the reason
// code, the field path and, once decoded, the record id. rec's strings stay valid until the
// next Reset.
func (d *Decoder) Decode(raw []byte, rec *Record) error {
	if d.decodeFast(raw, rec) {
		return nil
	}
	return d.decodeGeneral(raw, rec)
}

// decodeGeneral is Decode through fastjson: every record decodeFast declines, and every error.
func (d *Decoder) decodeGeneral(raw []byte, rec *Record) error {
	*rec = Record{}
	v, err := d.p.ParseBytes(raw)
	if err != nil {
		return &RecordError{Reason: ReasonDecode, Field: "$", Detail: "not JSON: " + err.Error()}
	}
	o, err := v.Object()
	if err != nil {
		return &RecordError{Reason: ReasonDecode, Field: "$", Detail: "want a JSON object, got " + v.Type().String()}
	}
	d.top = topFields{}
	o.Visit(d.visitTop)
	f := &d.top
	// id first, so every later error can name the record.
	var e *RecordError
	if rec.ID, e = d.required(f.id, "id", ""); e != nil {
		return e
	}
	sv, e := d.str(f.specversion, "specversion", rec.ID, false)
	switch {
	case e != nil:
		return e
	case sv == "":
		return &RecordError{Reason: ReasonMissingField, Field: "specversion", ID: rec.ID, Detail: "required field missing"}
	case sv != "1.0":
		return &RecordError{Reason: ReasonBadSpecVersion, Field: "specversion", ID: rec.ID, Detail: `want "1.0", got "` + clip(sv) + `"`}
	}
	if rec.Source, e = d.required(f.source, "source", rec.ID); e != nil {
		return e
	}
	if rec.Type, e = d.required(f.typ, "type", rec.ID); e != nil {
		return e
	}
	if rec.Subject, e = d.required(f.subject, "subject", rec.ID); e != nil {
		return e
	}
	ts, e := d.str(f.time, "time", rec.ID, false)
	if e != nil {
		return e
	}
	if ts == "" {
		return &RecordError{Reason: ReasonMissingField, Field: "time", ID: rec.ID, Detail: "required field missing"}
	}
	var ok bool
	if rec.Time, ok = parseRFC3339(ts); !ok {
		return &RecordError{Reason: ReasonBadTime, Field: "time", ID: rec.ID, Detail: `want RFC 3339, got "` + clip(ts) + `"`}
	}
	if ct, e := d.str(f.contentType, "datacontenttype", rec.ID, false); e != nil {
		return e
	} else if ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &RecordError{Reason: ReasonDecode, Field: "datacontenttype", ID: rec.ID, Detail: `want "application/json", got "` + clip(ct) + `"`}
	}
	return d.decodeData(f.data, rec)
}

// decodeData reads data.quantity and the attributes (data.attributes, then other scalar data keys).
func (d *Decoder) decodeData(dv *fastjson.Value, rec *Record) error {
	if dv == nil || dv.Type() == fastjson.TypeNull {
		return &RecordError{Reason: ReasonMissingField, Field: "data", ID: rec.ID, Detail: "required field missing"}
	}
	data, err := dv.Object()
	if err != nil {
		return &RecordError{Reason: ReasonDecode, Field: "data", ID: rec.ID, Detail: "want a JSON object, got " + dv.Type().String()}
	}
	data.Visit(d.visitData)
	qv := d.top.quantity
	if qv == nil || qv.Type() == fastjson.TypeNull {
		return &RecordError{Reason: ReasonMissingField, Field: "data.quantity", ID: rec.ID, Detail: "required field missing"}
	}
	switch qv.Type() {
	case fastjson.TypeNumber:
		d.num = qv.MarshalTo(d.num[:0])
	case fastjson.TypeString:
		sb, _ := qv.StringBytes()
		d.num = append(d.num[:0], sb...)
	default:
		return &RecordError{Reason: ReasonDecode, Field: "data.quantity", ID: rec.ID, Detail: "want a JSON number or string, got " + qv.Type().String()}
	}
	q, ok := parseQuantity(b2s(d.num))
	if !ok {
		return &RecordError{Reason: ReasonBadQuantity, Field: "data.quantity", ID: rec.ID, Detail: `want a finite decimal number, got "` + clip(string(d.num)) + `"`}
	}
	rec.Quantity = q
	start := len(d.attrs)
	if av := d.top.attributes; av != nil && av.Type() != fastjson.TypeNull {
		ao, err := av.Object()
		if err != nil {
			return &RecordError{Reason: ReasonDecode, Field: "data.attributes", ID: rec.ID, Detail: "want a JSON object, got " + av.Type().String()}
		}
		d.rec, d.err = rec, nil
		ao.Visit(d.visitAttribute)
		if d.err != nil {
			return d.err
		}
	}
	if d.top.otherData {
		d.rec, d.err = rec, nil
		data.Visit(d.visitDataKey)
		if d.err != nil {
			return d.err
		}
	}
	rec.Attrs = d.attrs[start:len(d.attrs):len(d.attrs)]
	d.rec = nil
	return nil
}

// visitAttribute keeps one data.attributes entry; values must be strings.
func (d *Decoder) visitAttribute(k []byte, v *fastjson.Value) {
	if d.err != nil {
		return
	}
	if v.Type() != fastjson.TypeString {
		d.err = &RecordError{Reason: ReasonDecode, Field: "data.attributes." + clip(string(k)), ID: d.rec.ID, Detail: "want a string, got " + v.Type().String()}
		return
	}
	sb, _ := v.StringBytes()
	d.attrs = append(d.attrs, Attr{Key: d.keep(k), Value: d.keep(sb)})
}

// visitDataKey keeps a data key other than quantity and attributes as an attribute when its
// value is a scalar (the OpenMeter habit of putting dimensions straight into data), and
// rejects nested values, which no meter could use.
func (d *Decoder) visitDataKey(k []byte, v *fastjson.Value) {
	if d.err != nil || b2s(k) == "quantity" || b2s(k) == "attributes" {
		return
	}
	var val []byte
	switch v.Type() {
	case fastjson.TypeString:
		val, _ = v.StringBytes()
	case fastjson.TypeNumber, fastjson.TypeTrue, fastjson.TypeFalse:
		d.num = v.MarshalTo(d.num[:0])
		val = d.num
	case fastjson.TypeNull:
		return
	default:
		d.err = &RecordError{Reason: ReasonDecode, Field: "data." + clip(string(k)), ID: d.rec.ID, Detail: "want a string, number or boolean, got " + v.Type().String()}
		return
	}
	d.attrs = append(d.attrs, Attr{Key: d.keep(k), Value: d.keep(val)})
}

// required returns a required string field, kept in the arena.
func (d *Decoder) required(v *fastjson.Value, key, id string) (string, *RecordError) {
	s, e := d.str(v, key, id, true)
	if e == nil && s == "" {
		return "", &RecordError{Reason: ReasonMissingField, Field: key, ID: id, Detail: "required field missing or empty"}
	}
	return s, e
}

// str returns the string value v of the field key ("" when absent or null); keep copies it into
// the arena, else the result is valid only until the next Decode.
func (d *Decoder) str(v *fastjson.Value, key, id string, keep bool) (string, *RecordError) {
	if v == nil || v.Type() == fastjson.TypeNull {
		return "", nil
	}
	if v.Type() != fastjson.TypeString {
		return "", &RecordError{Reason: ReasonDecode, Field: key, ID: id, Detail: "want a string, got " + v.Type().String()}
	}
	sb, _ := v.StringBytes()
	if keep {
		return d.keep(sb), nil
	}
	return b2s(sb), nil
}

// keep copies b into the arena and returns it as a string. When the arena is full a new one
// is started; the old one stays alive as long as strings point into it, so no live string is
// ever overwritten or moved.
func (d *Decoder) keep(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(d.arena)+len(b) > cap(d.arena) {
		d.arena = make([]byte, 0, 2*cap(d.arena)+len(b)+256)
	}
	start := len(d.arena)
	d.arena = append(d.arena, b...)
	return b2s(d.arena[start:len(d.arena):len(d.arena)])
}

// parseQuantity parses a quantity's text exactly: the allocation-free Fixed path first, then
// the decimal fallback for exponents and more than nine fractional digits.
func parseQuantity(s string) (Number, bool) {
	if f, ok := rating.ParseFixed(s); ok {
		return FixedNumber(f), true
	}
	if s == "" || len(s) > maxQuantityText {
		return Number{}, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
			return Number{}, false
		}
	}
	dec, err := decimal.NewFromString(s)
	if err != nil || dec.Exponent() > maxQuantityExp || dec.Exponent() < -maxQuantityExp {
		return Number{}, false
	}
	return DecimalNumber(dec), true
}

// b2s views b as a string without copying; b must not change while the string is in use.
func b2s(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// clip shortens a value quoted in an error detail, so one hostile record cannot bloat the
// dead-letter topic.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// ParseQuantity parses a quantity's text exactly as the decoder does (plain decimals and
// exponent notation; no NaN, infinities or float rounding), for connectors and tests.
func ParseQuantity(s string) (Number, error) {
	q, ok := parseQuantity(s)
	if !ok {
		return Number{}, &RecordError{Reason: ReasonBadQuantity, Field: "data.quantity", Detail: `want a finite decimal number, got "` + clip(s) + `"`}
	}
	return q, nil
}
