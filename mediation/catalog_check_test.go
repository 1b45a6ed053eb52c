package mediation_test

import (
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

// loadCatalog loads the package's test catalog.
func loadCatalog(tb testing.TB) *rating.Catalog {
	tb.Helper()
	c, err := rating.LoadFile("testdata/catalog.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestCatalogMeterNormalization(t *testing.T) {
	c := loadCatalog(t)
	m, ok := c.Meter("egress")
	if !ok {
		t.Fatal("egress meter missing")
	}
	if m.Divide.String() != "1000000000" || m.Multiply.String() != "1" || m.Rename["vm"] != "instance_id" || len(m.DropAttributes) != 1 {
		t.Fatalf("egress normalization decoded as %+v", m)
	}
	if a, _ := c.Meter("adjustments"); !a.AllowCredits {
		t.Fatal("adjustments.allow_credits not decoded")
	}
}
