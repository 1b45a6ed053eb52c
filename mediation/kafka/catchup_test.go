package kafka_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
)

// TestWaitCaughtUp: with records produced and nothing consumed, the wait ends with ErrBehind
// naming how many records are behind; once a source consumed and committed them, it returns
// nil; records produced after the call do not hold it up.
func TestWaitCaughtUp(t *testing.T) {
	c := kafkatest.Start(t)
	topicWith(t, c, "catchup", 3, 20)
	cfg := kafka.CatchUpConfig{Brokers: c.Brokers(), Topic: "catchup", GroupID: "g", Poll: 10 * time.Millisecond}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err := kafka.WaitCaughtUp(ctx, cfg)
	cancel()
	if !errors.Is(err, kafka.ErrBehind) || !strings.Contains(err.Error(), "60 records not yet mediated") {
		t.Fatalf("before consuming: %v; want ErrBehind with 60 records behind", err)
	}

	rec := newRecorder()
	stop := running(t, newSource(t, sourceConfig(c, "catchup", "g")), rec)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := kafka.WaitCaughtUp(ctx, cfg); err != nil {
		t.Fatalf("with a source consuming: %v", err)
	}
	got := committed(t, c, "g", "catchup", 3)
	for p := range 3 {
		if got[p] != 20 {
			t.Errorf("partition %d committed %d when the wait ended, want 20", p, got[p])
		}
	}
}
