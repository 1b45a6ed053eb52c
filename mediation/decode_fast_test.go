package mediation_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/cascade-billing/cascade/mediation"
)

// FuzzDecodeFastPath: Decode (the one-pass path for the common shape, falling back to fastjson)
// must give exactly what the fastjson path alone gives — the same record or the same error —
// for any input.
func FuzzDecodeFastPath(f *testing.F) {
	ts := "2026-11-24T10:00:00Z"
	for _, s := range []string{
		string(event("a", "api_calls", "c", ts, `{"quantity":1}`)),
		string(event("b", "egress", "c", "2026-11-24T10:00:00.123456789+01:00", `{"quantity":"1.5","attributes":{"vm":"x","vm":"y"},"m":-0.50,"ok":true,"n":null}`)),
		string(event("c", "api_calls", "c", ts, `{"z":false,"quantity":0,"attributes":null}`)),
		string(event("d", "api_calls", "c", ts, `{"quantity":1e3}`)),
		string(event("e", "api_calls", "c", ts, `{"quantity":01}`)),
		string(event("f", "api_calls", "c", ts, `{"quantity":"x","attributes":{}}`)),
		string(event("g", "api_calls", "c", ts, `{"quantity":1,"k":{"a":1}}`)),
		`{"specversion":"1.0","id":"h","source":"s","type":"t","subject":"c","time":"` + ts + `","datacontenttype":"text/plain","data":{"quantity":1}}`,
		` {"id":"i","specversion":"1.0","source":"s","type":"t","subject":"c","time":"` + ts + `","ext":"v","n":12.5,"data":{"quantity":1}} `,
		`{"specversion":"1.0","id":"j","id":"k","source":"s","type":"t","subject":"c","time":"` + ts + `","data":{"quantity":1}}`,
		`{"specversion":"1.0","id":"\u006c","source":"s","type":"t","subject":"c","time":"` + ts + `","data":{"quantity":1}}x`,
		`{"specversion":"1.0","id":"m","source":"s","type":"t","subject":"","time":"` + ts + `","data":{"quantity":-1.}}`,
		`{}`, `[]`, `{"id":`, `null`,
	} {
		f.Add([]byte(s))
	}
	var fast, general mediation.Decoder
	f.Fuzz(func(t *testing.T, raw []byte) {
		fast.Reset(len(raw))
		general.Reset(len(raw))
		var got, want mediation.Record
		gotErr := fast.Decode(raw, &got)
		wantErr := mediation.DecodeGeneral(&general, raw, &want)
		if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
			t.Fatalf("Decode error %v, fastjson path %v", gotErr, wantErr)
		}
		if gotErr != nil {
			var re *mediation.RecordError
			if !errors.As(gotErr, &re) {
				t.Fatalf("error %v is not a *RecordError", gotErr)
			}
			return
		}
		if got.ID != want.ID || got.Source != want.Source || got.Type != want.Type || got.Subject != want.Subject ||
			got.Time != want.Time || got.Quantity.String() != want.Quantity.String() || !got.Quantity.Equal(want.Quantity) ||
			!slices.Equal(got.Attrs, want.Attrs) {
			t.Fatalf("Decode %+v\nfastjson path %+v", got, want)
		}
	})
}
