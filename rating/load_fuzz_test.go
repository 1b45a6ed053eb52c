package rating_test

import (
	"errors"
	"os"
	"testing"

	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// FuzzLoadCatalog: Load never panics; it returns either a catalog whose every plan quotes, or
// only *LoadError values (joined), each naming the file and — when it names a field — a line.
// The committed corpus is testdata/fuzz/FuzzLoadCatalog; the example catalog is added as a seed.
func FuzzLoadCatalog(f *testing.F) {
	for _, path := range []string{"../examples/catalog.yaml", "testdata/invalid.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(catDoc(catUsage, "")))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := rating.Load("fuzz.yaml", data)
		if err != nil {
			if c != nil {
				t.Fatalf("catalog returned with error %v", err)
			}
			catCheckOnlyLoadErrors(t, err)
			_, again := rating.Load("fuzz.yaml", data)
			if again == nil || again.Error() != err.Error() {
				t.Fatalf("Load is not deterministic: %v then %v", err, again)
			}
			return
		}
		if c == nil {
			t.Fatal("nil catalog without error")
		}
		for _, p := range c.Plans {
			for _, ch := range p.Charges {
				if ch.Model == nil {
					t.Fatalf("plan %s charge %s has no model", p.ID, ch.ID)
				}
			}
			q, err := c.Quote(rating.QuoteInput{PlanID: p.ID, At: p.EffectiveFrom, Seats: decimal.NewFromInt(2)})
			if err != nil {
				t.Fatalf("Quote(%s v%d): %v", p.ID, p.Version, err)
			}
			if q.Total.IsNegative() {
				t.Fatalf("Quote(%s) total %s", p.ID, q.Total)
			}
		}
	})
}

// catCheckOnlyLoadErrors walks an error tree and fails unless every leaf is a *LoadError with
// the file set and a line wherever a field path is named.
func catCheckOnlyLoadErrors(t *testing.T, err error) {
	t.Helper()
	var le *rating.LoadError
	if errors.As(err, &le) && le == err {
		if le.File != "fuzz.yaml" {
			t.Fatalf("error %v: file %q", le, le.File)
		}
		if le.Path != "" && le.Line <= 0 {
			t.Fatalf("error %v names a field but no line", le)
		}
		if le.Message == "" {
			t.Fatalf("error %#v has no message", le)
		}
		return
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %T %v is neither a *LoadError nor a join of them", err, err)
	}
	for _, e := range j.Unwrap() {
		catCheckOnlyLoadErrors(t, e)
	}
}
