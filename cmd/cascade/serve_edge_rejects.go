package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/cascade-billing/cascade/mediation"
)

// edgeRejects is the connector's dead-letter sink in `serve`: records rejected at
// POST /v1/usage go to the usage.rejected topic (for consumers of the topic) and to the
// ledger's reject table, where GET /v1/rejects lists them and replay finds them — the topic
// alone is not read back into the ledger by anyone, and the embedded broker forgets it at a
// restart.
//
// The ledger keys a reject by (topic, partition, offset); the connector's offset is the
// record's index in its request, which repeats from request to request. The ledger copy is
// therefore keyed by a partition drawn at random per process and an offset that only grows,
// so two rejections never share a key (an HTTP reject is never redelivered, so there is no
// copy to collapse). Its source is the vendor when the record did not decode that far.
type edgeRejects struct {
	topic  mediation.DeadLetters // the usage.rejected writer
	ledger mediation.DeadLetters // the ledger's reject table (ledgerstore)

	partition int
	mu        sync.Mutex
	last      int64
}

func newEdgeRejects(topic, ledger mediation.DeadLetters) (*edgeRejects, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("edge rejects: %w", err)
	}
	return &edgeRejects{topic: topic, ledger: ledger, partition: int(binary.BigEndian.Uint32(b[:]) & 0x7fffffff)}, nil
}

// Publish implements mediation.DeadLetters: nil only when both copies are durable, so the
// connector answers 503 (the vendor retries) rather than accept a reject it could lose.
func (d *edgeRejects) Publish(ctx context.Context, rejected []mediation.Rejected) error {
	if len(rejected) == 0 {
		return nil
	}
	if err := d.topic.Publish(ctx, rejected); err != nil {
		return err
	}
	rows := make([]mediation.Rejected, len(rejected))
	copy(rows, rejected)
	d.mu.Lock()
	for i := range rows {
		d.last = max(d.last+1, time.Now().UnixNano())
		rows[i].Partition, rows[i].Offset = d.partition, d.last
		if rows[i].Source == "" {
			rows[i].Source = string(rows[i].Key) // the vendor whose key sent it
		}
	}
	d.mu.Unlock()
	return d.ledger.Publish(ctx, rows)
}
