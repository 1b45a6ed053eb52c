package chaos

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// Metrics is a /metrics page: each sample's value by its series, the name with its labels as
// printed (`cascade_mediation_rejected_total{reason="decode"}`).
type Metrics map[string]string

// ParseMetrics reads the Prometheus text format; comments and blank lines are skipped.
func ParseMetrics(text string) (Metrics, error) {
	m := Metrics{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// The value follows the last space outside the labels' braces.
		cut := strings.LastIndexByte(line, '}')
		i := strings.IndexByte(line[cut+1:], ' ')
		if i < 0 {
			return nil, fmt.Errorf("chaos: metrics line %d: no value: %q", n, line)
		}
		series, rest := line[:cut+1+i], strings.TrimSpace(line[cut+1+i:])
		value, _, _ := strings.Cut(rest, " ") // an optional timestamp follows
		m[series] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("chaos: read metrics: %w", err)
	}
	return m, nil
}

// Int returns a series' value as an integer (counters and gauges the service prints as such).
func (m Metrics) Int(series string) (int64, error) {
	v, ok := m[series]
	if !ok {
		return 0, fmt.Errorf("chaos: metric %s: absent", series)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("chaos: metric %s: %q is not an integer", series, v)
	}
	return n, nil
}

// Sum adds the integer values of every series of a metric name, whatever its labels
// (cascade_mediation_rejected_total over all reasons).
func (m Metrics) Sum(name string) (int64, error) {
	var total int64
	for series, v := range m {
		if series != name && !strings.HasPrefix(series, name+"{") {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("chaos: metric %s: %q is not an integer", series, v)
		}
		total += n
	}
	return total, nil
}

// Metrics fetches and parses the instance's /metrics.
func (in *Instance) Metrics(tb testing.TB) Metrics {
	tb.Helper()
	body := in.Call(tb, "GET", "/metrics", "", nil, 200, nil)
	m, err := ParseMetrics(string(body))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}
