package main

import (
	"context"
	"errors"
	"testing"

	"github.com/cascade-billing/cascade/mediation"
)

// sinkRejects records what it was given, or fails.
type sinkRejects struct {
	got  []mediation.Rejected
	fail error
}

func (s *sinkRejects) Publish(_ context.Context, r []mediation.Rejected) error {
	if s.fail != nil {
		return s.fail
	}
	s.got = append(s.got, r...)
	return nil
}

// TestEdgeRejectsKeysNeverRepeat: two requests' first records (both offset 0 in their request)
// reach the ledger under different keys, with the vendor as source; the topic gets them as
// the connector made them; a failing topic write stores nothing in the ledger and fails.
func TestEdgeRejectsKeysNeverRepeat(t *testing.T) {
	topic, ledger := &sinkRejects{}, &sinkRejects{}
	d, err := newEdgeRejects(topic, ledger)
	if err != nil {
		t.Fatal(err)
	}
	rec := func() []mediation.Rejected {
		return []mediation.Rejected{{Message: mediation.Message{Topic: "http:/v1/usage", Offset: 0, Key: []byte("acme"), Value: []byte("{")},
			Reason: "decode"}}
	}
	for range 2 {
		if err := d.Publish(context.Background(), rec()); err != nil {
			t.Fatal(err)
		}
	}
	if len(ledger.got) != 2 || len(topic.got) != 2 {
		t.Fatalf("ledger %d, topic %d rejects; want 2 each", len(ledger.got), len(topic.got))
	}
	a, b := ledger.got[0], ledger.got[1]
	if a.Partition == b.Partition && a.Offset == b.Offset {
		t.Errorf("two rejections share the ledger key %d/%d", a.Partition, a.Offset)
	}
	if a.Source != "acme" || topic.got[0].Offset != 0 || topic.got[0].Source != "" {
		t.Errorf("ledger source %q (want acme); topic copy %+v (want it unchanged)", a.Source, topic.got[0])
	}
	topic.fail = errors.New("broker down")
	if err := d.Publish(context.Background(), rec()); err == nil || len(ledger.got) != 2 {
		t.Errorf("topic failure: err %v, ledger %d rejects; want the error and nothing more stored", err, len(ledger.got))
	}
}
