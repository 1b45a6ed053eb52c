package kafka_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
)

// replayRecord is a CloudEvents usage record of subject for meter calls.
func replayRecord(id, source, subject string) []byte {
	return fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"source":%q,"type":"calls","subject":%q,"time":"2026-10-05T10:00:00Z","data":{"quantity":3}}`,
		id, source, subject)
}

func TestReplayKeysLikeTheConnector(t *testing.T) {
	dir := mediationtest.NewDirectory()
	dir.Add("cust-1", mediation.Enrichment{Account: "ACME", Subscription: "S1"})
	dir.Add("cust-2", mediation.Enrichment{Account: "BETA", PricingGroup: "ENT-9", Subscription: "S2"})
	tests := []struct {
		name  string
		value []byte
		dir   mediation.Directory
		key   string
	}{
		{"account scope", replayRecord("a", "acme/gw", "cust-1"), dir, "ACME"},
		{"pricing group wins", replayRecord("b", "acme/gw", "cust-2"), dir, "ENT-9"},
		{"unknown subject: keyed by source", replayRecord("c", "acme/gw", "nobody"), dir, "acme/gw"},
		{"no directory: keyed by source", replayRecord("d", "acme", "cust-1"), nil, "acme"},
		{"not JSON", []byte("not json at all"), dir, kafka.UnkeyedScope},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, withDir := range []bool{true, false} {
		c := kafkatest.Start(t) // one cluster per topic: kfake answers a second new topic's first produce with unknown topic
		topic := fmt.Sprintf("raw-replay-%v", withDir)
		if err := c.CreateTopic(ctx, topic, 3); err != nil {
			t.Fatal(err)
		}
		p, err := kafka.NewProducer(kafka.ProducerConfig{WriterConfig: kafka.WriterConfig{Brokers: c.Brokers(), Topic: topic, Logger: testLogger()}})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		cfg := kafka.ReplayConfig{Producer: p, Directory: dir}
		if !withDir {
			cfg.Directory = nil
		}
		r, err := kafka.NewReplayer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var batch [][]byte
		want := map[string]string{}
		for _, tc := range tests {
			if (tc.dir != nil) == withDir {
				batch = append(batch, tc.value)
				want[string(tc.value)] = tc.key
			}
		}
		if err := r.Replay(ctx, batch); err != nil {
			t.Fatal(err)
		}
		got, err := c.ReadAll(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(batch) {
			t.Fatalf("topic %s holds %d messages, want %d", topic, len(got), len(batch))
		}
		for _, m := range got {
			if key, ok := want[string(m.Value)]; !ok || string(m.Key) != key {
				t.Errorf("message %q keyed %q, want key %q (known value: %v)", m.Value, m.Key, key, ok)
			}
		}
	}
	if _, err := kafka.NewReplayer(kafka.ReplayConfig{}); err == nil {
		t.Fatal("NewReplayer without a producer: want an error")
	}
}

// TestReplayedRecordIsConsumedAgain: a consumer group that already consumed and committed a
// record receives it again once it is replayed.
func TestReplayedRecordIsConsumedAgain(t *testing.T) {
	c := kafkatest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const topic = "usage-raw-replay"
	if err := c.CreateTopic(ctx, topic, 2); err != nil {
		t.Fatal(err)
	}
	p, err := kafka.NewProducer(kafka.ProducerConfig{WriterConfig: kafka.WriterConfig{Brokers: c.Brokers(), Topic: topic, Logger: testLogger()}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dir := mediationtest.NewDirectory()
	dir.Add("cust-1", mediation.Enrichment{Account: "ACME", Subscription: "S1"})
	original := replayRecord("e-42", "acme", "cust-1")
	if err := p.Produce(ctx, []kafka.Record{{Scope: "ACME", Value: original}}); err != nil {
		t.Fatal(err)
	}
	src, err := kafka.NewSource(sourceConfig(c, topic, "mediation"))
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	stop := running(t, src, rec)
	defer stop()
	waitFor(t, "the original record", 30*time.Second, func() bool { return rec.handledCount() == 1 })

	r, err := kafka.NewReplayer(kafka.ReplayConfig{Producer: p, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Replay(ctx, [][]byte{original}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replayed record", 30*time.Second, func() bool { return rec.handledCount() == 2 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var seen []string
	for _, ms := range rec.handled {
		for _, m := range ms {
			if string(m.Value) != string(original) || string(m.Key) != "ACME" {
				t.Errorf("consumed %q keyed %q, want the original bytes keyed ACME", m.Value, m.Key)
			}
			seen = append(seen, fmt.Sprintf("%d@%d", m.Partition, m.Offset))
		}
	}
	if len(seen) != 2 || seen[0] == seen[1] {
		t.Fatalf("consumed at %v, want the record twice at two offsets", seen)
	}
}
