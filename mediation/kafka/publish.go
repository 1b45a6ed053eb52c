package kafka

import (
	"context"

	"github.com/cascade-billing/cascade/mediation"
)

// Publish produces edge records (mediation.Outgoing) keyed by their scope, with Produce's
// guarantee: nil only after the broker acknowledged every one (acks=all). It lets the HTTP
// connector, which declares the small interface it needs and must not import this adapter,
// use a Producer as is; cmd/cascade does the wiring.
func (p *Producer) Publish(ctx context.Context, records []mediation.Outgoing) error {
	recs := make([]Record, len(records))
	for i, r := range records {
		recs[i] = Record{Scope: r.Scope, Value: r.Value}
	}
	return p.Produce(ctx, recs)
}
