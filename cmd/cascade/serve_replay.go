package main

import (
	"context"

	"github.com/cascade-billing/cascade/mediation/kafka"
)

// replayer is the API's Replayer: kafka.Replayer over the serving mediation's producer and
// directory, taken at each call because publishing a catalog rebuilds mediation.
type replayer struct{ m *serveMediation }

// Replay implements api.Replayer: the records go back to the raw topic, byte for byte, keyed
// by their ownership scope as the connector would key them (mediation deduplicates, so a
// second replay is harmless).
func (r *replayer) Replay(ctx context.Context, records [][]byte) error {
	kr, err := kafka.NewReplayer(kafka.ReplayConfig{Producer: r.m.producer, Directory: r.m.dir})
	if err != nil {
		return err
	}
	return kr.Replay(ctx, records)
}
