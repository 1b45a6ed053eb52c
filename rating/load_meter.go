package rating

import (
	"fmt"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// decodeMeterNormalize reads a meter's normalization fields (unit conversion, attribute
// renames and filters), which mediation applies to every record of the meter.
func (l *loader) decodeMeterNormalize(f fields, path string, m *Meter) {
	one := decimal.NewFromInt(1)
	m.Multiply, m.Divide = one, one
	for _, k := range []struct {
		key string
		dst *decimal.Decimal
	}{{"multiply", &m.Multiply}, {"divide", &m.Divide}} {
		if !f.has(k.key) {
			continue
		}
		if d, ok := l.dec(f, k.key, false); ok {
			if d.IsZero() {
				l.errPath(ldJoin(path, k.key), "must be greater than zero")
				continue
			}
			*k.dst = d
		}
	}
	if n, ok := f.vals["rename"]; ok {
		rp := ldJoin(path, "rename")
		if n = l.visit(n, rp); n != nil {
			if n.Kind != yaml.MappingNode {
				l.errAt(n, rp, "want a mapping of attribute name to new name, got %s", ldKind(n))
			} else {
				m.Rename = map[string]string{}
				for i := 0; i+1 < len(n.Content); i += 2 {
					k, v := n.Content[i], n.Content[i+1]
					kp := ldJoin(rp, k.Value)
					switch {
					case k.Value == "" || v.Value == "" || v.Kind != yaml.ScalarNode:
						l.errAt(v, kp, "want a non-empty attribute name")
					case m.Rename[k.Value] != "":
						l.errAt(k, kp, "field given twice")
					default:
						m.Rename[k.Value] = v.Value
					}
				}
			}
		}
	}
	m.KeepAttributes = l.meterNames(f, path, "keep_attributes")
	m.DropAttributes = l.meterNames(f, path, "drop_attributes")
	if len(m.KeepAttributes) > 0 && len(m.DropAttributes) > 0 {
		l.errPath(ldJoin(path, "drop_attributes"), "give keep_attributes or drop_attributes, not both")
	}
}

// meterNames reads a list of attribute names.
func (l *loader) meterNames(f fields, path, key string) []string {
	var out []string
	kp := ldJoin(path, key)
	for i, n := range l.seq(f.vals[key], kp) {
		ip := fmt.Sprintf("%s[%d]", kp, i)
		if n = l.visit(n, ip); n == nil {
			continue
		}
		if n.Kind != yaml.ScalarNode || n.Value == "" {
			l.errAt(n, ip, "want a non-empty attribute name")
			continue
		}
		out = append(out, n.Value)
	}
	return out
}
