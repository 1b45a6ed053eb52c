package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
)

// TestReplayKeysByScope: replayed records go to the raw topic byte for byte, keyed as the
// connector keys them (pricing group, else account), or by source / kafka.UnkeyedScope when
// they still cannot be enriched.
func TestReplayKeysByScope(t *testing.T) {
	svc, _ := dirWorld(t) // customer C is in pricing group "acme"
	broker := kafkatest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := broker.CreateTopic(ctx, "raw", 1); err != nil {
		t.Fatal(err)
	}
	p, err := kafka.NewProducer(kafka.ProducerConfig{WriterConfig: kafka.WriterConfig{Brokers: broker.Brokers(), Topic: "raw",
		Logger: slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := &replayer{m: &serveMediation{dir: newBillingDirectory(svc), producer: p}}
	tests := []struct {
		name, raw, key string
	}{
		{"enriched: the pricing group", `{"specversion":"1.0","id":"1","source":"v1","type":"calls","subject":"C","time":"2026-10-05T00:00:00Z","data":{"quantity":1}}`, "acme"},
		{"unknown subject: the source", `{"specversion":"1.0","id":"2","source":"v1","type":"calls","subject":"ghost","time":"2026-10-05T00:00:00Z","data":{"quantity":1}}`, "v1"},
		{"undecodable", `{"specversion":`, kafka.UnkeyedScope},
	}
	var records [][]byte
	for _, tt := range tests {
		records = append(records, []byte(tt.raw))
	}
	if err := r.Replay(ctx, records); err != nil {
		t.Fatal(err)
	}
	got, err := broker.ReadAll(ctx, "raw")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(tests) {
		t.Fatalf("%d records on the topic, want %d", len(got), len(tests))
	}
	for i, tt := range tests {
		if string(got[i].Key) != tt.key || string(got[i].Value) != tt.raw {
			t.Errorf("%s: key %q value %q, want key %q and the original bytes", tt.name, got[i].Key, got[i].Value, tt.key)
		}
	}
}
