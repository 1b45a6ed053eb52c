package rating

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"
)

// LoadError is one problem found in a catalog file, located precisely enough for an editor to
// jump to it: "catalog.yaml:42:9: plans[2].charges[0].tiers[1].up_to: must be greater than the
// previous tier's". Load reports every problem it finds, joined with errors.Join and sorted by
// position, so one run shows the author everything to fix.
type LoadError struct {
	File    string
	Line    int // 1-based; 0 only when the YAML parser gave no position
	Column  int // 1-based; 0 when unknown
	Path    string
	Message string
}

// Error formats the position the way compilers do, so editors and CI logs link to it.
func (e *LoadError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
		if e.Column > 0 {
			loc += ":" + strconv.Itoa(e.Column)
		}
	}
	if e.Path == "" {
		return loc + ": " + e.Message
	}
	return loc + ": " + e.Path + ": " + e.Message
}

// LoadErrors flattens an error returned by Load into its *LoadError parts (nil when err holds none).
func LoadErrors(err error) []*LoadError {
	var out []*LoadError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if le, ok := e.(*LoadError); ok {
			out = append(out, le)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		walk(errors.Unwrap(e))
	}
	walk(err)
	return out
}

// LoadFile reads and loads a catalog file; errors name the path as given.
func LoadFile(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	return Load(path, data)
}

// Load parses and validates a catalog. name is used only in error positions. Either the whole
// catalog is valid and returned, or every error found is returned and no catalog.
func Load(name string, data []byte) (*Catalog, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, ldSyntaxError(name, err)
	}
	l := &loader{file: name, budget: loaderNodeBudget}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, &LoadError{File: name, Line: 1, Column: 1, Message: "empty catalog"}
		}
		root = root.Content[0]
	}
	if root.Kind == 0 {
		return nil, &LoadError{File: name, Line: 1, Column: 1, Message: "empty catalog"}
	}
	raw := l.decodeCatalog(root)
	var cat *Catalog
	if raw != nil {
		cat = l.build(raw)
	}
	if len(l.errs) > 0 {
		return nil, l.joined()
	}
	return cat, nil
}

// ldMaxErrors caps how many errors one load reports.
const ldMaxErrors = 1000

// loaderNodeBudget bounds how many nodes one load may visit, so that YAML aliases (which may
// share one subtree many times) cannot make a small file cost unbounded work.
const loaderNodeBudget = 1_000_000

var (
	ldYAMLLineRE   = regexp.MustCompile(`line (\d+)`)
	ldYAMLPrefixRE = regexp.MustCompile(`^yaml: (line \d+: )?`)
)

// ldSyntaxError turns the parser's error into LoadErrors. yaml.v3 reports positions only in its
// message text ("yaml: line 3: ..."), so the line is read from there.
func ldSyntaxError(name string, err error) error {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var errs []error
	for _, m := range msgs {
		le := &LoadError{File: name, Message: ldYAMLPrefixRE.ReplaceAllString(m, "")}
		if sm := ldYAMLLineRE.FindStringSubmatch(m); sm != nil {
			le.Line, _ = strconv.Atoi(sm[1])
		}
		errs = append(errs, le)
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// loader decodes the YAML tree and collects every error with its position. Positions of all
// visited value nodes are kept by field path so that later checks (references, compiled price
// errors) can point at the exact node.
type loader struct {
	file   string
	errs   []*LoadError
	nodes  map[string]*yaml.Node
	budget int
	spent  bool
}

func (l *loader) errAt(n *yaml.Node, path, format string, args ...any) {
	if len(l.errs) >= ldMaxErrors {
		return // enough to act on; a broken file must not cost unbounded memory
	}
	le := &LoadError{File: l.file, Path: path, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		le.Line, le.Column = n.Line, n.Column
	}
	l.errs = append(l.errs, le)
}

// errPath reports at the node recorded for path, or for its closest recorded ancestor.
func (l *loader) errPath(path, format string, args ...any) {
	l.errAt(l.nodeFor(path), path, format, args...)
}

func (l *loader) nodeFor(path string) *yaml.Node {
	for p := path; ; p = ldParent(p) {
		if n, ok := l.nodes[p]; ok {
			return n
		}
		if p == "" {
			return nil
		}
	}
}

func (l *loader) remember(path string, n *yaml.Node) {
	if l.nodes == nil {
		l.nodes = map[string]*yaml.Node{}
	}
	l.nodes[path] = n
}

// ldParent strips the last element of a field path: "a[1].b" → "a[1]" → "a" → "".
func ldParent(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '.' || p[i] == '[' {
			return p[:i]
		}
	}
	return ""
}

func (l *loader) joined() error {
	sort.SliceStable(l.errs, func(i, j int) bool {
		a, b := l.errs[i], l.errs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Path < b.Path
	})
	if len(l.errs) == 1 {
		return l.errs[0]
	}
	errs := make([]error, len(l.errs))
	for i, e := range l.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}
