package mediation_test

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/cascade-billing/cascade/mediation"
)

// TestDocExamples decodes every JSON example of docs/usage-records.md: the ones the text calls
// accepted must decode, and each "Rejected `code`" example must fail with exactly that code.
// It also checks the reason table lists every reason code.
func TestDocExamples(t *testing.T) {
	data, err := os.ReadFile("../docs/usage-records.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	blocks := regexp.MustCompile("(?s)([^\n]*)\n\n```json\n(.*?)```").FindAllStringSubmatch(doc, -1)
	if len(blocks) < 5 {
		t.Fatalf("found %d JSON examples, want at least 5", len(blocks))
	}
	code := regexp.MustCompile("^Rejected `([a-z_]+)`")
	var d mediation.Decoder
	for i, b := range blocks {
		intro, raw := b[1], strings.ReplaceAll(b[2], "\n", " ")
		var rec mediation.Record
		err := d.Decode([]byte(raw), &rec)
		m := code.FindStringSubmatch(intro)
		if m == nil {
			if err != nil {
				t.Errorf("example %d (%q) should decode: %v", i, intro, err)
			}
			continue
		}
		var re *mediation.RecordError
		if !errors.As(err, &re) || re.Reason != m[1] {
			t.Errorf("example %d: got %v, want reason %s", i, err, m[1])
		}
	}
	for _, r := range mediation.Reasons() {
		if !strings.Contains(doc, "| `"+r+"` |") {
			t.Errorf("docs/usage-records.md does not list reason code %q", r)
		}
	}
}
