package connector_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/connector"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The topics of the broker-fault tests and the producer's retry budget: kafka-go retries a
// retriable produce error this many times in all before WriteMessages fails.
const (
	faultRawTopic      = "usage.raw"
	faultRejectedTopic = "usage.rejected"
	faultPartitions    = 4
	faultAttempts      = 3
	faultSubjects      = 12
)

// brokerFault is one way the broker fails a produce. install starts the fault on cluster c;
// the returned function removes it. maxCopies is the most copies of one record the raw topic
// may hold after the failed request and its successful retry: 1 unless the broker appends
// before it answers with the error (kafka-go has no idempotent producer, so its own retries
// and the client's retry each append again); dedup by (source, id) absorbs the extra copies.
type brokerFault struct {
	name string
	// install starts the fault; remove undoes it.
	install func(c *kfake.Cluster) (remove func())
	// failed reports whether the first attempt must be answered 503.
	failed bool
	// minCopies, maxCopies bound how many copies of one accepted record the raw topic holds
	// after the request and (when it failed) its retry.
	minCopies, maxCopies int
	// copiesOn, when set, says how many copies a record on that partition must have exactly.
	copiesOn func(partition int) int
	// rejectedCopies is how many dead letters the bad record leaves after the retry.
	rejectedCopies int
}

// withFaults installs kfake faults and returns their remover.
func withFaults(fs ...kfake.Fault) func(c *kfake.Cluster) func() {
	return func(c *kfake.Cluster) func() { return c.Fault(fs...).Remove }
}

// dropProduceConnections closes the connection of every produce request to topic until removed:
// the client sees a network error, not a Kafka error code.
func dropProduceConnections(topic string) func(c *kfake.Cluster) func() {
	return func(c *kfake.Cluster) func() {
		var off atomic.Bool
		c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
			if off.Load() {
				c.DropControl()
				return nil, nil, false
			}
			c.KeepControl()
			for _, t := range req.(*kmsg.ProduceRequest).Topics {
				if t.Topic == topic {
					return nil, errors.New("injected: connection dropped"), true
				}
			}
			return nil, nil, false
		})
		return func() { off.Store(true) }
	}
}

// TestConnectorBrokerFaults runs the real HTTP handler over the real kafka-go producer into the
// in-process broker while the broker fails produce requests. A request the producer could not
// make durable is answered 503 with a Retry-After and reports nothing accepted; the same request
// sent again after the fault is gone is accepted; every record the client was told accepted is
// on the topic, and the copies a retry leaves are counted against what the fault allows.
func TestConnectorBrokerFaults(t *testing.T) {
	whole := func(int) int { return 2 } // every partition got the failed write and the retry
	tests := []brokerFault{
		{
			name: "retriable error on every produce",
			install: withFaults(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: faultRawTopic,
				Err: kerr.NotEnoughReplicas, Count: -1}),
			failed: true, minCopies: 1, maxCopies: 1, rejectedCopies: 1,
		},
		{
			name: "fatal error on every produce",
			install: withFaults(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: faultRawTopic,
				Err: kerr.UnknownServerError, Count: -1}),
			failed: true, minCopies: 1, maxCopies: 1, rejectedCopies: 1,
		},
		{
			name:    "connection dropped on every produce",
			install: dropProduceConnections(faultRawTopic),
			failed:  true, minCopies: 1, maxCopies: 1, rejectedCopies: 1,
		},
		{
			name: "one partition failing",
			install: withFaults(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: faultRawTopic, Partitions: []int32{0},
				Err: kerr.UnknownServerError, Count: -1}),
			// The other partitions' records were written by the failed request: the retry
			// writes them again. Partition 0's records were written once, by the retry.
			failed: true, minCopies: 1, maxCopies: 2, rejectedCopies: 1,
			copiesOn: func(p int) int {
				if p == 0 {
					return 1
				}
				return 2
			},
		},
		{
			name: "timed out after append, every attempt",
			install: withFaults(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: faultRawTopic,
				Err: kerr.RequestTimedOut, Count: -1}),
			// Each of kafka-go's attempts appended; the client's retry appends once more.
			failed: true, minCopies: faultAttempts + 1, maxCopies: faultAttempts + 1, rejectedCopies: 1,
		},
		{
			name: "timed out after append, once per partition",
			install: withFaults(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: faultRawTopic,
				Err: kerr.RequestTimedOut, Count: faultPartitions}),
			// kafka-go's second attempt succeeds, so the client is told accepted, yet the
			// topic holds the record twice: only the pipeline's dedup keeps it counted once.
			failed: false, minCopies: 2, maxCopies: 2, rejectedCopies: 1,
		},
		{
			name: "dead-letter topic failing",
			install: withFaults(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: faultRejectedTopic,
				Err: kerr.UnknownServerError, Count: -1}),
			// The accepted records were produced before the dead letter failed: the retry
			// produces them again.
			failed: true, minCopies: 2, maxCopies: 2, rejectedCopies: 1, copiesOn: whole,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runBrokerFault(t, tt)
		})
	}
}

func runBrokerFault(t *testing.T, tt brokerFault) {
	c := kafkatest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.CreateTopic(ctx, faultRawTopic, faultPartitions); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTopic(ctx, faultRejectedTopic, 1); err != nil {
		t.Fatal(err)
	}
	srv := faultServer(t, c)

	var events []string
	for s := range faultSubjects {
		events = append(events, event(fmt.Sprintf("ev-%d", s), "acme", "api_calls", fmt.Sprintf("sub-%d", s), fmt.Sprint(s+1)))
	}
	bad := event("ev-bad", "acme", "storage_gb", "sub-0", "1") // a meter acme does not own
	body := array(append(events, bad)...)

	remove := tt.install(c.Kfake())
	status, header, respBody := postUsage(t, ctx, srv, body)
	if tt.failed {
		if status != http.StatusServiceUnavailable {
			t.Fatalf("under the fault: status %d, want 503; body %s", status, respBody)
		}
		if got := header.Get("Retry-After"); got != "3" {
			t.Errorf("Retry-After %q, want %q (the configured 3s)", got, "3")
		}
		var e connector.ErrorResponse
		if err := json.Unmarshal(respBody, &e); err != nil || e.Error.Code != "unavailable" || strings.Contains(string(respBody), `"accepted"`) {
			t.Errorf("503 body %s: want code unavailable and no record reported accepted (err %v)", respBody, err)
		}
	}
	remove()
	if tt.failed {
		status, _, respBody = postUsage(t, ctx, srv, body)
	}
	if status != http.StatusOK {
		t.Fatalf("after the fault: status %d, want 200; body %s", status, respBody)
	}
	var resp connector.Response
	if err := json.Unmarshal(respBody, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Accepted != faultSubjects || resp.Rejected != 1 {
		t.Fatalf("after the fault: accepted %d, rejected %d; want %d, 1", resp.Accepted, resp.Rejected, faultSubjects)
	}

	copies, partitionOf := topicCopies(t, ctx, c, faultRawTopic)
	total := 0
	for _, ev := range events {
		n := copies[ev]
		total += n
		switch {
		case n < tt.minCopies || n > tt.maxCopies:
			t.Errorf("record %.40s… on the topic %d times, want %d..%d", ev, n, tt.minCopies, tt.maxCopies)
		case tt.copiesOn != nil && n != tt.copiesOn(partitionOf[ev]):
			t.Errorf("record %.40s… on partition %d %d times, want %d", ev, partitionOf[ev], n, tt.copiesOn(partitionOf[ev]))
		}
	}
	if len(copies) != len(events) {
		t.Errorf("the topic holds %d distinct records, want the %d accepted ones only", len(copies), len(events))
	}
	dead, _ := topicCopies(t, ctx, c, faultRejectedTopic)
	if len(dead) != 1 || dead[bad] != tt.rejectedCopies {
		t.Errorf("dead letters %v, want the bad record %d time(s)", dead, tt.rejectedCopies)
	}
	t.Logf("%s: %d accepted records reached the topic as %d messages", tt.name, len(events), total)
}

// faultServer serves the handler over HTTP with a real producer and dead-letter writer whose
// retry budget is small, so a failing produce answers within a second.
func faultServer(t *testing.T, c *kafkatest.Cluster) *httptest.Server {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	wc := kafka.WriterConfig{Brokers: c.Brokers(), Logger: quiet, MaxAttempts: faultAttempts, WriteTimeout: 5 * time.Second}
	rawCfg, dlqCfg := wc, wc
	rawCfg.Topic, dlqCfg.Topic = faultRawTopic, faultRejectedTopic
	p, err := kafka.NewProducer(kafka.ProducerConfig{WriterConfig: rawCfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	dlq, err := kafka.NewDeadLetterWriter(kafka.DeadLetterConfig{WriterConfig: dlqCfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dlq.Close() })
	dir := directory()
	for s := range faultSubjects {
		dir.Add(fmt.Sprintf("sub-%d", s), mediation.Enrichment{Account: fmt.Sprintf("acct-%d", s), PlanID: "acme_pro", PlanVersion: 1})
	}
	h, err := connector.New(connector.Config{
		Catalog: loadCatalog(t), Directory: dir, Publisher: p, DeadLetters: dlq, RetryAfter: 3 * time.Second,
		APIKeys: map[string]string{hashKey(keyAcme): "acme"}, Logger: quiet, Clock: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// postUsage sends body as a JSON array with acme's key and returns the answer.
func postUsage(t *testing.T, ctx context.Context, srv *httptest.Server, body string) (int, http.Header, []byte) {
	t.Helper()
	status, header, b, err := sendUsage(ctx, srv, body)
	if err != nil {
		t.Fatal(err)
	}
	return status, header, b
}

// sendUsage is postUsage for goroutines other than the test's: it returns the error.
func sendUsage(ctx context.Context, srv *httptest.Server, body string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/usage", strings.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+keyAcme)
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.Client().Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("POST /v1/usage: %w", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("POST /v1/usage: read the answer: %w", err)
	}
	return res.StatusCode, res.Header, b, nil
}

// topicCopies counts how many times each value sits on topic, and on which partition.
func topicCopies(t *testing.T, ctx context.Context, c *kafkatest.Cluster, topic string) (map[string]int, map[string]int) {
	t.Helper()
	msgs, err := c.ReadAll(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	copies, partitionOf := map[string]int{}, map[string]int{}
	for _, m := range msgs {
		v := string(m.Value)
		if q, ok := partitionOf[v]; ok && q != m.Partition {
			t.Errorf("record %.40s… on partitions %d and %d: one scope must stay on one partition", v, q, m.Partition)
		}
		copies[v]++
		partitionOf[v] = m.Partition
	}
	return copies, partitionOf
}
