package api_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// specFile is the API's OpenAPI description.
const specFile = "../../../../docs/openapi.yaml"

// spec is the part of an OpenAPI 3.0 document the conformance test reads.
type spec struct {
	Paths      map[string]map[string]operation `yaml:"paths"`
	Components struct {
		Schemas   map[string]*schema   `yaml:"schemas"`
		Responses map[string]*response `yaml:"responses"`
	} `yaml:"components"`
}

type operation struct {
	Responses map[string]*response `yaml:"responses"`
}

type response struct {
	Ref     string `yaml:"$ref"`
	Content map[string]struct {
		Schema *schema `yaml:"schema"`
	} `yaml:"content"`
}

// schema is the subset of JSON Schema the spec uses: type, required, properties, items, enum,
// nullable and $ref.
type schema struct {
	Ref        string             `yaml:"$ref"`
	Type       string             `yaml:"type"`
	Required   []string           `yaml:"required"`
	Properties map[string]*schema `yaml:"properties"`
	Items      *schema            `yaml:"items"`
	Enum       []string           `yaml:"enum"`
	Nullable   bool               `yaml:"nullable"`
}

// loadSpec reads docs/openapi.yaml.
func loadSpec(t *testing.T) *spec {
	t.Helper()
	var s spec
	data, err := os.ReadFile(specFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &s); err != nil {
		t.Fatalf("%s: %v", specFile, err)
	}
	return &s
}

// patterns lists the spec's operations as ServeMux patterns ("GET /v1/invoices/{id}").
func (s *spec) patterns() []string {
	var out []string
	for p, ops := range s.Paths {
		for m := range ops {
			out = append(out, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(out)
	return out
}

// responseFor finds the documented response of a status, following a $ref.
func (s *spec) responseFor(pattern string, status int) (*response, error) {
	method, path, _ := strings.Cut(pattern, " ")
	op, ok := s.Paths[path][strings.ToLower(method)]
	if !ok {
		return nil, fmt.Errorf("%s is not in the spec", pattern)
	}
	r, ok := op.Responses[fmt.Sprint(status)]
	if !ok {
		var codes []string
		for c := range op.Responses {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		return nil, fmt.Errorf("%s answered %d, documented: %v", pattern, status, codes)
	}
	if r.Ref != "" {
		name := strings.TrimPrefix(r.Ref, "#/components/responses/")
		if r = s.Components.Responses[name]; r == nil {
			return nil, fmt.Errorf("%s: unknown response %s", pattern, name)
		}
	}
	return r, nil
}

// resolve follows a schema's $ref.
func (s *spec) resolve(sc *schema) (*schema, error) {
	for depth := 0; sc != nil && sc.Ref != ""; depth++ {
		name := strings.TrimPrefix(sc.Ref, "#/components/schemas/")
		next, ok := s.Components.Schemas[name]
		if !ok || depth > 8 {
			return nil, fmt.Errorf("unresolvable $ref %s", sc.Ref)
		}
		sc = next
	}
	return sc, nil
}

// validate checks a decoded JSON value against a schema, naming the JSON path of each problem.
func (s *spec) validate(path string, v any, sc *schema) []string {
	sc, err := s.resolve(sc)
	if err != nil {
		return []string{path + ": " + err.Error()}
	}
	if sc == nil {
		return nil
	}
	if v == nil {
		if sc.Nullable || sc.Type == "" {
			return nil
		}
		return []string{path + ": null, want " + sc.Type}
	}
	bad := func(want string) []string { return []string{fmt.Sprintf("%s: %T, want %s", path, v, want)} }
	switch sc.Type {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return bad("object")
		}
		var out []string
		for _, r := range sc.Required {
			if _, ok := obj[r]; !ok {
				out = append(out, path+"."+r+": required property missing")
			}
		}
		for k, sub := range sc.Properties {
			if val, ok := obj[k]; ok {
				out = append(out, s.validate(path+"."+k, val, sub)...)
			}
		}
		return out
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return bad("array")
		}
		var out []string
		for i, it := range arr {
			out = append(out, s.validate(fmt.Sprintf("%s[%d]", path, i), it, sc.Items)...)
		}
		return out
	case "string":
		str, ok := v.(string)
		if !ok {
			return bad("string")
		}
		if len(sc.Enum) > 0 && !slices.Contains(sc.Enum, str) {
			return []string{fmt.Sprintf("%s: %q not in %v", path, str, sc.Enum)}
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			return bad("integer")
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return bad("number")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return bad("boolean")
		}
	}
	return nil
}
