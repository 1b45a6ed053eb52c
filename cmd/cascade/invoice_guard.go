package main

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/config"
)

// checkNoServe refuses a money-moving command when a `cascade serve` with the same
// configuration answers on its http.listen address. Two processes writing one ledger keep two
// in-memory states: a service that did not see a void can take a payment for the voided
// invoice, and both could number the same document. While the service runs, its API does the
// same work (POST /v1/cycles, /v1/invoices/{id}/void). The check is best effort: it sees a
// service on this host's address only; docs/cli.md says so. The embedded ledger needs no
// check: it takes one process at a time.
func checkNoServe(ctx context.Context, cfg *config.Config) error {
	if cfg.Ledger.ClickHouse == nil || cfg.HTTP.Listen == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(cfg.HTTP.Listen)
	if err != nil {
		return nil // config.Load validated it; nothing to probe otherwise
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	addr := net.JoinHostPort(host, port)
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return nil
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil // nothing answers: no service here
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil
	}
	return usagef("a cascade serve answers on %s with this configuration: while it runs it is the one process writing "+
		"the ledger; use its API instead (POST /v1/cycles, POST /v1/invoices/{id}/void), or stop it first", addr)
}
