package kafka_test

import (
	"context"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
)

// TestSourceSurvivesBrokerRestart stops the broker under a running Source and starts it again
// on the same port with the same data: the Source rejoins by itself and resumes from its
// commits, losing and repeating nothing.
func TestSourceSurvivesBrokerRestart(t *testing.T) {
	dir := t.TempDir()
	c := kafkatest.Start(t, kfake.DataDir(dir))
	const topic, group, parts, n = "restart-broker", "g-restart-broker", 2, 100
	topicWith(t, c, topic, parts, n)
	_, portStr, err := net.SplitHostPort(c.Brokers()[0])
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(portStr)

	cfg := sourceConfig(c, topic, group)
	rec := newRecorder()
	stop := running(t, newSource(t, cfg), rec)
	waitFor(t, "the first records committed", 30*time.Second, func() bool {
		got := committed(t, c, group, topic, parts)
		return got[0] == n && got[1] == n
	})

	c.Close()
	time.Sleep(300 * time.Millisecond) // the Source sees the broker gone and starts retrying
	c = kafkatest.Start(t, kfake.DataDir(dir), kfake.Ports(port))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for p := range parts {
		if err := c.ProducePartition(ctx, topic, p, values(p, n, 2*n)...); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the records produced after the restart handled", 60*time.Second, func() bool {
		return rec.handledCount() >= parts*2*n
	})
	if err := stop(); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	for p := range parts {
		if got, want := offsets(rec.handled[p]), seq(0, 2*n); !slices.Equal(got, want) {
			t.Errorf("partition %d handled offsets %v, want each of 0..%d once", p, got, 2*n-1)
		}
	}
}
