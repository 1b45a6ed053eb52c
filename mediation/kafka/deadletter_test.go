package kafka_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
	kafkago "github.com/segmentio/kafka-go"
)

func TestDeadLetterWriterPublishesOriginalBytesAndHeaders(t *testing.T) {
	c := kafkatest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const topic = "rejected"
	if err := c.CreateTopic(ctx, topic, 3); err != nil {
		t.Fatal(err)
	}
	fixed := time.Date(2026, 3, 1, 12, 30, 0, 123456789, time.UTC)
	dl, err := kafka.NewDeadLetterWriter(kafka.DeadLetterConfig{WriterConfig: kafka.WriterConfig{
		Brokers: c.Brokers(), Topic: topic, Logger: testLogger(), Clock: func() time.Time { return fixed },
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()

	at := time.Date(2026, 2, 28, 23, 59, 59, 5, time.FixedZone("CET", 3600))
	rejected := []mediation.Rejected{
		{
			Message: mediation.Message{Topic: "usage.raw", Partition: 2, Offset: 41, Key: []byte("acct-1"), Value: []byte(`{"id":"e1","quantity":"-3"}`)},
			Reason:  "negative_quantity", Detail: "data.quantity: -3 < 0 (event e1)", At: at,
			Source: "acme-gw", EventID: "e1",
		},
		{
			Message: mediation.Message{Topic: "usage.raw", Partition: 0, Offset: 7, Key: []byte("group-9"), Value: []byte{0xff, 0x00, 0xfe}},
			Reason:  "malformed_json", Detail: "offset 0: invalid character", // At zero: the writer's clock
		},
		{
			Message: mediation.Message{Topic: "usage.raw", Partition: 1, Offset: 1 << 40, Value: []byte(`{}`)},
			Reason:  "missing_field", Detail: "id: required",
		},
	}
	if err := dl.Publish(ctx, rejected); err != nil {
		t.Fatal(err)
	}
	if err := dl.Publish(ctx, nil); err != nil {
		t.Fatalf("Publish(nil) = %v, want nil", err)
	}

	got, err := c.ReadAll(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rejected) {
		t.Fatalf("read %d dead letters, want %d", len(got), len(rejected))
	}
	byOrigin := map[string]kafkago.Message{}
	for _, m := range got {
		byOrigin[header(m, kafka.HeaderOriginPartition)+"@"+header(m, kafka.HeaderOriginOffset)] = m
	}
	for _, r := range rejected {
		key := strconv.Itoa(r.Partition) + "@" + strconv.FormatInt(r.Offset, 10)
		m, ok := byOrigin[key]
		if !ok {
			t.Errorf("no dead letter for origin %s", key)
			continue
		}
		wantAt := r.At
		if wantAt.IsZero() {
			wantAt = fixed
		}
		want := map[string]string{
			kafka.HeaderReason:      r.Reason,
			kafka.HeaderDetail:      r.Detail,
			kafka.HeaderOriginTopic: r.Topic,
			kafka.HeaderRejectedAt:  wantAt.UTC().Format(time.RFC3339Nano),
			kafka.HeaderSource:      r.Source,
			kafka.HeaderEventID:     r.EventID,
		}
		if r.Source == "" { // not decoded that far: no header rather than an empty one
			want[kafka.HeaderSource], want[kafka.HeaderEventID] = "<missing>", "<missing>"
		}
		for h, v := range want {
			if got := header(m, h); got != v {
				t.Errorf("origin %s header %s = %q, want %q", key, h, got, v)
			}
		}
		if string(m.Value) != string(r.Value) || string(m.Key) != string(r.Key) {
			t.Errorf("origin %s: key %q value %q, want the original key %q value %q", key, m.Key, m.Value, r.Key, r.Value)
		}
		parsed, err := time.Parse(time.RFC3339Nano, header(m, kafka.HeaderRejectedAt))
		if err != nil || !parsed.Equal(wantAt) {
			t.Errorf("origin %s: rejected-at parses to %v (%v), want %v", key, parsed, err, wantAt)
		}
	}
}

func TestDeadLetterWriterFailsWithoutAcknowledgement(t *testing.T) {
	c := kafkatest.Start(t)
	dl, err := kafka.NewDeadLetterWriter(kafka.DeadLetterConfig{WriterConfig: kafka.WriterConfig{
		Brokers: c.Brokers(), Topic: "no-such-topic", MaxAttempts: 2, Logger: testLogger(),
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer dl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = dl.Publish(ctx, []mediation.Rejected{{Message: mediation.Message{Value: []byte("x")}, Reason: "r"}})
	if err == nil {
		t.Fatal("Publish to a missing topic = nil, want an error: nothing was acknowledged")
	}
	if !strings.Contains(err.Error(), "no-such-topic") {
		t.Errorf("error %q does not name the topic", err)
	}
	t.Logf("Publish error: %v", err)
}

func header(m kafkago.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return "<missing>"
}
