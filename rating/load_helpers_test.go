package rating_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

// catHeader is the part of a test catalog the cases do not vary: one vendor, product and a
// few meters.
const catHeader = `vendors:
  - id: acme
    name: Acme
products:
  - id: api
    vendor: acme
    name: API
meters:
  - id: calls
    aggregation: sum
  - id: gb
    aggregation: max
`

// catDoc builds a catalog: the header, one plan "basic" (EUR) with the given charges (indented
// as list items under charges:), then tail (more top-level sections).
func catDoc(charges, tail string) string {
	return catHeader + `plans:
  - id: basic
    product: api
    currency: EUR
    charges:
` + charges + tail
}

// catUsage is a valid usage charge on meter calls.
const catUsage = `      - id: calls
        type: usage
        meter: calls
        model: per_unit
        unit_price: 0.01
`

// catMustLoad loads a catalog the test expects to be valid.
func catMustLoad(tb testing.TB, doc string) *rating.Catalog {
	tb.Helper()
	c, err := rating.Load("test.yaml", []byte(doc))
	if err != nil {
		tb.Fatalf("Load: %v\n%s", err, catNumbered(doc))
	}
	return c
}

// catLoadErrs loads a catalog the test expects to be invalid and returns its errors, checking
// on the way that every error is a *LoadError.
func catLoadErrs(tb testing.TB, doc string) []*rating.LoadError {
	tb.Helper()
	c, err := rating.Load("test.yaml", []byte(doc))
	if err == nil {
		tb.Fatalf("Load succeeded, want an error\n%s", catNumbered(doc))
	}
	if c != nil {
		tb.Errorf("Load returned a catalog with an error")
	}
	errs := rating.LoadErrors(err)
	if len(errs) == 0 {
		tb.Fatalf("error %v holds no *LoadError", err)
	}
	var le *rating.LoadError
	if !errors.As(err, &le) {
		tb.Errorf("errors.As(*LoadError) failed on %v", err)
	}
	return errs
}

// catMarked returns the 1-based line holding the "#<" marker, and the 1-based column of token
// on that line (0 when token is empty).
func catMarked(tb testing.TB, doc, token string) (line, col int) {
	tb.Helper()
	for i, l := range strings.Split(doc, "\n") {
		if strings.Contains(l, "#<") {
			if token == "" {
				return i + 1, 0
			}
			j := strings.Index(l, token)
			if j < 0 {
				tb.Fatalf("token %q not on marked line %q", token, l)
			}
			return i + 1, j + 1
		}
	}
	tb.Fatalf("no #< marker in\n%s", doc)
	return 0, 0
}

func catNumbered(doc string) string {
	var b strings.Builder
	for i, l := range strings.Split(doc, "\n") {
		fmt.Fprintf(&b, "%3d| %s\n", i+1, l)
	}
	return b.String()
}
