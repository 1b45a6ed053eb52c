package billing

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// TaxLoadError is one problem in a tax rules file, located like the catalog's errors
// ("taxes.yaml:7:11: jurisdictions.DE.rate: must be between 0 and 100") so an editor can jump to
// it. ParseTaxRules reports every problem it finds, joined with errors.Join; each one also
// matches ErrInvalid.
type TaxLoadError struct {
	File    string
	Line    int // 1-based; 0 when the YAML parser gave no position
	Column  int // 1-based; 0 when unknown
	Path    string
	Message string
}

// Error formats the position the way compilers do.
func (e *TaxLoadError) Error() string {
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

// Unwrap makes every load error an ErrInvalid for errors.Is.
func (e *TaxLoadError) Unwrap() error { return ErrInvalid }

// LoadTaxRules reads and parses a tax rules file; errors name the path as given.
func LoadTaxRules(path string) (*TaxRules, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load tax rules: %w", err)
	}
	return ParseTaxRules(path, data)
}

// ParseTaxRules parses tax rules (see docs/billing.md, "Taxes"): a top-level `jurisdictions`
// mapping from code to {name, rate, inclusive, reverse_charge}. name is used only in error
// positions. Unknown fields are errors, so a misspelt `inclusive` never silently taxes on top.
func ParseTaxRules(name string, data []byte) (*TaxRules, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		le := &TaxLoadError{File: name, Message: msg}
		if m := taxLineRE.FindStringSubmatch(msg); m != nil {
			le.Line, _ = strconv.Atoi(m[1])
		}
		return nil, le
	}
	p := &taxParser{file: name}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	rules := &TaxRules{Jurisdictions: map[string]TaxJurisdiction{}}
	top := p.mapping(root, "", "jurisdictions")
	js, ok := top["jurisdictions"]
	switch {
	case top == nil:
	case !ok:
		p.errAt(root, "jurisdictions", "required field missing")
	case js.Kind != yaml.MappingNode:
		p.errAt(js, "jurisdictions", "want a mapping from jurisdiction code to rule")
	default:
		for i := 0; i+1 < len(js.Content); i += 2 {
			k, v := js.Content[i], js.Content[i+1]
			path := "jurisdictions." + k.Value
			if !taxCodeRE.MatchString(k.Value) {
				p.errAt(k, path, "jurisdiction code must look like DE or US-CA")
				continue
			}
			if _, dup := rules.Jurisdictions[k.Value]; dup {
				p.errAt(k, path, "jurisdiction given twice")
				continue
			}
			rules.Jurisdictions[k.Value] = p.jurisdiction(k.Value, v, path)
		}
	}
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		errs := make([]error, len(p.errs))
		for i, e := range p.errs {
			errs[i] = e
		}
		return nil, errors.Join(errs...)
	}
	return rules, nil
}

var (
	taxLineRE    = regexp.MustCompile(`line (\d+)`)
	taxCodeRE    = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,3})?$`)
	taxDecimalRE = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{1,6})?$`)
)

// taxParser collects every error with its position.
type taxParser struct {
	file string
	errs []*TaxLoadError
}

func (p *taxParser) errAt(n *yaml.Node, path, format string, args ...any) {
	e := &TaxLoadError{File: p.file, Path: path, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// mapping returns a mapping's values by key; keys outside allowed are errors. nil: not a mapping.
func (p *taxParser) mapping(n *yaml.Node, path string, allowed ...string) map[string]*yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		p.errAt(n, path, "want a mapping")
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kp := k.Value
		if path != "" {
			kp = path + "." + k.Value
		}
		known := false
		for _, a := range allowed {
			known = known || a == k.Value
		}
		if _, dup := out[k.Value]; dup {
			p.errAt(k, kp, "field given twice")
			continue
		}
		if !known {
			p.errAt(k, kp, "unknown field; want one of %s", strings.Join(allowed, ", "))
			continue
		}
		out[k.Value] = v
	}
	return out
}

func (p *taxParser) jurisdiction(code string, n *yaml.Node, path string) TaxJurisdiction {
	j := TaxJurisdiction{Code: code}
	f := p.mapping(n, path, "name", "rate", "inclusive", "reverse_charge")
	if f == nil {
		return j
	}
	if v, ok := f["name"]; !ok || v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
		p.errAt(orNode(v, n), path+".name", "required: the tax's name as printed (VAT, Sales tax)")
	} else {
		j.Name = v.Value
	}
	v, ok := f["rate"]
	switch {
	case !ok:
		p.errAt(n, path+".rate", "required field missing")
	case v.Kind != yaml.ScalarNode || !taxDecimalRE.MatchString(v.Value):
		p.errAt(v, path+".rate", "want a percentage like 19 or 7.7, got %q", v.Value)
	default:
		j.Rate = decimal.RequireFromString(v.Value)
		if j.Rate.GreaterThan(decimal.NewFromInt(100)) {
			p.errAt(v, path+".rate", "must be between 0 and 100")
		}
	}
	j.Inclusive = p.boolean(f, "inclusive", path)
	j.ReverseCharge = p.boolean(f, "reverse_charge", path)
	return j
}

func (p *taxParser) boolean(f map[string]*yaml.Node, key, path string) bool {
	v, ok := f[key]
	if !ok {
		return false
	}
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
		p.errAt(v, path+"."+key, "want true or false, got %q", v.Value)
		return false
	}
	b, err := strconv.ParseBool(strings.ToLower(v.Value))
	if err != nil {
		p.errAt(v, path+"."+key, "want true or false, got %q", v.Value)
	}
	return b
}

func orNode(v, fallback *yaml.Node) *yaml.Node {
	if v != nil {
		return v
	}
	return fallback
}
