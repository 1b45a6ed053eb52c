package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ledger is a mediation.Handler shared by the members of a fault test. It stands for the real
// sink: it stores each value once (the ledger's deterministic ids make a second write a no-op)
// and counts the copies it absorbed. It also checks, per member generation, that each
// partition's batches are contiguous: a redelivery may only come from a new owner restarting at
// the committed offset, never inside one generation, and no offset may be skipped anywhere.
type ledger struct {
	mu          sync.Mutex
	gen         map[string]int           // member → generations it was assigned
	next        map[string]map[int]int64 // member → partition → next offset this generation
	maxHandled  map[int]int64            // partition → highest offset handled by anyone
	stored      map[string]int           // value → times handed to the sink
	redelivered int                      // copies absorbed by dedup
	restarts    map[int]int              // partition → generation starts that rewound
	violations  []string                 // gaps, disorder, wrong values
	starts      map[int][]int64          // partition → each generation's first offset, in order
	// committed reads the group's committed offsets; a generation must start exactly there.
	committed func() (map[int]int64, error)
	expect    map[string]map[int]int64 // member → partition → committed offset at Assigned (-2: unknown)
	unchecked int                      // generations whose committed offsets could not be read
}

func newLedger(committed func() (map[int]int64, error)) *ledger {
	return &ledger{committed: committed, expect: map[string]map[int]int64{},
		gen: map[string]int{}, next: map[string]map[int]int64{}, maxHandled: map[int]int64{},
		stored: map[string]int{}, restarts: map[int]int{}, starts: map[int][]int64{},
	}
}

// member returns the Handler one Source of the group runs with.
func (l *ledger) member(name string) mediation.Handler { return ledgerMember{l: l, name: name} }

type ledgerMember struct {
	l    *ledger
	name string
}

func (m ledgerMember) Assigned(_ context.Context, _ string, partitions []int) error {
	// Read outside the lock: the other member's callbacks must not wait on the network. No one
	// commits these partitions now (the previous owner flushed before it let go of them), so
	// this is where the Source must start each of them.
	committed, err := m.l.committed()
	m.l.mu.Lock()
	defer m.l.mu.Unlock()
	m.l.gen[m.name]++
	m.l.next[m.name] = map[int]int64{}
	m.l.expect[m.name] = map[int]int64{}
	for _, p := range partitions {
		m.l.next[m.name][p] = -1 // the first batch sets it
		m.l.expect[m.name][p] = -2
		if err == nil {
			m.l.expect[m.name][p] = max(committed[p], 0) // no commit yet: from the first offset
		}
	}
	if err != nil {
		m.l.unchecked++
	}
	return nil
}

func (m ledgerMember) Revoked(_ context.Context, _ string, partitions []int) error {
	m.l.mu.Lock()
	defer m.l.mu.Unlock()
	for _, p := range partitions {
		delete(m.l.next[m.name], p)
	}
	return nil
}

func (m ledgerMember) Handle(_ context.Context, batch []mediation.Message) error {
	l := m.l
	l.mu.Lock()
	defer l.mu.Unlock()
	p := batch[0].Partition
	next, owned := l.next[m.name][p]
	if !owned {
		l.violations = append(l.violations, fmt.Sprintf("%s handled partition %d outside its assignment", m.name, p))
		return nil
	}
	if next == -1 { // the generation's first batch: the committed offset, whatever we did before
		next = batch[0].Offset
		l.starts[p] = append(l.starts[p], next)
		if want := l.expect[m.name][p]; want != -2 && next != want {
			l.violations = append(l.violations, fmt.Sprintf("%s gen %d partition %d: started at offset %d, the group's committed offset is %d",
				m.name, l.gen[m.name], p, next, want))
		}
		if prev, ok := l.maxHandled[p]; ok && next <= prev {
			l.restarts[p]++
		}
	}
	for _, msg := range batch {
		if msg.Offset != next {
			l.violations = append(l.violations, fmt.Sprintf("%s gen %d partition %d: offset %d after %d (skipped or repeated inside one generation)",
				m.name, l.gen[m.name], p, msg.Offset, next-1))
		}
		if want := fmt.Sprintf("p%d-%d", p, msg.Offset); string(msg.Value) != want {
			l.violations = append(l.violations, fmt.Sprintf("partition %d offset %d holds %q, want %q", p, msg.Offset, msg.Value, want))
		}
		if prev, ok := l.maxHandled[p]; (!ok && msg.Offset != 0) || (ok && msg.Offset > prev+1) {
			l.violations = append(l.violations, fmt.Sprintf("partition %d: offset %d handled after max %d: records skipped (lost)", p, msg.Offset, prev))
		}
		if prev, ok := l.maxHandled[p]; !ok || msg.Offset > prev {
			l.maxHandled[p] = msg.Offset
		}
		l.stored[string(msg.Value)]++
		if l.stored[string(msg.Value)] > 1 {
			l.redelivered++
		}
		next = msg.Offset + 1
	}
	l.next[m.name][p] = next
	return nil
}

// distinct is how many different records reached the sink.
func (l *ledger) distinct() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.stored)
}

// verify fails t on any violation, and unless every record of 0..want[p]-1 reached the sink.
func (l *ledger) verify(t *testing.T, want map[int]int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, v := range l.violations {
		t.Error(v)
	}
	total := 0
	for p, n := range want {
		total += n
		for i := range n {
			if l.stored[fmt.Sprintf("p%d-%d", p, i)] == 0 {
				t.Errorf("partition %d offset %d never reached the sink: lost", p, i)
				break
			}
		}
	}
	if len(l.stored) != total {
		t.Errorf("the sink holds %d distinct records, want %d", len(l.stored), total)
	}
	t.Logf("%d records, %d redelivered copies absorbed by dedup; rewinding generation starts %v; starts per partition %v; %d generation starts unchecked",
		total, l.redelivered, l.restarts, l.starts, l.unchecked)
}

// faultRun is the shape of every Source fault test: a topic with records, members consuming it
// into one ledger, a fault injected once the first records are handled while more records
// arrive, then the fault removed; at the end everything produced is handled and committed.
type faultRun struct {
	brokers, partitions, members int
	// inject starts the fault on the running cluster, after the first records were handled;
	// it returns the fault's remover and a condition that holds once the fault has bitten.
	inject func(t *testing.T, c *kafkatest.Cluster, group string) (remove func(), bitten func() bool)
}

func (fr faultRun) run(t *testing.T, name string) {
	topic, group := "faults-"+name, "g-faults-"+name
	c := kafkatest.Start(t, kfake.NumBrokers(fr.brokers), kfake.SeedTopics(int32(fr.partitions), topic))
	const first = 200
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for p := range fr.partitions {
		if err := c.ProducePartition(ctx, topic, p, values(p, 0, first)...); err != nil {
			t.Fatal(err)
		}
	}
	cfg := sourceConfig(c, topic, group)
	cfg.BatchSize = 20
	l := newLedger(func() (map[int]int64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return c.Committed(ctx, group, topic, fr.partitions)
	})
	var stops []func() error
	for i := range fr.members {
		stops = append(stops, running(t, newSource(t, cfg), l.member(fmt.Sprintf("m%d", i))))
	}
	waitFor(t, "the first records handled", 30*time.Second, func() bool { return l.distinct() >= first })

	stopFeed := feed(c, topic, fr.partitions, first)
	remove, bitten := fr.inject(t, c, group)
	waitFor(t, "the fault to bite", 30*time.Second, bitten)
	time.Sleep(300 * time.Millisecond) // let the members run into it for a while
	remove()
	total, err := stopFeed()
	if err != nil {
		t.Fatal(err)
	}
	perPartition := total / fr.partitions // feed writes every partition equally
	want := map[int]int{}
	for p := range fr.partitions {
		want[p] = perPartition
	}
	waitFor(t, "every record handled and committed after the fault", 60*time.Second, func() bool {
		if l.distinct() < total {
			return false
		}
		got := committed(t, c, group, topic, fr.partitions)
		for p := range fr.partitions {
			if got[p] != int64(perPartition) {
				return false
			}
		}
		return true
	})
	for i, stop := range stops {
		if err := stop(); err != nil {
			t.Errorf("member %d: Run = %v, want nil", i, err)
		}
	}
	l.verify(t, want)
}

// faultHits is a bitten condition: the faults answered at least n requests.
func faultHits(h *kfake.FaultHandle, n int) func() bool {
	return func() bool { return h.Hits() >= n }
}

// TestSourceBrokerFaults consumes through fetch failures, dropped fetch connections, failing
// commits, group-coordinator moves and partition-leader moves: no record is lost, and none
// reaches the sink twice except as a new generation's redelivery from the group's committed
// offset, which the sink's dedup absorbs.
func TestSourceBrokerFaults(t *testing.T) {
	tests := []struct {
		name string
		fr   faultRun
	}{
		{"fetch-retriable", faultRun{brokers: 1, partitions: 3, members: 1,
			inject: func(_ *testing.T, c *kafkatest.Cluster, _ string) (func(), func() bool) {
				h := c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Err: kerr.NotLeaderForPartition, Count: 30})
				return h.Remove, faultHits(h, 10)
			}}},
		{"fetch-fatal", faultRun{brokers: 1, partitions: 3, members: 1,
			inject: func(_ *testing.T, c *kafkatest.Cluster, _ string) (func(), func() bool) {
				h := c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Err: kerr.UnknownServerError, Count: -1})
				return h.Remove, faultHits(h, 10)
			}}},
		{"fetch-connection-dropped", faultRun{brokers: 1, partitions: 3, members: 1,
			inject: func(_ *testing.T, c *kafkatest.Cluster, _ string) (func(), func() bool) {
				return controlUntilRemoved(c.Kfake(), kmsg.Fetch, 10)
			}}},
		{"commit-failing", faultRun{brokers: 1, partitions: 3, members: 1,
			inject: func(_ *testing.T, c *kafkatest.Cluster, group string) (func(), func() bool) {
				h := c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit}, Group: group, Err: kerr.UnknownServerError, Count: -1})
				return h.Remove, faultHits(h, 5)
			}}},
		{"coordinator-not-coordinator", faultRun{brokers: 3, partitions: 4, members: 2,
			inject: func(_ *testing.T, c *kafkatest.Cluster, group string) (func(), func() bool) {
				h := c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetCommit, kmsg.Heartbeat}, Group: group,
					Err: kerr.NotCoordinator, Count: 20})
				return h.Remove, faultHits(h, 20)
			}}},
		{"coordinator-moved", faultRun{brokers: 3, partitions: 4, members: 2,
			inject: func(t *testing.T, c *kafkatest.Cluster, group string) (func(), func() bool) {
				return moveCoordinator(t, c.Kfake(), group)
			}}},
		{"leaders-moved", faultRun{brokers: 3, partitions: 4, members: 2,
			inject: func(t *testing.T, c *kafkatest.Cluster, _ string) (func(), func() bool) {
				return moveLeaders(t, c.Kfake(), "faults-leaders-moved", 4)
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fr.run(t, tt.name)
		})
	}
}

// controlUntilRemoved closes the connection of every request with key until removed; it has
// bitten after n such requests.
func controlUntilRemoved(c *kfake.Cluster, key kmsg.Key, n int64) (func(), func() bool) {
	var off atomic.Bool
	var hits atomic.Int64
	c.ControlKey(int16(key), func(kmsg.Request) (kmsg.Response, error, bool) {
		if off.Load() {
			c.DropControl()
			return nil, nil, false
		}
		c.KeepControl()
		hits.Add(1)
		return nil, errors.New("injected: connection dropped"), true
	})
	return func() { off.Store(true) }, func() bool { return hits.Load() >= n }
}

// moveCoordinator rehashes the coordinators until the group's lands on another broker: the
// old coordinator answers the members NOT_COORDINATOR and they must find the new one, with the
// group's committed offsets (kfake keeps them cluster-wide, like Kafka's offsets topic).
func moveCoordinator(t *testing.T, c *kfake.Cluster, group string) (func(), func() bool) {
	t.Helper()
	before := c.CoordinatorFor(group)
	for range 100 {
		c.RehashCoordinators()
		if c.CoordinatorFor(group) != before {
			break
		}
	}
	after := c.CoordinatorFor(group)
	if after == before {
		t.Fatalf("the coordinator of %s stayed on node %d after 100 rehashes", group, before)
	}
	t.Logf("coordinator of %s moved from node %d to node %d", group, before, after)
	// Bitten once the old coordinator has told a member NOT_COORDINATOR and it found the new:
	// observed as a request to the new node about the group.
	var reached atomic.Bool
	h := c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Heartbeat, kmsg.OffsetCommit, kmsg.JoinGroup, kmsg.SyncGroup},
		Nodes: []int32{after}, Group: group, Observe: true, Count: -1,
		When: func(kmsg.Request) bool { reached.Store(true); return true }})
	return h.Remove, reached.Load
}

// moveLeaders moves every partition of topic to the next broker: the old leader answers fetches
// NOT_LEADER_OR_FOLLOWER and the readers must find the new one. It has bitten once every new
// leader served a fetch of the topic.
func moveLeaders(t *testing.T, c *kfake.Cluster, topic string, partitions int) (func(), func() bool) {
	t.Helper()
	var mu sync.Mutex
	fetched := map[int32]bool{}
	var handles []*kfake.FaultHandle
	for p := range int32(partitions) {
		to := (c.LeaderFor(topic, p) + 1) % 3
		if err := c.MoveTopicPartition(topic, p, to); err != nil {
			t.Fatal(err)
		}
		handles = append(handles, c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Nodes: []int32{to}, Topic: topic,
			Partitions: []int32{p}, Observe: true, Count: -1,
			When: func(kmsg.Request) bool { mu.Lock(); fetched[p] = true; mu.Unlock(); return true }}))
	}
	remove := func() {
		for _, h := range handles {
			h.Remove()
		}
	}
	return remove, func() bool { mu.Lock(); defer mu.Unlock(); return len(fetched) == partitions }
}
