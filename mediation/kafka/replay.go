package kafka

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cascade-billing/cascade/mediation"
)

// UnkeyedScope keys a replayed record whose bytes do not even decode to a source: it still goes
// to the raw topic (mediation rejects it again, with its reason, and it stays visible), but it
// cannot be keyed by an ownership scope.
const UnkeyedScope = "replay:undecodable"

// ReplayConfig configures a Replayer.
type ReplayConfig struct {
	// Producer writes to the raw usage topic.
	Producer *Producer
	// Directory derives a record's ownership scope as the HTTP connector does (the pricing
	// group, else the account of the subscription pricing the record's meter at its time);
	// nil keys every record by its source.
	Directory mediation.Directory
}

// Validate checks the configuration.
func (cfg ReplayConfig) Validate() error {
	if cfg.Producer == nil {
		return errors.New("replay config: producer is required")
	}
	return nil
}

// Replayer puts rejected records back on the raw topic, byte for byte, once the catalog or the
// directory was fixed (POST /v1/rejects/replay). A record is keyed like the connector keys it,
// so it reaches the instance owning its scope; a record whose scope cannot be derived (the
// subject is still unknown, the bytes do not decode) still goes out, keyed by its source, and
// mediation rejects it again with the current reason. Replaying twice is harmless: mediation
// deduplicates by (source, id). Safe for concurrent use.
type Replayer struct {
	cfg ReplayConfig
}

// NewReplayer validates cfg and returns a Replayer.
func NewReplayer(cfg ReplayConfig) (*Replayer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Replayer{cfg: cfg}, nil
}

// Replay produces every record and returns nil only after the broker acknowledged all of them.
func (r *Replayer) Replay(ctx context.Context, records [][]byte) error {
	if len(records) == 0 {
		return nil
	}
	size := 0
	for _, v := range records {
		size += len(v)
	}
	var dec mediation.Decoder // per call: a Decoder is not safe for concurrent use
	dec.Reset(size)
	out := make([]Record, len(records))
	for i, v := range records {
		out[i] = Record{Scope: r.scope(&dec, v), Value: v}
	}
	if err := r.cfg.Producer.Produce(ctx, out); err != nil {
		return fmt.Errorf("replay %d rejected records: %w", len(records), err)
	}
	return nil
}

// scope is the record's ownership scope, or its source when the directory does not know it.
func (r *Replayer) scope(dec *mediation.Decoder, raw []byte) string {
	var rec mediation.Record
	err := dec.Decode(raw, &rec)
	if err == nil && r.cfg.Directory != nil {
		if e, ok := r.cfg.Directory.Lookup(rec.Subject, rec.Type, rec.Time); ok {
			if e.PricingGroup != "" {
				return strings.Clone(e.PricingGroup)
			}
			if e.Account != "" {
				return strings.Clone(e.Account)
			}
		}
	}
	if rec.Source != "" {
		return strings.Clone(rec.Source) // rec's strings live in the decoder's arena
	}
	return UnkeyedScope
}
