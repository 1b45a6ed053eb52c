package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka"
)

// replayer is the API's Replayer: it republishes rejected records, byte for byte, to the raw
// topic, keyed by their ownership scope as the connector would key them, so the partition that
// owns the scope takes them (mediation deduplicates, so a second replay is harmless).
type replayer struct{ m *serveMediation }

// undecodableScope keys replayed records that do not decode (the producer needs a key; any
// partition may reject them again).
const undecodableScope = "replay-undecodable"

// Replay implements api.Replayer. A record whose subject is still unknown is keyed by its
// subject, one that still does not decode by undecodableScope: mediation rejects it again with
// the current reason, which is what the caller should see.
func (r *replayer) Replay(ctx context.Context, records [][]byte) error {
	var dec mediation.Decoder
	out := make([]kafka.Record, 0, len(records))
	for _, raw := range records {
		var rec mediation.Record
		dec.Reset(1)
		scope := ""
		if err := dec.Decode(raw, &rec); err == nil {
			scope = rec.Subject
			if e, ok := r.m.dir.Lookup(rec.Subject, rec.Type, rec.Time); ok {
				scope = e.Account
				if e.PricingGroup != "" {
					scope = e.PricingGroup
				}
			}
			scope = strings.Clone(scope) // rec's strings live in the decoder's arena until the next Reset
		}
		if scope == "" {
			scope = undecodableScope
		}
		out = append(out, kafka.Record{Scope: scope, Value: raw})
	}
	if err := r.m.producer.Produce(ctx, out); err != nil {
		return fmt.Errorf("replay %d records: %w", len(records), err)
	}
	return nil
}
