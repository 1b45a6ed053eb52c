package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"time"

	"github.com/cascade-billing/cascade/billing/webhook"
	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
	"github.com/cascade-billing/cascade/ledger"
)

// handler is the service's HTTP surface: /healthz, /readyz and /metrics for the platform, and
// everything else to the versioned API (with the connector at POST /v1/usage and the payment
// webhook at POST /v1/payments/webhook).
func (s *server) handler(keys *api.Keyring) (http.Handler, error) {
	acfg := api.Config{Billing: s.svc, Store: s.store, Keys: keys, Usage: s.med, Replayer: &replayer{m: s.med},
		BeforeCycle: func(ctx context.Context) error { return s.med.waitCaughtUp(ctx, apiCatchUp) }, Now: s.now, Logger: s.log,
		Writer: s.writer.admit}
	if secret := s.cfg.Payments.WebhookSecret; secret != "" {
		wh, err := webhook.New(webhook.Config{Secret: []byte(secret), Service: s.svc, Now: s.now, Logger: s.log})
		if err != nil {
			return nil, fmt.Errorf("payments.webhook_secret: %w", err)
		}
		acfg.Webhook = wh
	}
	a, err := api.New(acfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /metrics", s.metrics)
	mux.Handle("/", a)
	return mux, nil
}

// readiness is /readyz's answer: each part and whether it is ready.
type readiness struct {
	Ready bool `json:"ready"`
	// Writer says whether this instance is the billing writer (commands and schedulers).
	Writer bool              `json:"writer"`
	Checks map[string]string `json:"checks"` // part → "ok" or what is wrong
}

// readyz answers 200 when the ledger answers a query, billing's state is loaded and usable,
// and the mediation source runs; else 503 naming the failing part.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	rd := readiness{Ready: true, Writer: s.writer.isWriter(), Checks: map[string]string{}}
	check := func(part string, err error) {
		if err != nil {
			rd.Ready = false
			rd.Checks[part] = err.Error()
			return
		}
		rd.Checks[part] = "ok"
	}
	check("ledger", s.pingLedger(ctx))
	check("billing", s.billingLoaded())
	var src error
	if !s.med.running.Load() {
		src = fmt.Errorf("the mediation source is not running")
	}
	check("mediation_source", src)
	w.Header().Set("Content-Type", "application/json")
	if !rd.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(rd)
}

// pingLedger runs the cheapest read there is: one account's usage over one second.
func (s *server) pingLedger(ctx context.Context) error {
	at := s.now().UTC().Truncate(time.Second)
	_, err := s.store.UsageTotals(ctx, ledger.UsageQuery{Account: "readyz", Period: ledger.Period{From: at, To: at.Add(time.Second)}})
	if err != nil {
		return fmt.Errorf("ledger query failed: %w", err)
	}
	return nil
}

// metrics writes the Prometheus text format: mediation's counters, the source's lag and
// latency, the schedulers' runs and failures, and the Go runtime's goroutines and heap.
func (s *server) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	_, src := s.med.current()
	if err := s.med.snapshot().WritePrometheus(bw); err != nil {
		return
	}
	if err := src.WritePrometheus(bw); err != nil {
		return
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := s.stats
	for _, m := range []struct {
		name, kind, help string
		v                int64
	}{
		{"cascade_billing_cycle_runs_total", "counter", "Invoice cycles started.", st.cycleRuns.Load()},
		{"cascade_billing_cycle_failures_total", "counter", "Invoice cycles that failed (retried at the next trigger).", st.cycleFailures.Load()},
		{"cascade_billing_invoices_issued_total", "counter", "Invoices issued by the cycles of this process.", st.invoicesIssued.Load()},
		{"cascade_billing_dunning_runs_total", "counter", "Dunning runs started.", st.dunningRuns.Load()},
		{"cascade_billing_dunning_failures_total", "counter", "Dunning runs that failed.", st.dunningFailures.Load()},
		{"cascade_billing_wholesale_closes_total", "counter", "Wholesale month closes run after complete cycles.", st.wholesaleRuns.Load()},
		{"cascade_billing_wholesale_failures_total", "counter", "Wholesale month closes that failed (retried after the next complete cycle).", st.wholesaleFailures.Load()},
		{"cascade_notify_dispatch_runs_total", "counter", "Notification dispatcher passes.", st.dispatchRuns.Load()},
		{"cascade_notify_dispatch_failures_total", "counter", "Dispatcher passes stopped by an error.", st.dispatchFailures.Load()},
		{"cascade_notify_delivered_total", "counter", "Notifications delivered.", st.notificationsSent.Load()},
		{"cascade_notify_dead_lettered_total", "counter", "Notifications given up after every attempt.", st.notificationsDead.Load()},
		{"go_goroutines", "gauge", "Goroutines that currently exist.", int64(runtime.NumGoroutine())},
		{"go_memstats_heap_alloc_bytes", "gauge", "Heap bytes allocated and still in use.", int64(ms.HeapAlloc)},
		{"go_memstats_heap_sys_bytes", "gauge", "Heap bytes obtained from the system.", int64(ms.HeapSys)},
	} {
		if _, err := fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", m.name, m.help, m.name, m.kind, m.name, m.v); err != nil {
			return
		}
	}
}
