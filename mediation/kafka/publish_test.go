package kafka_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
)

func TestPublishWritesOutgoingKeyedByScope(t *testing.T) {
	tests := []struct {
		name    string
		records []mediation.Outgoing
		wantErr string
	}{
		{name: "two scopes", records: []mediation.Outgoing{
			{Scope: "acct-1", Value: []byte(`{"id":"a"}`)},
			{Scope: "group-9", Value: []byte(`{"id":"b"}`)},
			{Scope: "acct-1", Value: []byte(`{"id":"c"}`)},
		}},
		{name: "empty", records: nil},
		{name: "missing scope", records: []mediation.Outgoing{{Scope: "x", Value: []byte("1")}, {Value: []byte("2")}}, wantErr: "records[1].scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := kafkatest.Start(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			topic := "raw-" + strings.ReplaceAll(tt.name, " ", "-")
			if err := c.CreateTopic(ctx, topic, 4); err != nil {
				t.Fatal(err)
			}
			p, err := kafka.NewProducer(kafka.ProducerConfig{WriterConfig: kafka.WriterConfig{Brokers: c.Brokers(), Topic: topic, Logger: testLogger()}})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			err = p.Publish(ctx, tt.records)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Publish = %v, want an error naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.ReadAll(ctx, topic)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for _, r := range tt.records {
				want[string(r.Value)] = r.Scope
			}
			if len(got) != len(tt.records) {
				t.Fatalf("read %d records, want %d", len(got), len(tt.records))
			}
			for _, m := range got {
				if scope, ok := want[string(m.Value)]; !ok || scope != string(m.Key) {
					t.Errorf("record %s keyed %q, want %q", m.Value, m.Key, fmt.Sprint(scope))
				}
			}
		})
	}
}
