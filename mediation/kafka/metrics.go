package kafka

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// WritePrometheus writes the source's consumer lag (a gauge per owned partition) and batch
// latency (a histogram) in the Prometheus text exposition format, next to the pipeline's
// counters (mediation.Snapshot.WritePrometheus) on cmd/cascade's /metrics. Safe to call while
// Run is running.
func (s *Source) WritePrometheus(w io.Writer) error {
	const lagName, latName = "cascade_mediation_consumer_lag", "cascade_mediation_batch_latency_seconds"
	topic := strconv.Quote(s.cfg.Topic)
	lag := s.Lag()
	parts := make([]int, 0, len(lag))
	for p := range lag {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	b := fmt.Appendf(nil, "# HELP %s Records in the partition after the last handled one (high-water mark − next offset), per owned partition.\n# TYPE %s gauge\n", lagName, lagName)
	for _, p := range parts {
		b = fmt.Appendf(b, "%s{topic=%s,partition=\"%d\"} %d\n", lagName, topic, p, lag[p])
	}
	h := s.BatchLatency()
	b = fmt.Appendf(b, "# HELP %s Time from fetching a batch's first record to the commit of its offsets.\n# TYPE %s histogram\n", latName, latName)
	for i, le := range h.Bounds {
		b = fmt.Appendf(b, "%s_bucket{topic=%s,le=\"%s\"} %d\n", latName, topic, strconv.FormatFloat(le.Seconds(), 'g', -1, 64), h.Counts[i])
	}
	b = fmt.Appendf(b, "%s_bucket{topic=%s,le=\"+Inf\"} %d\n", latName, topic, h.Count)
	b = fmt.Appendf(b, "%s_sum{topic=%s} %s\n%s_count{topic=%s} %d\n", latName, topic,
		strconv.FormatFloat(h.Sum.Seconds(), 'g', -1, 64), latName, topic, h.Count)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write kafka source metrics of %s: %w", s.cfg.Topic, err)
	}
	return nil
}
