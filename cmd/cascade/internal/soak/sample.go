package soak

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// ErrSample says a reading of the child could not be taken or parsed.
var ErrSample = errors.New("soak: sample")

// ReadRSS returns the resident set size of process pid (VmRSS in /proc/<pid>/status), bytes.
func ReadRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("%w: rss of pid %d: %w", ErrSample, pid, err)
	}
	return parseRSS(pid, raw)
}

// parseRSS reads the "VmRSS:   1234 kB" line of a /proc status file.
func parseRSS(pid int, status []byte) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%w: pid %d: VmRSS line %q: want \"<n> kB\"", ErrSample, pid, bytes.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: pid %d: VmRSS %q: %w", ErrSample, pid, f[0], err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("%w: pid %d: no VmRSS line (a zombie or kernel thread?)", ErrSample, pid)
}

// Metrics are the few series of /metrics the soak reads.
type Metrics struct {
	Goroutines int64 // go_goroutines
	HeapAlloc  int64 // go_memstats_heap_alloc_bytes
	Consumed   int64 // cascade_mediation_consumed_total
	Accepted   int64 // cascade_mediation_accepted_total
	Duplicate  int64 // cascade_mediation_duplicate_total
	Rejected   int64 // cascade_mediation_rejected_total, every reason summed
	SinkFailed int64 // cascade_mediation_sink_failures_total
}

// ParseMetrics reads the Prometheus text format and picks the series Metrics names. Each of
// them must be present: a renamed metric must fail the soak, not read as zero.
func ParseMetrics(r io.Reader) (Metrics, error) {
	var m Metrics
	fields := map[string]*int64{
		"go_goroutines": &m.Goroutines, "go_memstats_heap_alloc_bytes": &m.HeapAlloc,
		"cascade_mediation_consumed_total": &m.Consumed, "cascade_mediation_accepted_total": &m.Accepted,
		"cascade_mediation_duplicate_total": &m.Duplicate, "cascade_mediation_rejected_total": &m.Rejected,
		"cascade_mediation_sink_failures_total": &m.SinkFailed,
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			return m, fmt.Errorf("%w: metrics line %q: no value", ErrSample, line)
		}
		name := line[:sp]
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i] // labelled series of one name are summed
		}
		dst, ok := fields[name]
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(line[sp+1:], 10, 64)
		if err != nil {
			return m, fmt.Errorf("%w: metrics line %q: %w", ErrSample, line, err)
		}
		*dst += v
		seen[name] = true
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("%w: read metrics: %w", ErrSample, err)
	}
	var missing []string
	for name := range fields {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return m, fmt.Errorf("%w: metrics lack %s", ErrSample, strings.Join(slices.Sorted(slices.Values(missing)), ", "))
	}
	return m, nil
}

// Line is the per-minute report line.
func (s Sample) Line() string {
	return fmt.Sprintf("soak: minute=%d rss_mb=%.1f goroutines=%d heap_mb=%.1f dedup_mb=%.1f sent=%d accepted=%d mediated=%d lag=%d",
		s.Minute, float64(s.RSS)/mb, s.Goroutines, float64(s.HeapAlloc)/mb, float64(s.Retained)/mb, s.Sent, s.Accepted, s.Mediated, s.Lag)
}

// Summary is the final report line. first..last are the first and last judged samples (after
// warm-up); with none, the whole run's.
func (v Verdict) Summary(minutes int, rate float64, all []Sample) string {
	s := v.Judged
	if len(s) == 0 {
		s = all
	}
	flat := "no"
	if v.Flat {
		flat = "yes"
	}
	var first, last Sample
	if len(s) > 0 {
		first, last = s[0], s[len(s)-1]
	}
	return fmt.Sprintf("soak: minutes=%d rate=%.0f/s rss_mb=%.1f..%.1f (slope %.1f MB/10min) goroutines=%d..%d flat=%s",
		minutes, rate, float64(first.RSS)/mb, float64(last.RSS)/mb, v.RSSSlope/mb, first.Goroutines, last.Goroutines, flat)
}
