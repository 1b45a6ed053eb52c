package mediation_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
)

// event builds a record's JSON with the given data (raw JSON) and time.
func event(id, meter, subject, ts, data string) []byte {
	return []byte(fmt.Sprintf(`{"specversion":"1.0","id":%q,"source":"acme-gw","type":%q,"subject":%q,"time":%q,"data":%s}`,
		id, meter, subject, ts, data))
}

func TestDecodeValid(t *testing.T) {
	tests := []struct {
		name     string
		raw      string
		quantity string
		time     time.Time
		attrs    []mediation.Attr
	}{
		{"number", `{"specversion":"1.0","id":"e1","source":"s","type":"api_calls","subject":"c1","time":"2026-11-24T10:00:00Z","data":{"quantity":12}}`,
			"12", time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), nil},
		{"string quantity with 9 digits", `{"specversion":"1.0","id":"e2","source":"s","type":"m","subject":"c","time":"2026-11-24T10:00:00.5Z","data":{"quantity":"0.000000001"}}`,
			"0.000000001", time.Date(2026, 11, 24, 10, 0, 0, 500_000_000, time.UTC), nil},
		{"exponent falls back to decimal", `{"specversion":"1.0","id":"e3","source":"s","type":"m","subject":"c","time":"2026-11-24T12:00:00+02:00","data":{"quantity":1.5e3}}`,
			"1500", time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), nil},
		{"more than 9 fractional digits stays exact", `{"specversion":"1.0","id":"e4","source":"s","type":"m","subject":"c","time":"2026-11-24t10:00:00z","data":{"quantity":"0.0000000000123"}}`,
			"0.0000000000123", time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), nil},
		{"attributes and extra data keys", `{"specversion":"1.0","id":"e5","source":"s","type":"m","subject":"c","time":"2026-11-24T10:00:00-05:30","datacontenttype":"application/json","traceparent":"x",` +
			`"data":{"quantity":1,"attributes":{"region":"eu","vm":"v\u00e9"},"model":"gpt","tokens":42,"cached":true,"skip":null}}`,
			"1", time.Date(2026, 11, 24, 15, 30, 0, 0, time.UTC),
			[]mediation.Attr{{"region", "eu"}, {"vm", "vé"}, {"model", "gpt"}, {"tokens", "42"}, {"cached", "true"}}},
		{"negative quantity decodes (validate decides)", `{"specversion":"1.0","id":"e6","source":"s","type":"m","subject":"c","time":"2026-11-24T10:00:00Z","data":{"quantity":-2.25}}`,
			"-2.25", time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), nil},
	}
	var d mediation.Decoder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d.Reset(0)
			var rec mediation.Record
			if err := d.Decode([]byte(tt.raw), &rec); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := rec.Quantity.String(); got != tt.quantity {
				t.Errorf("quantity = %s, want %s", got, tt.quantity)
			}
			if !rec.Time.Equal(tt.time) {
				t.Errorf("time = %s, want %s", rec.Time, tt.time)
			}
			if rec.Source != "s" || rec.Subject == "" || rec.ID == "" {
				t.Errorf("envelope = %+v", rec)
			}
			if len(rec.Attrs) != len(tt.attrs) {
				t.Fatalf("attrs = %v, want %v", rec.Attrs, tt.attrs)
			}
			for i := range tt.attrs {
				if rec.Attrs[i] != tt.attrs[i] {
					t.Errorf("attrs[%d] = %v, want %v", i, rec.Attrs[i], tt.attrs[i])
				}
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	const ts = "2026-11-24T10:00:00Z"
	tests := []struct {
		name, raw, reason, field, id string
	}{
		{"not json", `{"id":`, mediation.ReasonDecode, "$", ""},
		{"array", `[1,2]`, mediation.ReasonDecode, "$", ""},
		{"missing id", `{"specversion":"1.0","source":"s"}`, mediation.ReasonMissingField, "id", ""},
		{"id not string", `{"id":7}`, mediation.ReasonDecode, "id", ""},
		{"missing specversion", `{"id":"x1","source":"s"}`, mediation.ReasonMissingField, "specversion", "x1"},
		{"specversion 0.3", `{"specversion":"0.3","id":"x2"}`, mediation.ReasonBadSpecVersion, "specversion", "x2"},
		{"missing source", `{"specversion":"1.0","id":"x3","type":"m"}`, mediation.ReasonMissingField, "source", "x3"},
		{"empty type", `{"specversion":"1.0","id":"x4","source":"s","type":""}`, mediation.ReasonMissingField, "type", "x4"},
		{"missing subject", `{"specversion":"1.0","id":"x5","source":"s","type":"m"}`, mediation.ReasonMissingField, "subject", "x5"},
		{"missing time", `{"specversion":"1.0","id":"x6","source":"s","type":"m","subject":"c"}`, mediation.ReasonMissingField, "time", "x6"},
		{"bad time", string(event("x7", "m", "c", "2026-11-31T10:00:00Z", `{"quantity":1}`)), mediation.ReasonBadTime, "time", "x7"},
		{"time without zone", string(event("x8", "m", "c", "2026-11-24T10:00:00", `{"quantity":1}`)), mediation.ReasonBadTime, "time", "x8"},
		{"xml content", `{"specversion":"1.0","id":"x9","source":"s","type":"m","subject":"c","time":"` + ts + `","datacontenttype":"text/xml","data":{}}`, mediation.ReasonDecode, "datacontenttype", "x9"},
		{"missing data", `{"specversion":"1.0","id":"x10","source":"s","type":"m","subject":"c","time":"` + ts + `"}`, mediation.ReasonMissingField, "data", "x10"},
		{"data string", string(event("x11", "m", "c", ts, `"12"`)), mediation.ReasonDecode, "data", "x11"},
		{"missing quantity", string(event("x12", "m", "c", ts, `{"attributes":{}}`)), mediation.ReasonMissingField, "data.quantity", "x12"},
		{"quantity bool", string(event("x13", "m", "c", ts, `{"quantity":true}`)), mediation.ReasonDecode, "data.quantity", "x13"},
		{"quantity words", string(event("x14", "m", "c", ts, `{"quantity":"twelve"}`)), mediation.ReasonBadQuantity, "data.quantity", "x14"},
		{"quantity NaN", string(event("x15", "m", "c", ts, `{"quantity":NaN}`)), mediation.ReasonBadQuantity, "data.quantity", "x15"},
		{"quantity Infinity", string(event("x16", "m", "c", ts, `{"quantity":"Infinity"}`)), mediation.ReasonBadQuantity, "data.quantity", "x16"},
		{"quantity huge exponent", string(event("x17", "m", "c", ts, `{"quantity":1e999999999}`)), mediation.ReasonBadQuantity, "data.quantity", "x17"},
		{"attribute not string", string(event("x18", "m", "c", ts, `{"quantity":1,"attributes":{"n":1}}`)), mediation.ReasonDecode, "data.attributes.n", "x18"},
		{"attributes not object", string(event("x19", "m", "c", ts, `{"quantity":1,"attributes":[]}`)), mediation.ReasonDecode, "data.attributes", "x19"},
		{"nested data key", string(event("x20", "m", "c", ts, `{"quantity":1,"extra":{"a":1}}`)), mediation.ReasonDecode, "data.extra", "x20"},
	}
	var d mediation.Decoder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec mediation.Record
			err := d.Decode([]byte(tt.raw), &rec)
			var re *mediation.RecordError
			if !errors.As(err, &re) {
				t.Fatalf("Decode error = %v, want a *RecordError", err)
			}
			if re.Reason != tt.reason || re.Field != tt.field || re.ID != tt.id {
				t.Errorf("got reason %q field %q id %q, want %q %q %q (%v)", re.Reason, re.Field, re.ID, tt.reason, tt.field, tt.id, err)
			}
		})
	}
}

// TestDecodeStringsSurviveBatch checks that the strings of every record of a batch stay intact
// until the next Reset, even when the arena has to grow mid-batch.
func TestDecodeStringsSurviveBatch(t *testing.T) {
	var d mediation.Decoder
	d.Reset(16) // deliberately too small: forces new arenas mid-batch
	recs := make([]mediation.Record, 200)
	for i := range recs {
		raw := event(fmt.Sprintf("id-%03d", i), "api_calls", fmt.Sprintf("cust-%d", i), "2026-11-24T10:00:00Z",
			fmt.Sprintf(`{"quantity":%d,"attributes":{"k":"v%d"}}`, i, i))
		if err := d.Decode(raw, &recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range recs {
		if r.ID != fmt.Sprintf("id-%03d", i) || r.Subject != fmt.Sprintf("cust-%d", i) || r.Attrs[0].Value != fmt.Sprintf("v%d", i) {
			t.Fatalf("record %d corrupted: %+v", i, r)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(event("a", "api_calls", "c", "2026-11-24T10:00:00Z", `{"quantity":1}`))
	f.Add(event("b", "egress", "c", "2026-11-24T10:00:00.123456789+01:00", `{"quantity":"1.5e3","attributes":{"vm":"x"}}`))
	f.Add([]byte(`{"specversion":"1.0","id":"\u0000","data":{"quantity":-0}}`))
	f.Add([]byte(`[]`))
	var d mediation.Decoder
	f.Fuzz(func(t *testing.T, raw []byte) {
		d.Reset(len(raw))
		var rec mediation.Record
		err := d.Decode(raw, &rec)
		if err != nil {
			var re *mediation.RecordError
			if !errors.As(err, &re) || re.Reason == "" || re.Field == "" {
				t.Fatalf("error %v is not a complete *RecordError", err)
			}
			return
		}
		if rec.ID == "" || rec.Source == "" || rec.Type == "" || rec.Subject == "" || rec.Time.IsZero() {
			t.Fatalf("accepted a record with an empty required field: %+v", rec)
		}
		// The quantity must round-trip exactly through its decimal form.
		if q, err := mediation.ParseQuantity(rec.Quantity.String()); err != nil || !q.Equal(rec.Quantity) {
			t.Fatalf("quantity %s does not round-trip: %v", rec.Quantity, err)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, attrs := range []int{0, 4} {
		b.Run(fmt.Sprintf("attrs=%d", attrs), func(b *testing.B) {
			data := `{"quantity":"12.5"}`
			if attrs > 0 {
				data = `{"quantity":12.5,"attributes":{"region":"eu-west-1","vm":"i-0abc","tier":"gold","zone":"b"}}`
			}
			raw := event("01HZX3K9Q2M5T7V8W0Y1Z2A3B4", "api_calls", "customer-000123", "2026-11-24T10:00:00.123Z", data)
			var d mediation.Decoder
			var rec mediation.Record
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%512 == 0 {
					d.Reset(512 * len(raw))
				}
				if err := d.Decode(raw, &rec); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
