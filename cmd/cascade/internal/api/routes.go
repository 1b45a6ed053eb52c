package api

import (
	"context"
	"net/http"
)

// Replayer republishes rejected records (their original bytes, from the ledger's reject table)
// to the raw usage topic, so mediation takes them again after the catalog or the directory was
// fixed. Replaying twice is harmless: mediation deduplicates by (source, id).
type Replayer interface {
	Replay(ctx context.Context, records [][]byte) error
}

// routes is the route table: the core resources (routes_core.go) then catalog moderation,
// rejects and consumption (routes_more.go).
func (a *API) routes() []route {
	var rts []route
	rts = append(rts, a.coreRoutes()...)
	rts = append(rts, a.moreRoutes()...)
	return rts
}

// unavailable answers 503 for a route whose backing component is not configured.
func unavailable(w http.ResponseWriter, what string) {
	writeError(w, http.StatusServiceUnavailable, "unavailable", what+" is not configured on this server", "")
}
