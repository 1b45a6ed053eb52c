package soak

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
)

// ErrBroker says the soak's broker could not be started or asked for offsets.
var ErrBroker = errors.New("soak: broker")

// Topics and group the service is configured with (docs/configuration.md defaults).
const (
	RawTopic      = "usage.raw"
	RejectedTopic = "usage.rejected"
	Group         = "cascade-mediation"
)

// Broker is the soak's Kafka: kfake in the test process, so the child's RSS is the service's
// own and not an in-process broker holding every record. Records leave the raw topic after
// Retention, or a 30-minute soak would hold them all in the test's memory; a consumer further
// behind than that would lose records, which the final count check would report.
type Broker struct {
	*kafkatest.Cluster
	Partitions int
}

// StartBroker starts the cluster and creates both topics, the raw one with partitions and
// retention.ms = retention (checked every retention/4).
func StartBroker(ctx context.Context, partitions int, retention time.Duration) (*Broker, error) {
	c, err := kafkatest.New(kfake.BrokerConfigs(map[string]string{
		"log.cleaner.backoff.ms": strconv.FormatInt((retention / 4).Milliseconds(), 10)}))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBroker, err)
	}
	conn, err := kafkago.DialContext(ctx, "tcp", c.Brokers()[0])
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: dial: %w", ErrBroker, err)
	}
	defer conn.Close()
	err = conn.CreateTopics(
		kafkago.TopicConfig{Topic: RawTopic, NumPartitions: partitions, ReplicationFactor: 1,
			ConfigEntries: []kafkago.ConfigEntry{{ConfigName: "retention.ms", ConfigValue: strconv.FormatInt(retention.Milliseconds(), 10)}}},
		kafkago.TopicConfig{Topic: RejectedTopic, NumPartitions: 1, ReplicationFactor: 1})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: create topics: %w", ErrBroker, err)
	}
	return &Broker{Cluster: c, Partitions: partitions}, nil
}

// Lag is the records on the raw topic the consumer group has not committed yet: the sum over
// partitions of the high-water mark minus the committed offset (a partition without a commit
// counts from its first offset). Read from the broker, so it is the truth even while the
// service's own lag gauge is stale.
func (b *Broker) Lag(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	reqs := make([]kafkago.OffsetRequest, 0, 2*b.Partitions)
	for p := range b.Partitions {
		reqs = append(reqs, kafkago.FirstOffsetOf(p), kafkago.LastOffsetOf(p))
	}
	client := &kafkago.Client{Addr: kafkago.TCP(b.Brokers()...), Timeout: 10 * time.Second}
	res, err := client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{RawTopic: reqs}})
	if err != nil {
		return 0, fmt.Errorf("%w: end offsets of %s: %w", ErrBroker, RawTopic, err)
	}
	committed, err := b.Committed(ctx, Group, RawTopic, b.Partitions)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBroker, err)
	}
	var lag int64
	for _, p := range res.Topics[RawTopic] {
		if p.Error != nil {
			return 0, fmt.Errorf("%w: offsets of %s/%d: %w", ErrBroker, RawTopic, p.Partition, p.Error)
		}
		from := committed[p.Partition]
		if from < p.FirstOffset {
			from = p.FirstOffset
		}
		lag += max(p.LastOffset-from, 0)
	}
	return lag, nil
}
