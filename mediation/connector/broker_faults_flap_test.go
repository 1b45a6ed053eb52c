package connector_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestConnectorFlappingBroker has concurrent clients send usage while produce faults come and
// go on a changing partition, each client resending a request answered 503 until it is
// accepted, as the Retry-After asks. Every record the clients were told accepted is on the
// topic, and no record is there more often than its request was sent: a failed attempt writes
// at most the records of the partitions that did not fail, once.
func TestConnectorFlappingBroker(t *testing.T) {
	c := kafkatest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := c.CreateTopic(ctx, faultRawTopic, faultPartitions); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTopic(ctx, faultRejectedTopic, 1); err != nil {
		t.Fatal(err)
	}
	srv := faultServer(t, c)

	stopFlap := make(chan struct{})
	flapDone := make(chan int)
	go func() {
		flips := 0
		for p := int32(0); ; p = (p + 1) % faultPartitions {
			h := c.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: faultRawTopic, Partitions: []int32{p},
				Err: kerr.UnknownServerError, Count: -1})
			time.Sleep(20 * time.Millisecond)
			h.Remove()
			flips++
			select {
			case <-stopFlap:
				flapDone <- flips
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	const clients, requests, perRequest = 4, 8, 6
	var mu sync.Mutex
	attemptsOf := map[string]int{} // record → times its request was sent
	unavailable := 0
	var wg sync.WaitGroup
	for cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range requests {
				var events []string
				for e := range perRequest {
					events = append(events, event(fmt.Sprintf("c%d-r%d-e%d", cl, r, e), "acme", "api_calls",
						fmt.Sprintf("sub-%d", (cl+r+e)%faultSubjects), "1"))
				}
				body := array(events...)
				for attempt := 1; ; attempt++ {
					status, header, b, err := sendUsage(ctx, srv, body)
					if err != nil {
						t.Errorf("client %d request %d: %v", cl, r, err)
						return
					}
					mu.Lock()
					for _, ev := range events {
						attemptsOf[ev] = attempt
					}
					if status == http.StatusServiceUnavailable {
						unavailable++
					}
					mu.Unlock()
					if status == http.StatusOK {
						break
					}
					if status != http.StatusServiceUnavailable || header.Get("Retry-After") == "" || attempt > 50 {
						t.Errorf("client %d request %d attempt %d: status %d, Retry-After %q: %s", cl, r, attempt, status, header.Get("Retry-After"), b)
						return
					}
					// A real client waits Retry-After; the test retries at once to keep the fault flapping.
				}
			}
		}()
	}
	wg.Wait()
	close(stopFlap)
	flips := <-flapDone

	copies, _ := topicCopies(t, ctx, c, faultRawTopic)
	extra := 0
	for ev, attempts := range attemptsOf {
		n := copies[ev]
		if n < 1 || n > attempts {
			t.Errorf("record %.40s… on the topic %d times, its request was sent %d times", ev, n, attempts)
		}
		extra += n - 1
	}
	if len(copies) != len(attemptsOf) {
		t.Errorf("the topic holds %d distinct records, want the %d sent", len(copies), len(attemptsOf))
	}
	if unavailable == 0 {
		t.Errorf("no request was answered 503 over %d fault flips: the faults never met a request", flips)
	}
	t.Logf("%d records accepted after %d answers 503 over %d fault flips; %d extra copies on the topic for dedup to absorb",
		len(attemptsOf), unavailable, flips, extra)
}
