package kafka_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
)

// ownership is the shared view of who owns which partition, fed by the members' callbacks; it
// records every moment two members would own one partition, or one handles what it does not own.
type ownership struct {
	mu         sync.Mutex
	owner      map[int]string
	handled    map[[2]int64]int // (partition, offset) → times handled, over all members
	events     map[string][]string
	violations []string
}

func newOwnership() *ownership {
	return &ownership{owner: map[int]string{}, handled: map[[2]int64]int{}, events: map[string][]string{}}
}

func (o *ownership) owned(name string) []int {
	o.mu.Lock()
	defer o.mu.Unlock()
	var ps []int
	for p, n := range o.owner {
		if n == name {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	return ps
}

func (o *ownership) distinctHandled() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.handled)
}

// member is one group member's Handler.
type member struct {
	name string
	o    *ownership
}

func (m member) Handle(_ context.Context, batch []mediation.Message) error {
	m.o.mu.Lock()
	defer m.o.mu.Unlock()
	p := batch[0].Partition
	if owner := m.o.owner[p]; owner != m.name {
		m.o.violations = append(m.o.violations, fmt.Sprintf("%s handled partition %d owned by %q", m.name, p, owner))
	}
	for _, msg := range batch {
		m.o.handled[[2]int64{int64(msg.Partition), msg.Offset}]++
	}
	return nil
}

func (m member) Assigned(_ context.Context, _ string, partitions []int) error {
	m.o.mu.Lock()
	defer m.o.mu.Unlock()
	for _, p := range partitions {
		if owner, ok := m.o.owner[p]; ok {
			m.o.violations = append(m.o.violations, fmt.Sprintf("%s assigned partition %d still owned by %s", m.name, p, owner))
		}
		m.o.owner[p] = m.name
	}
	m.o.events[m.name] = append(m.o.events[m.name], fmt.Sprintf("assigned %v", sorted(partitions)))
	return nil
}

func (m member) Revoked(_ context.Context, _ string, partitions []int) error {
	m.o.mu.Lock()
	defer m.o.mu.Unlock()
	for _, p := range partitions {
		if owner := m.o.owner[p]; owner != m.name {
			m.o.violations = append(m.o.violations, fmt.Sprintf("%s revoked partition %d owned by %q", m.name, p, owner))
		}
		delete(m.o.owner, p)
	}
	m.o.events[m.name] = append(m.o.events[m.name], fmt.Sprintf("revoked %v", sorted(partitions)))
	return nil
}

func TestSourcesInOneGroupSharePartitions(t *testing.T) {
	c := kafkatest.Start(t)
	const topic, group, parts = "shared", "g-shared", 4
	topicWith(t, c, topic, parts, 200)
	o := newOwnership()
	all := []int{0, 1, 2, 3}
	cfg := sourceConfig(c, topic, group)

	stopA := running(t, newSource(t, cfg), member{"A", o})
	waitFor(t, "A owns every partition", 30*time.Second, func() bool { return slices.Equal(o.owned("A"), all) })

	// Records keep arriving through both rebalances (B joins, B leaves): none may be lost.
	stopFeed := feed(c, topic, parts, 200)
	stopB := running(t, newSource(t, cfg), member{"B", o})
	waitFor(t, "A and B share the partitions", 30*time.Second, func() bool {
		a, b := o.owned("A"), o.owned("B")
		return len(a) > 0 && len(b) > 0 && len(a)+len(b) == parts
	})
	time.Sleep(200 * time.Millisecond) // both members consume side by side for a while
	if err := stopB(); err != nil {
		t.Fatalf("B: Run = %v, want nil", err)
	}
	waitFor(t, "A owns every partition again", 30*time.Second, func() bool { return slices.Equal(o.owned("A"), all) })
	produced, err := stopFeed()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d records, %d of them produced during the rebalances", produced, produced-parts*200)
	waitFor(t, "everything produced handled", 30*time.Second, func() bool { return o.distinctHandled() == produced })
	if err := stopA(); err != nil {
		t.Fatalf("A: Run = %v, want nil", err)
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	for _, v := range o.violations {
		t.Error(v)
	}
	if len(o.owner) != 0 {
		t.Errorf("partitions still owned after both members stopped: %v", o.owner)
	}
	// Commit-before-revoke means a clean rebalance hands over without redelivery.
	for k, n := range o.handled {
		if n != 1 {
			t.Errorf("partition %d offset %d handled %d times, want once", k[0], k[1], n)
		}
	}
	// Per member: Assigned and Revoked alternate, each revoking exactly what was assigned.
	for name, evs := range o.events {
		if len(evs)%2 != 0 {
			t.Errorf("%s: unbalanced callbacks %v", name, evs)
			continue
		}
		for i := 0; i < len(evs); i += 2 {
			if !strings.HasPrefix(evs[i], "assigned ") {
				t.Errorf("%s: event %d is %q, want an assignment", name, i, evs[i])
				continue
			}
			if want := "revoked" + evs[i][len("assigned"):]; evs[i+1] != want {
				t.Errorf("%s: event %d is %q, want %q", name, i+1, evs[i+1], want)
			}
		}
	}
	if len(o.events["B"]) == 0 {
		t.Error("B never got partitions")
	}
	t.Logf("callbacks: A %v; B %v", o.events["A"], o.events["B"])
}

// feed appends small chunks to every partition until stopped, starting after `from` values per
// partition; stop returns the total number of records in the topic.
func feed(c *kafkatest.Cluster, topic string, parts, from int) (stop func() (int, error)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	next := make([]int, parts) // per partition: values written so far
	for p := range next {
		next[p] = from
	}
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			for p := range parts {
				// Not bound to ctx: a chunk is either written whole or the feed fails.
				if err := c.ProducePartition(context.Background(), topic, p, values(p, next[p], next[p]+20)...); err != nil {
					done <- err
					return
				}
				next[p] += 20
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return func() (int, error) {
		cancel()
		err := <-done
		total := 0
		for _, n := range next {
			total += n
		}
		return total, err
	}
}
