// Package kafkatest starts an in-process Kafka-protocol cluster (kfake from franz-go) on a
// loopback port, reached over TCP by kafka-go like any real broker, plus the few helpers tests
// need around it: create topics, produce to an exact partition, read a topic back, read a
// group's committed offsets. Tests of mediation/kafka, the end-to-end tests in cmd/cascade and
// the chaos tests share it, so none of them needs a broker installed.
package kafkatest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Cluster is a running in-process cluster.
type Cluster struct {
	c       *kfake.Cluster
	brokers []string
}

// New starts a single-broker cluster on a free loopback port. Extra kfake options apply after
// the default kfake.NumBrokers(1), so they can override it. The caller must Close it.
func New(opts ...kfake.Opt) (*Cluster, error) {
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("start in-process kafka cluster: %w", err)
	}
	return &Cluster{c: c, brokers: c.ListenAddrs()}, nil
}

// Start is New for tests: the cluster closes when tb ends, and a failure to start is fatal —
// never a skip, the broker is in-process and must always start.
func Start(tb testing.TB, opts ...kfake.Opt) *Cluster {
	tb.Helper()
	c, err := New(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// Brokers returns the host:port of every broker.
func (c *Cluster) Brokers() []string { return append([]string(nil), c.brokers...) }

// Kfake returns the underlying kfake cluster, for fault tests that inject broker errors with its
// request hooks (Fault, ControlKey) or move coordinators and partition leaders.
func (c *Cluster) Kfake() *kfake.Cluster { return c.c }

// Close stops the cluster; it is idempotent.
func (c *Cluster) Close() { c.c.Close() }

// CreateTopic creates topic with the given number of partitions; a topic that already exists
// is left as it is.
func (c *Cluster) CreateTopic(ctx context.Context, topic string, partitions int) error {
	// kafka-go's Client sends CreateTopics to the controller, which a cluster of several brokers
	// requires (a Conn to broker 0 is answered NOT_CONTROLLER when another broker controls).
	cl := &kafkago.Client{Addr: kafkago.TCP(c.brokers...), Timeout: 10 * time.Second}
	res, err := cl.CreateTopics(ctx, &kafkago.CreateTopicsRequest{
		Topics: []kafkago.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}}})
	if err == nil {
		err = res.Errors[topic]
	}
	if err != nil && !errors.Is(err, kafkago.TopicAlreadyExists) {
		return fmt.Errorf("create topic %s with %d partitions: %w", topic, partitions, err)
	}
	return nil
}

// ProducePartition appends values to one partition, in order, and returns after the broker
// acknowledged them. Writing to an exact partition lets tests assert per-partition order.
func (c *Cluster) ProducePartition(ctx context.Context, topic string, partition int, values ...[]byte) error {
	conn, err := kafkago.DialLeader(ctx, "tcp", c.brokers[0], topic, partition)
	if err != nil {
		return fmt.Errorf("produce to %s/%d: dial leader: %w", topic, partition, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetWriteDeadline(dl)
	}
	const chunk = 1000 // keeps one produce request well under the broker's size limit
	msgs := make([]kafkago.Message, 0, chunk)
	for start := 0; start < len(values); start += chunk {
		msgs = msgs[:0]
		for _, v := range values[start:min(start+chunk, len(values))] {
			msgs = append(msgs, kafkago.Message{Value: v})
		}
		if _, err := conn.WriteMessages(msgs...); err != nil {
			return fmt.Errorf("produce to %s/%d at value %d: %w", topic, partition, start, err)
		}
	}
	return nil
}

// ReadAll returns every message of every partition of topic, partition by partition in offset
// order, reading up to each partition's end offset at the time of the call.
func (c *Cluster) ReadAll(ctx context.Context, topic string) ([]kafkago.Message, error) {
	parts, err := c.partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	var out []kafkago.Message
	for _, p := range parts {
		msgs, err := c.readPartition(ctx, topic, p)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
	}
	return out, nil
}

func (c *Cluster) partitions(ctx context.Context, topic string) ([]int, error) {
	conn, err := kafkago.DialContext(ctx, "tcp", c.brokers[0])
	if err != nil {
		return nil, fmt.Errorf("read %s: dial: %w", topic, err)
	}
	defer conn.Close()
	ps, err := conn.ReadPartitions(topic)
	if err != nil {
		return nil, fmt.Errorf("read %s: partitions: %w", topic, err)
	}
	ids := make([]int, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids, nil
}

func (c *Cluster) readPartition(ctx context.Context, topic string, partition int) ([]kafkago.Message, error) {
	conn, err := kafkago.DialLeader(ctx, "tcp", c.brokers[0], topic, partition)
	if err != nil {
		return nil, fmt.Errorf("read %s/%d: dial leader: %w", topic, partition, err)
	}
	defer conn.Close()
	first, last, err := conn.ReadOffsets()
	if err != nil {
		return nil, fmt.Errorf("read %s/%d: offsets: %w", topic, partition, err)
	}
	if _, err := conn.Seek(first, kafkago.SeekAbsolute); err != nil {
		return nil, fmt.Errorf("read %s/%d: seek %d: %w", topic, partition, first, err)
	}
	var out []kafkago.Message
	for next := first; next < last; {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		batch := conn.ReadBatch(1, 10<<20)
		for {
			m, err := batch.ReadMessage()
			if err != nil {
				break
			}
			out = append(out, m)
			next = m.Offset + 1
		}
		if err := batch.Close(); err != nil && !errors.Is(err, context.Canceled) {
			return nil, fmt.Errorf("read %s/%d at offset %d: %w", topic, partition, next, err)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("read %s/%d at offset %d: %w", topic, partition, next, ctx.Err())
		}
	}
	return out, nil
}

// Committed returns the group's committed offset (the next offset to consume) for each of
// partitions of topic; a partition without a commit, or a group the broker does not know yet,
// maps to -1 (as a real broker answers; kfake reports the unknown group as an error).
func (c *Cluster) Committed(ctx context.Context, group, topic string, partitions int) (map[int]int64, error) {
	ids := make([]int, partitions)
	for i := range ids {
		ids[i] = i
	}
	client := &kafkago.Client{Addr: kafkago.TCP(c.brokers...), Timeout: 5 * time.Second}
	resp, err := client.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: ids}})
	if err != nil {
		return nil, fmt.Errorf("committed offsets of group %s on %s: %w", group, topic, err)
	}
	out := make(map[int]int64, partitions)
	for _, id := range ids {
		out[id] = -1
	}
	if errors.Is(resp.Error, kafkago.GroupIdNotFound) {
		return out, nil
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("committed offsets of group %s on %s: %w", group, topic, resp.Error)
	}
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("committed offset of group %s on %s/%d: %w", group, topic, p.Partition, p.Error)
		}
		out[p.Partition] = p.CommittedOffset
	}
	return out, nil
}
