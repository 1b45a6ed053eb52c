// Package api is Cascade's versioned HTTP API (/v1/...), served by `cascade serve`: usage
// ingest, catalog moderation, accounts and subscriptions, invoices and credit notes, payments,
// reports and rejects. Every route is described in docs/openapi.yaml; a test keeps the two equal.
//
// Every request but the usage ingest and the payment-provider webhook (which authenticate on
// their own) carries an API key (Authorization: Bearer KEY). A key has a role and, for partner
// roles, the partner account it acts for; a partner sees only its own account and the accounts
// below it in the channel chain (a reseller never sees another reseller's customers).
package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
)

// Config is what the API serves from. Billing and Store are required; a nil optional handler
// leaves its route answering 503 (not configured).
type Config struct {
	Billing *billing.Service
	Store   ledger.Store
	Keys    *Keyring

	// Usage is the vendor connector (mediation/connector), mounted at POST /v1/usage.
	Usage http.Handler
	// Webhook is the payment-provider webhook (billing/webhook), mounted at
	// POST /v1/payments/webhook.
	Webhook http.Handler
	// Replayer puts rejected records back into mediation (the raw topic) once the catalog or
	// the directory is fixed; nil: replay answers 503.
	Replayer Replayer
	// BeforeCycle, when set, runs before POST /v1/cycles issues anything: `serve` waits there
	// until mediation has put every record produced so far in the ledger, so a cycle never
	// reads a period's quantities while accepted usage is still on its way. An error answers
	// 503 with Retry-After (nothing issued).
	BeforeCycle func(ctx context.Context) error
	// Writer, when set, admits a request that changes billing while this instance is the
	// billing writer (release is called when the request is answered) or says why not: such
	// routes then answer 503 not_writer (several instances, one writer).
	Writer func() (release func(), err error)

	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()
}

// API is the handler. Build it with New.
type API struct {
	cfg Config
	mux *http.ServeMux
}

// route is one endpoint: its method and path pattern (net/http ServeMux syntax), the roles
// that may call it (nil: no API key needed, the handler authenticates itself) and the handler.
// The route table is what the OpenAPI test compares with docs/openapi.yaml.
type route struct {
	pattern string // "GET /v1/invoices/{id}"
	roles   []Role
	handle  func(w http.ResponseWriter, r *http.Request, p Principal)
}

// New checks the configuration and builds the handler.
func New(cfg Config) (*API, error) {
	switch {
	case cfg.Billing == nil:
		return nil, fmt.Errorf("api config: billing service is required")
	case cfg.Store == nil:
		return nil, fmt.Errorf("api config: ledger store is required")
	case cfg.Keys == nil:
		return nil, fmt.Errorf("api config: keyring is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &API{cfg: cfg, mux: http.NewServeMux()}
	for _, rt := range a.routes() {
		a.mux.Handle(rt.pattern, a.wrap(rt))
	}
	return a, nil
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Patterns lists every route's "METHOD /path" pattern, sorted as declared; the OpenAPI test
// and the docs use it.
func (a *API) Patterns() []string {
	rts := a.routes()
	out := make([]string, len(rts))
	for i, rt := range rts {
		out[i] = rt.pattern
	}
	return out
}
