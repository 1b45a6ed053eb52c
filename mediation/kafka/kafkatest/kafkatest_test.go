package kafkatest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
)

// The helpers work on one broker and on several, where kfake's controller is the last broker
// (topics must be created through it) and partition leaders are spread over the brokers.
func TestClusterHelpers(t *testing.T) {
	for _, brokers := range []int{1, 3} {
		t.Run(fmt.Sprintf("brokers=%d", brokers), func(t *testing.T) { testClusterHelpers(t, brokers) })
	}
}

func testClusterHelpers(t *testing.T, brokers int) {
	c := kafkatest.Start(t, kfake.NumBrokers(brokers))
	if got := len(c.Brokers()); got != brokers {
		t.Fatalf("%d brokers listening, want %d", got, brokers)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.CreateTopic(ctx, "t", 3); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTopic(ctx, "t", 5); err != nil {
		t.Errorf("creating an existing topic again = %v, want nil (idempotent)", err)
	}
	const n = 2500 // more than one produce chunk
	vals := make([][]byte, n)
	for i := range vals {
		vals[i] = fmt.Appendf(nil, "v%d", i)
	}
	if err := c.ProducePartition(ctx, "t", 1, vals...); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadAll(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("ReadAll returned %d messages, want %d", len(got), n)
	}
	for i, m := range got {
		if m.Partition != 1 || m.Offset != int64(i) || string(m.Value) != string(vals[i]) {
			t.Fatalf("message %d = %d@%d %q, want 1@%d %q", i, m.Partition, m.Offset, m.Value, i, vals[i])
		}
	}
	offs, err := c.Committed(ctx, "nobody", "t", 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(offs) != 3 {
		t.Errorf("Committed returned %d partitions, want 3", len(offs))
	}
	for p := range 3 {
		if offs[p] != -1 {
			t.Errorf("partition %d: committed %d for a group that never committed, want -1", p, offs[p])
		}
	}
	c.Close()
	c.Close() // idempotent
	if err := c.CreateTopic(ctx, "u", 1); err == nil {
		t.Error("CreateTopic on a closed cluster succeeded, want an error")
	}
}
