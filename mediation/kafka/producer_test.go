package kafka_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
)

func TestProducerKeepsOneScopeOnOnePartition(t *testing.T) {
	tests := []struct {
		partitioner kafka.Partitioner
	}{
		{kafka.PartitionerFNV1a},
		{kafka.PartitionerMurmur2},
	}
	for _, tt := range tests {
		t.Run(string(tt.partitioner), func(t *testing.T) {
			c := kafkatest.Start(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			const topic, parts, scopes, perScope = "raw", 8, 24, 30
			if err := c.CreateTopic(ctx, topic, parts); err != nil {
				t.Fatal(err)
			}
			p, err := kafka.NewProducer(kafka.ProducerConfig{WriterConfig: kafka.WriterConfig{
				Brokers: c.Brokers(), Topic: topic, Partitioner: tt.partitioner, Logger: testLogger(),
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			// Interleaved scopes over several calls: placement must not depend on the call.
			for round := range perScope / 10 {
				var recs []kafka.Record
				for i := range 10 {
					for s := range scopes {
						recs = append(recs, kafka.Record{Scope: fmt.Sprintf("acct-%d", s), Value: fmt.Appendf(nil, "%d-%d", s, round*10+i)})
					}
				}
				if err := p.Produce(ctx, recs); err != nil {
					t.Fatal(err)
				}
			}

			got, err := c.ReadAll(ctx, topic)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != scopes*perScope {
				t.Fatalf("read %d records, want %d", len(got), scopes*perScope)
			}
			partitionOf := map[string]int{}
			next := map[string]int{}
			used := map[int]bool{}
			for _, m := range got {
				scope := string(m.Key)
				if p, ok := partitionOf[scope]; ok && p != m.Partition {
					t.Fatalf("scope %s on partitions %d and %d", scope, p, m.Partition)
				}
				partitionOf[scope] = m.Partition
				used[m.Partition] = true
				// Within its partition a scope's records keep the order they were produced in.
				s, _, _ := strings.Cut(string(m.Value), "-")
				if want := fmt.Sprintf("%s-%d", s, next[scope]); string(m.Value) != want || "acct-"+s != scope {
					t.Fatalf("scope %s: record %q, want %q", scope, m.Value, want)
				}
				next[scope]++
			}
			if len(partitionOf) != scopes {
				t.Errorf("%d scopes read back, want %d", len(partitionOf), scopes)
			}
			if len(used) < 2 {
				t.Errorf("%d scopes all on %d partition(s): the key does not spread load", scopes, len(used))
			}
		})
	}
}

func TestProducerRejectsRecordWithoutScope(t *testing.T) {
	c := kafkatest.Start(t)
	p, err := kafka.NewProducer(kafka.ProducerConfig{WriterConfig: kafka.WriterConfig{Brokers: c.Brokers(), Logger: testLogger()}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	err = p.Produce(context.Background(), []kafka.Record{{Scope: "a", Value: []byte("1")}, {Value: []byte("2")}})
	if err == nil || !strings.Contains(err.Error(), "records[1].scope") {
		t.Fatalf("Produce = %v, want an error naming records[1].scope", err)
	}
}
