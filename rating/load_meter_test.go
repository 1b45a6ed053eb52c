package rating_test

import (
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/rating"
)

// meterDoc is a minimal catalog whose only meter has the given extra fields (indented as
// fields of the meter mapping).
func meterDoc(fields string) string {
	return "meters:\n  - id: egress\n    aggregation: sum\n" + fields
}

func TestLoadMeterNormalization(t *testing.T) {
	c, err := rating.Load("m.yaml", []byte(meterDoc(`    allow_credits: true
    multiply: 8
    divide: 1000000000
    rename: { vm: instance_id, r: region }
    keep_attributes: [instance_id, region]
`)))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := c.Meter("egress")
	if !m.AllowCredits || m.Multiply.String() != "8" || m.Divide.String() != "1000000000" ||
		m.Rename["vm"] != "instance_id" || m.Rename["r"] != "region" || len(m.KeepAttributes) != 2 || m.DropAttributes != nil {
		t.Fatalf("meter decoded as %+v", m)
	}
	plain, err := rating.Load("p.yaml", []byte(meterDoc("")))
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := plain.Meter("egress"); p.AllowCredits || p.Multiply.String() != "1" || p.Divide.String() != "1" || p.Rename != nil {
		t.Fatalf("defaults decoded as %+v", p)
	}
}

func TestLoadMeterNormalizationRejects(t *testing.T) {
	tests := []struct {
		name, fields, want string
	}{
		{"zero divide", "    divide: 0\n", "meters[0].divide: must be greater than zero"},
		{"negative multiply", "    multiply: -2\n", "meters[0].multiply: must not be negative"},
		{"keep and drop", "    keep_attributes: [a]\n    drop_attributes: [b]\n", "meters[0].drop_attributes: give keep_attributes or drop_attributes, not both"},
		{"rename not a mapping", "    rename: [a]\n", "meters[0].rename: want a mapping"},
		{"rename to empty", "    rename: { a: \"\" }\n", "meters[0].rename.a: want a non-empty attribute name"},
		{"rename twice", "    rename: { a: x, a: y }\n", "meters[0].rename.a"},
		{"keep not names", "    keep_attributes: [[a]]\n", "meters[0].keep_attributes[0]: want a non-empty attribute name"},
		{"credits not bool", "    allow_credits: maybe\n", "meters[0].allow_credits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rating.Load("m.yaml", []byte(meterDoc(tt.fields)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
