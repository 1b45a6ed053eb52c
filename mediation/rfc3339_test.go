package mediation_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
)

// TestParseRFC3339MatchesTime compares the hand-written parser with time.Parse on random
// instants, zones and fractions, and on malformed inputs both must refuse.
func TestParseRFC3339MatchesTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3339))
	for i := 0; i < 20000; i++ {
		at := time.Unix(r.Int64N(4102444800), r.Int64N(1e9)).UTC()
		zone := time.FixedZone("", (r.IntN(28*60)-14*60)*60)
		layout := []string{time.RFC3339, time.RFC3339Nano, "2006-01-02T15:04:05.000Z07:00"}[r.IntN(3)]
		s := at.In(zone).Format(layout)
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := mediation.ParseRFC3339(s)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Fatalf("%s: got %v %v, want %v", s, got, ok, want)
		}
	}
	// Every year the format allows, so leap rules and era arithmetic are covered.
	for i := 0; i < 20000; i++ {
		at := time.Date(r.IntN(10000), time.Month(1+r.IntN(12)), 1+r.IntN(31), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9), time.UTC)
		s := at.Format(time.RFC3339Nano)
		if at.Year() != 0 && r.IntN(2) == 0 {
			s = at.In(time.FixedZone("", -90*60)).Format(time.RFC3339Nano)
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := mediation.ParseRFC3339(s)
		if !ok || got != want.UTC() {
			t.Fatalf("%s: got %v %v, want %v", s, got, ok, want.UTC())
		}
	}
	for _, s := range []string{"2000-02-29T00:00:00Z", "2400-02-29T00:00:00Z", "0000-02-29T00:00:00Z", "2024-02-29T00:00:00Z"} {
		if _, ok := mediation.ParseRFC3339(s); !ok {
			t.Errorf("%q (a leap day) refused", s)
		}
	}
	for _, s := range []string{"1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "", "2026-11-24", "2026-11-24T10:00:00", "2026-11-24 10:00:00Z", "2026-13-01T00:00:00Z",
		"2026-02-29T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T10:60:00Z", "2026-11-24T10:00:60Z",
		"2026-11-24T10:00:00.Z", "2026-11-24T10:00:00.1234567891Z", "2026-11-24T10:00:00+2:00", "2026-11-24T10:00:00+24:00",
		"2026-11-24T10:00:00ZZ", "2O26-11-24T10:00:00Z", "+026-11-24T10:00:00Z"} {
		if got, ok := mediation.ParseRFC3339(s); ok {
			t.Errorf("%q parsed as %v, want refused", s, got)
		}
	}
	if got, ok := mediation.ParseRFC3339("2024-02-29T23:59:59.999999999-00:30"); !ok || got.Format(time.RFC3339Nano) != "2024-03-01T00:29:59.999999999Z" {
		t.Errorf("leap day with negative offset: %v %v", got, ok)
	}
}
