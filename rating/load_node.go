package rating

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// fields is a decoded YAML mapping: its value nodes by key, with the mapping's own node and path
// so that "missing field" errors can point at the mapping.
type fields struct {
	node *yaml.Node
	path string
	vals map[string]*yaml.Node
}

func (f fields) has(key string) bool { _, ok := f.vals[key]; return ok }

func ldJoin(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// visit resolves aliases and charges the node budget; nil means stop decoding this subtree.
func (l *loader) visit(n *yaml.Node, path string) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		l.errAt(nil, path, "unresolvable alias")
		return nil
	}
	l.budget--
	if l.budget < 0 {
		if !l.spent {
			l.spent = true
			l.errAt(n, path, "document too large: aliases expand past %d nodes", loaderNodeBudget)
		}
		return nil
	}
	l.remember(path, n)
	return n
}

// mapping decodes a mapping whose keys must all be in allowed; unknown and repeated keys are
// errors, so a typo never passes silently. ok is false when n is not a mapping.
func (l *loader) mapping(n *yaml.Node, path string, allowed ...string) (fields, bool) {
	n = l.visit(n, path)
	if n == nil {
		return fields{}, false
	}
	if n.Kind != yaml.MappingNode {
		l.errAt(n, path, "want a mapping, got %s", ldKind(n))
		return fields{}, false
	}
	f := fields{node: n, path: path, vals: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			l.errAt(k, path, "want a field name, got %s", ldKind(k))
			continue
		}
		key := k.Value
		kp := ldJoin(path, key)
		if !ldContains(allowed, key) {
			msg := "unknown field"
			if s := ldSuggest(key, allowed); s != "" {
				msg += "; did you mean " + strconv.Quote(s) + "?"
			}
			l.errAt(k, kp, "%s", msg)
			continue
		}
		if _, dup := f.vals[key]; dup {
			l.errAt(k, kp, "field given twice")
			continue
		}
		f.vals[key] = v
	}
	return f, true
}

// seq decodes a sequence; a missing (nil) node is an empty sequence.
func (l *loader) seq(n *yaml.Node, path string) []*yaml.Node {
	if n == nil {
		return nil
	}
	n = l.visit(n, path)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.errAt(n, path, "want a list, got %s", ldKind(n))
		return nil
	}
	return n.Content
}

// scalar returns a field's scalar node; missing and required, null or non-scalar are errors.
func (l *loader) scalar(f fields, key string, required bool) (*yaml.Node, string, bool) {
	path := ldJoin(f.path, key)
	n, ok := f.vals[key]
	if !ok {
		if required {
			l.errAt(f.node, path, "required field missing")
		}
		return nil, path, false
	}
	if n = l.visit(n, path); n == nil {
		return nil, path, false
	}
	if n.Kind != yaml.ScalarNode {
		l.errAt(n, path, "want a single value, got %s", ldKind(n))
		return nil, path, false
	}
	if n.Tag == "!!null" || n.Value == "" {
		l.errAt(n, path, "empty value")
		return nil, path, false
	}
	return n, path, true
}

func (l *loader) str(f fields, key string, required bool) string {
	n, path, ok := l.scalar(f, key, required)
	if !ok {
		return ""
	}
	if n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float" {
		l.errAt(n, path, "want a string, got %s (quote it)", strings.TrimPrefix(n.Tag, "!!"))
		return ""
	}
	return n.Value
}

func (l *loader) boolean(f fields, key string) bool {
	n, path, ok := l.scalar(f, key, false)
	if !ok {
		return false
	}
	if n.Tag != "!!bool" {
		l.errAt(n, path, "want true or false, got %q", n.Value)
		return false
	}
	b, err := strconv.ParseBool(strings.ToLower(n.Value))
	if err != nil {
		l.errAt(n, path, "want true or false, got %q", n.Value)
	}
	return b
}

func (l *loader) integer(f fields, key string, required bool, min int) int {
	n, path, ok := l.scalar(f, key, required)
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || !ldIntRE.MatchString(n.Value) {
		l.errAt(n, path, "want a whole number, got %q", n.Value)
		return 0
	}
	if v < min {
		l.errAt(n, path, "must be at least %d", min)
		return 0
	}
	return v
}

var ldIntRE = regexp.MustCompile(`^[+-]?[0-9]{1,9}$`)

// ldDecimalRE is the accepted decimal literal: digits with an optional fraction and a small
// exponent. NaN, infinities, hex, underscores and empty text do not match.
var ldDecimalRE = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,2})?$`)

// ldMaxDigits bounds a literal's length: prices and quantities never need more, and it keeps a
// hostile file from creating enormous numbers.
const ldMaxDigits = 40

// dec parses a non-negative decimal from the literal text of the node (never through float64,
// so 0.1 stays exactly 0.1). Quoted strings are accepted like numbers.
func (l *loader) dec(f fields, key string, required bool) (decimal.Decimal, bool) {
	n, path, ok := l.scalar(f, key, required)
	if !ok {
		return decimal.Zero, false
	}
	return l.decNode(n, path)
}

func (l *loader) decNode(n *yaml.Node, path string) (decimal.Decimal, bool) {
	if n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!str" {
		l.errAt(n, path, "want a decimal number, got %q", n.Value)
		return decimal.Zero, false
	}
	s := strings.TrimSpace(n.Value)
	if len(s) > ldMaxDigits || !ldDecimalRE.MatchString(s) {
		l.errAt(n, path, "want a decimal number, got %q", n.Value)
		return decimal.Zero, false
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		l.errAt(n, path, "want a decimal number, got %q", n.Value)
		return decimal.Zero, false
	}
	if d.IsNegative() {
		l.errAt(n, path, "must not be negative")
		return decimal.Zero, false
	}
	return d, true
}

// instant parses an RFC 3339 timestamp or a date (midnight UTC).
func (l *loader) instant(f fields, key string) (time.Time, bool) {
	n, path, ok := l.scalar(f, key, false)
	if !ok {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, n.Value); err == nil {
			return t.UTC(), true
		}
	}
	l.errAt(n, path, "want a date (2026-01-31) or RFC 3339 time (2026-01-31T00:00:00Z), got %q", n.Value)
	return time.Time{}, false
}

// enum checks a string field against its allowed values.
func (l *loader) enum(f fields, key string, required bool, allowed ...string) string {
	s := l.str(f, key, required)
	if s == "" || ldContains(allowed, s) {
		return s
	}
	path := ldJoin(f.path, key)
	l.errPath(path, "unknown value %q; want one of %s", s, strings.Join(allowed, ", "))
	return ""
}

func ldKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "nothing"
}

func ldContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ldSuggest returns the allowed name closest to a misspelt one (edit distance ≤ 2), or "".
func ldSuggest(key string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if d := ldDistance(key, a); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

func ldDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
