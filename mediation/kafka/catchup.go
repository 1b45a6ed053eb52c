package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// CatchUpConfig names the topic and the consumer group WaitCaughtUp watches.
type CatchUpConfig struct {
	Brokers []string
	Topic   string // default DefaultRawTopic
	GroupID string
	// Poll is the pause between two looks at the committed offsets (default 50ms).
	Poll time.Duration
}

// ErrBehind is WaitCaughtUp's error when ctx ended before the group caught up.
var ErrBehind = errors.New("mediation has not caught up")

// WaitCaughtUp returns nil once the consumer group has committed, on every partition of the
// topic, the offset that was the partition's end when it was called. The source commits an
// offset only after the ledger write covering it is durable, so every record produced before the
// call is then in the ledger (accepted, duplicate or rejected): what an invoice cycle must wait
// for before it reads a period's quantities. When ctx ends first the error wraps ErrBehind and
// says how many records are still to be mediated.
func WaitCaughtUp(ctx context.Context, cfg CatchUpConfig) error {
	if cfg.Topic == "" {
		cfg.Topic = DefaultRawTopic
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 50 * time.Millisecond
	}
	if len(cfg.Brokers) == 0 || cfg.GroupID == "" {
		return errors.New("catch-up: brokers and group are required")
	}
	client := &kafkago.Client{Addr: kafkago.TCP(cfg.Brokers...), Timeout: 10 * time.Second}
	meta, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{cfg.Topic}})
	if err != nil {
		return fmt.Errorf("catch-up: metadata of %s: %w", cfg.Topic, err)
	}
	var ids []int
	for _, t := range meta.Topics {
		if t.Name != cfg.Topic {
			continue
		}
		if t.Error != nil {
			return fmt.Errorf("catch-up: topic %s: %w", cfg.Topic, t.Error)
		}
		for _, p := range t.Partitions {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("catch-up: topic %s has no partitions", cfg.Topic)
	}
	reqs := make([]kafkago.OffsetRequest, len(ids))
	for i, id := range ids {
		reqs[i] = kafkago.LastOffsetOf(id)
	}
	ends, err := client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{cfg.Topic: reqs}})
	if err != nil {
		return fmt.Errorf("catch-up: end offsets of %s: %w", cfg.Topic, err)
	}
	target := map[int]int64{}
	for _, p := range ends.Topics[cfg.Topic] {
		if p.Error != nil {
			return fmt.Errorf("catch-up: end offset of %s/%d: %w", cfg.Topic, p.Partition, p.Error)
		}
		target[p.Partition] = p.LastOffset
	}
	last, lastErr := int64(-1), error(nil) // the latest measurement, for the error
	for {
		behind, err := behindBy(ctx, client, cfg, ids, target)
		switch {
		case err == nil && behind == 0:
			return nil
		case err == nil:
			last = behind
		case ctx.Err() == nil:
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if last < 0 {
				return fmt.Errorf("catch-up of group %s on %s: %w: %v", cfg.GroupID, cfg.Topic, ErrBehind, lastErr)
			}
			return fmt.Errorf("catch-up of group %s on %s: %d records not yet mediated: %w", cfg.GroupID, cfg.Topic, last, ErrBehind)
		case <-time.After(cfg.Poll):
		}
	}
}

// behindBy sums, over the partitions, how far the group's committed offsets are from target.
func behindBy(ctx context.Context, client *kafkago.Client, cfg CatchUpConfig, ids []int, target map[int]int64) (int64, error) {
	resp, err := client.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: cfg.GroupID, Topics: map[string][]int{cfg.Topic: ids}})
	if err != nil {
		return 0, err
	}
	committed := map[int]int64{}
	if resp.Error != nil && !errors.Is(resp.Error, kafkago.GroupIdNotFound) {
		return 0, resp.Error
	}
	for _, p := range resp.Topics[cfg.Topic] {
		if p.Error == nil {
			committed[p.Partition] = p.CommittedOffset
		}
	}
	var behind int64
	for _, id := range ids {
		c, ok := committed[id]
		if !ok || c < 0 {
			c = 0
		}
		if d := target[id] - c; d > 0 {
			behind += d
		}
	}
	return behind, nil
}
