package mediation

import (
	"fmt"
	"io"
)

// WritePrometheus writes the snapshot in the Prometheus text exposition format, so cmd/cascade
// can serve it on /metrics without mediation importing a metrics library. Every reason code is
// written, zero or not, so dashboards see the series before the first reject.
func (s Snapshot) WritePrometheus(w io.Writer) error {
	counters := []struct {
		name, help string
		v          int64
	}{
		{"cascade_mediation_consumed_total", "Usage records consumed (accepted + duplicate + rejected).", s.Consumed},
		{"cascade_mediation_accepted_total", "Usage records accepted and written to the ledger.", s.Accepted},
		{"cascade_mediation_duplicate_total", "Usage records dropped as duplicates of accepted ones.", s.Duplicate},
		{"cascade_mediation_late_closed_period_total", "Accepted usage records whose billing period was already closed (adjusted on the next invoice).", s.LateClosedPeriod},
		{"cascade_mediation_batches_total", "Batches whose sink write succeeded.", s.Batches},
		{"cascade_mediation_sink_failures_total", "Batches whose sink write failed (redelivered by the source).", s.Failed},
	}
	for _, c := range counters {
		if _, err := fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", c.name, c.help, c.name, c.name, c.v); err != nil {
			return fmt.Errorf("write metric %s: %w", c.name, err)
		}
	}
	const rej = "cascade_mediation_rejected_total"
	if _, err := fmt.Fprintf(w, "# HELP %s Usage records rejected to the dead letters, by reason code.\n# TYPE %s counter\n", rej, rej); err != nil {
		return fmt.Errorf("write metric %s: %w", rej, err)
	}
	for _, r := range reasons {
		if _, err := fmt.Fprintf(w, "%s{reason=%q} %d\n", rej, r, s.Rejected[r]); err != nil {
			return fmt.Errorf("write metric %s: %w", rej, err)
		}
	}
	return nil
}
