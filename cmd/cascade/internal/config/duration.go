package config

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written as Go spells it ("90s", "1h30m") or in whole days
// ("35d"), the unit billing windows are thought in.
type Duration time.Duration

// ParseDuration reads "35d" or anything time.ParseDuration accepts.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("duration %q: want whole days like 35d or a Go duration like 90s", s)
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want whole days like 35d or a Go duration like 90s", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML implements yaml.Unmarshaler; the error carries the value's line.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String prints the duration as time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
