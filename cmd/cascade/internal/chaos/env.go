package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
)

// RawPartitions is the raw topic's partition count in every scenario: enough for a rebalance
// between two instances to move something, few enough for a 2-core machine.
const RawPartitions = 4

// Env is what the children run against: one private ClickHouse server and one kfake cluster,
// both hosted by the test process and stopped when the test ends. Scenarios share them, each
// with its own database, topics and consumer group.
type Env struct {
	// CH is the ClickHouse server (fault tests Pause, Kill and Restart it).
	CH *clickhousetest.Server
	// Kafka is the in-process broker (fault tests use its Kfake hooks).
	Kafka *kafkatest.Cluster
	// Calendar is the wall-clock placement every scenario of this Env uses.
	Calendar Calendar

	mu sync.Mutex
	n  int // scenarios made, for unique names
}

// StartEnv starts the ClickHouse server and the broker. Under CI=true a missing ClickHouse is a
// failure, never a skip (clickhousetest.Start).
func StartEnv(tb testing.TB) *Env {
	tb.Helper()
	// kfake refuses session timeouts under 6 s by default; the instances use SessionTimeout so
	// that a killed member's partitions move (or a restarted one rejoins) in seconds.
	kf := kafkatest.Start(tb, kfake.GroupMinSessionTimeout(time.Second))
	return &Env{CH: clickhousetest.Start(tb), Kafka: kf, Calendar: NewCalendar(time.Now())}
}

// Scenario is one run of the service over one stream: its own ledger database, raw and
// rejected topics and consumer group on the shared Env, so a baseline and a chaos run never
// see each other's records. Several Instances of one Scenario form one deployment.
type Scenario struct {
	Env           *Env
	Name          string
	Database      string
	RawTopic      string
	RejectedTopic string
	Group         string
	// Calendar is Env.Calendar: the same for every scenario of the Env.
	Calendar Calendar

	prodMu   sync.Mutex
	producer *kafka.Producer
}

// NewScenario creates the scenario's topics (the raw one with RawPartitions) and names its
// database (created by the first instance's start).
func (e *Env) NewScenario(tb testing.TB, name string) *Scenario {
	tb.Helper()
	e.mu.Lock()
	e.n++
	id := fmt.Sprintf("%s_%d", sanitize(name), e.n)
	e.mu.Unlock()
	sc := &Scenario{Env: e, Name: name, Database: "chaos_" + id, RawTopic: "usage.raw." + id,
		RejectedTopic: "usage.rejected." + id, Group: "cascade-" + id, Calendar: e.Calendar}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Kafka.CreateTopic(ctx, sc.RawTopic, RawPartitions); err != nil {
		tb.Fatalf("chaos: scenario %s: %v", name, err)
	}
	if err := e.Kafka.CreateTopic(ctx, sc.RejectedTopic, 1); err != nil {
		tb.Fatalf("chaos: scenario %s: %v", name, err)
	}
	tb.Cleanup(sc.closeProducer)
	return sc
}

// sanitize keeps what a ClickHouse database name and a topic accept unquoted.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '_'
	}, s)
}

// Produce writes messages to the raw topic, keyed by their Key as the product's connector does
// (mediation/kafka.Producer: the FNV-1a hash partitioner, acks=all). It returns after the
// broker acknowledged every one.
func (sc *Scenario) Produce(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	sc.prodMu.Lock()
	defer sc.prodMu.Unlock()
	if sc.producer == nil {
		p, err := kafka.NewProducer(kafka.ProducerConfig{WriterConfig: kafka.WriterConfig{
			Brokers: sc.Env.Kafka.Brokers(), Topic: sc.RawTopic}})
		if err != nil {
			return fmt.Errorf("chaos: scenario %s: producer: %w", sc.Name, err)
		}
		sc.producer = p
	}
	recs := make([]kafka.Record, len(msgs))
	for i, m := range msgs {
		recs[i] = kafka.Record{Scope: m.Key, Value: m.Value}
	}
	// kafka-go's shared transport caches the cluster's metadata (6 s): a topic created after
	// the cache was filled is unknown to it for a while. That error comes from the metadata
	// lookup, before anything is sent, so a retry cannot duplicate a record.
	for deadline := time.Now().Add(20 * time.Second); ; {
		err := sc.producer.Produce(ctx, recs)
		if err == nil {
			return nil
		}
		if !errors.Is(err, kafkago.UnknownTopicOrPartition) || time.Now().After(deadline) {
			return fmt.Errorf("chaos: scenario %s: %w", sc.Name, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("chaos: scenario %s: %w (after %v)", sc.Name, ctx.Err(), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (sc *Scenario) closeProducer() {
	sc.prodMu.Lock()
	defer sc.prodMu.Unlock()
	if sc.producer != nil {
		_ = sc.producer.Close()
		sc.producer = nil
	}
}

// WaitCaughtUp returns once the scenario's group has committed every record the raw topic
// held when called: everything produced before is in the ledger (accepted, duplicate or
// rejected). It fails when ctx ends first.
func (sc *Scenario) WaitCaughtUp(ctx context.Context) error {
	err := kafka.WaitCaughtUp(ctx, kafka.CatchUpConfig{Brokers: sc.Env.Kafka.Brokers(), Topic: sc.RawTopic, GroupID: sc.Group})
	if err != nil {
		return fmt.Errorf("chaos: scenario %s: %w", sc.Name, err)
	}
	return nil
}
