package mediation_test

import (
	"encoding/binary"
	"errors"
	"hash/fnv"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
)

var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func decodeOne(t *testing.T, raw []byte) *mediation.Record {
	t.Helper()
	var d mediation.Decoder
	rec := &mediation.Record{}
	if err := d.Decode(raw, rec); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return rec
}

func TestValidate(t *testing.T) {
	v, err := mediation.NewValidator(mediation.ValidatorConfig{Catalog: loadCatalog(t), LateWindow: 72 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, meter, ts, data, reason string
	}{
		{"ok", "api_calls", "2026-11-24T11:00:00Z", `{"quantity":3}`, ""},
		{"unknown meter", "nope", "2026-11-24T11:00:00Z", `{"quantity":3}`, mediation.ReasonUnknownMeter},
		{"negative without credits", "api_calls", "2026-11-24T11:00:00Z", `{"quantity":-3}`, mediation.ReasonBadQuantity},
		{"negative with credits", "adjustments", "2026-11-24T11:00:00Z", `{"quantity":-3}`, ""},
		{"zero is fine", "api_calls", "2026-11-24T11:00:00Z", `{"quantity":0}`, ""},
		{"exactly at the late edge", "api_calls", "2026-11-21T12:00:00Z", `{"quantity":1}`, ""},
		{"too old", "api_calls", "2026-11-21T11:59:59.999Z", `{"quantity":1}`, mediation.ReasonTooOld},
		{"within skew", "api_calls", "2026-11-24T12:05:00Z", `{"quantity":1}`, ""},
		{"in future", "api_calls", "2026-11-24T12:05:00.001Z", `{"quantity":1}`, mediation.ReasonInFuture},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := decodeOne(t, event("v1", tt.meter, "c", tt.ts, tt.data))
			m, err := v.Validate(rec, testNow)
			if tt.reason == "" {
				if err != nil || m == nil || m.ID != tt.meter {
					t.Fatalf("Validate = %v, %v; want meter %s", m, err, tt.meter)
				}
				return
			}
			var re *mediation.RecordError
			if !errors.As(err, &re) || re.Reason != tt.reason || re.ID != "v1" || re.Field == "" {
				t.Fatalf("Validate error = %v, want reason %s naming the field and record", err, tt.reason)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	n := mediation.NewNormalizer(loadCatalog(t))
	tests := []struct {
		name, meter, data, quantity string
		attrs                       []mediation.Attr
	}{
		{"bytes to GB exact", "egress", `{"quantity":1500000000}`, "1.5", nil},
		{"one byte", "egress", `{"quantity":1}`, "0.000000001", nil},
		{"sub-byte rounds half away from zero", "egress", `{"quantity":"0.5"}`, "0.000000001", nil},
		{"below half rounds to zero", "egress", `{"quantity":"0.4"}`, "0", nil},
		{"decimal path", "egress", `{"quantity":"1e25"}`, "10000000000000000", nil},
		{"rename and drop", "egress", `{"quantity":0,"attributes":{"vm":"i-1","debug":"x","region":"eu"}}`, "0",
			[]mediation.Attr{{"instance_id", "i-1"}, {"region", "eu"}}},
		{"meter without normalization", "api_calls", `{"quantity":"7.25","attributes":{"vm":"i"}}`, "7.25", []mediation.Attr{{"vm", "i"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := decodeOne(t, event("n1", tt.meter, "c", "2026-11-24T11:00:00Z", tt.data))
			n.Normalize(rec)
			if rec.Quantity.String() != tt.quantity {
				t.Errorf("quantity = %s, want %s", rec.Quantity, tt.quantity)
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

// TestIDsAreFNV128a pins the id function to hash/fnv's FNV-1a 128 over length-prefixed fields,
// so ids stay stable across releases (the ledger collapses replays by them).
func TestIDsAreFNV128a(t *testing.T) {
	ref := func(fields ...string) mediation.ID {
		h := fnv.New128a()
		for _, f := range fields {
			var n [4]byte
			binary.BigEndian.PutUint32(n[:], uint32(len(f)))
			h.Write(n[:])
			h.Write([]byte(f))
		}
		var id mediation.ID
		copy(id[:], h.Sum(nil))
		return id
	}
	for _, c := range [][2]string{{"acme", "e-1"}, {"", ""}, {"ab", "c"}, {"a", "bc"}, {"vendör", "ünïcode-id-0123456789"}} {
		if got, want := mediation.UsageID(c[0], c[1]), ref(c[0], c[1]); got != want {
			t.Errorf("UsageID(%q, %q) = %s, want %s", c[0], c[1], got, want)
		}
		if got, want := mediation.DeltaID(c[0], c[1], "calls"), ref(c[0], c[1], "calls"); got != want {
			t.Errorf("DeltaID(%q, %q) = %s, want %s", c[0], c[1], got, want)
		}
	}
	if mediation.UsageID("ab", "c") == mediation.UsageID("a", "bc") {
		t.Error("field boundaries are not part of the id")
	}
}
