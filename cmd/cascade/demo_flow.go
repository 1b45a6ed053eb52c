package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/connector"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
	"github.com/cascade-billing/cascade/mediation/ledgerstore"
	"github.com/cascade-billing/cascade/rating"
)

// Where the demo's records flow: the raw topic's partitions and the consumer group.
const (
	demoPartitions = 4
	demoGroup      = "cascade-mediation"
	demoRequest    = 1000 // records per POST /v1/usage
)

// demoFlow is what happened to the month on its way through the product: the connector's
// replies, the pipeline's counters and the edge's dead letters.
type demoFlow struct {
	sent                          int
	accepted, rejected, duplicate int // summed over the connector's replies
	pipeline                      mediation.Snapshot
	deadLetters                   []kafkago.Message // usage.rejected, as the connector published it
}

// demoWiring is the embedded deployment of mediation: the in-process broker, the connector
// behind an HTTP server on a loopback port, and one consumer-group member running the pipeline
// over the ledger.
type demoWiring struct {
	cat      *rating.Catalog
	dir      mediation.Directory
	store    ledger.Store
	vendor   string
	now      func() time.Time
	batch    int
	progress func(format string, args ...any)
}

// run starts everything, sends the records, waits until the pipeline consumed every record the
// connector accepted, stops the source (it commits on the way out) and reports the flow.
func (w *demoWiring) run(ctx context.Context, e *env, records []demoEvent) (*demoFlow, error) {
	broker, err := kafkatest.New()
	if err != nil {
		return nil, fmt.Errorf("start the in-process broker: %w", err)
	}
	defer broker.Close()
	if err := broker.CreateTopic(ctx, kafka.DefaultRawTopic, demoPartitions); err != nil {
		return nil, fmt.Errorf("create topic %s: %w", kafka.DefaultRawTopic, err)
	}
	if err := broker.CreateTopic(ctx, kafka.DefaultRejectedTopic, 1); err != nil {
		return nil, fmt.Errorf("create topic %s: %w", kafka.DefaultRejectedTopic, err)
	}
	writer := kafka.WriterConfig{Brokers: broker.Brokers(), Logger: e.log, Clock: w.now}
	producer, err := kafka.NewProducer(kafka.ProducerConfig{WriterConfig: writer})
	if err != nil {
		return nil, fmt.Errorf("producer: %w", err)
	}
	defer producer.Close()
	deadLetters, err := kafka.NewDeadLetterWriter(kafka.DeadLetterConfig{WriterConfig: writer})
	if err != nil {
		return nil, fmt.Errorf("dead-letter writer: %w", err)
	}
	defer deadLetters.Close()

	pipe, src, err := w.pipeline(e, broker.Brokers())
	if err != nil {
		return nil, err
	}
	srcCtx, stopSource := context.WithCancel(ctx)
	defer stopSource()
	srcDone := make(chan error, 1)
	go func() { srcDone <- src.Run(srcCtx, pipe) }()

	key, base, stopServer, err := w.serve(e, producer, deadLetters)
	if err != nil {
		return nil, err
	}
	defer stopServer()

	flow := &demoFlow{}
	if err := w.send(ctx, base+"/v1/usage", key, records, flow); err != nil {
		return nil, err
	}
	if err := w.drain(ctx, pipe, flow, srcDone); err != nil {
		return nil, err
	}
	stopSource()
	if err := <-srcDone; err != nil {
		return nil, fmt.Errorf("stop the mediation source: %w", err)
	}
	flow.pipeline = pipe.Counters().Snapshot()
	if flow.deadLetters, err = broker.ReadAll(ctx, kafka.DefaultRejectedTopic); err != nil {
		return nil, fmt.Errorf("read back %s: %w", kafka.DefaultRejectedTopic, err)
	}
	return flow, nil
}

// pipeline builds mediation over the ledger (ledgerstore is its sink, dead letters and state
// loaders) and the consumer-group source that feeds it.
func (w *demoWiring) pipeline(e *env, brokers []string) (*mediation.Pipeline, *kafka.Source, error) {
	ls, err := ledgerstore.New(ledgerstore.Config{Ledger: w.store, Catalog: w.cat, Directory: w.dir,
		Partition: demoPartitionOf, Logger: e.log, Now: w.now})
	if err != nil {
		return nil, nil, fmt.Errorf("ledger adapter: %w", err)
	}
	pipe, err := mediation.New(mediation.Config{Catalog: w.cat, Directory: w.dir, Sink: ls, Seen: ls, Totals: ls,
		Logger: e.log, Now: w.now})
	if err != nil {
		return nil, nil, fmt.Errorf("mediation pipeline: %w", err)
	}
	src, err := kafka.NewSource(kafka.SourceConfig{Brokers: brokers, Topic: kafka.DefaultRawTopic, GroupID: demoGroup,
		BatchSize: w.batch, Logger: e.log})
	if err != nil {
		return nil, nil, fmt.Errorf("mediation source: %w", err)
	}
	return pipe, src, nil
}

// demoPartitionOf is the producer's partitioner (kafka-go's FNV-1a Hash balancer, the
// Producer's default) over the raw topic's partitions: ledgerstore needs it to find which
// stored usage belongs to a partition it is assigned.
func demoPartitionOf(_ string, scope string) int {
	parts := make([]int, demoPartitions)
	for i := range parts {
		parts[i] = i
	}
	return (&kafkago.Hash{}).Balance(kafkago.Message{Key: []byte(scope)}, parts...)
}

// serve starts the connector on 127.0.0.1 with one fresh API key of the vendor (configured by
// its hash only) and returns the key, the base URL and how to stop the server.
func (w *demoWiring) serve(e *env, pub connector.Publisher, dl mediation.DeadLetters) (string, string, func(), error) {
	key := rand.Text()
	sum := sha256.Sum256([]byte(key))
	h, err := connector.New(connector.Config{Catalog: w.cat, Directory: w.dir, Publisher: pub, DeadLetters: dl,
		APIKeys: map[string]string{hex.EncodeToString(sum[:]): w.vendor}, Logger: e.log, Clock: w.now})
	if err != nil {
		return "", "", nil, fmt.Errorf("connector: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/usage", h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", nil, fmt.Errorf("listen for the connector: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Warn("connector server stopped", "err", err)
		}
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			e.log.Warn("stop the connector server", "err", err)
		}
	}
	return key, "http://" + ln.Addr().String(), stop, nil
}

// send POSTs the records as NDJSON, demoRequest at a time, as the vendor would, and sums the
// connector's per-record replies.
func (w *demoWiring) send(ctx context.Context, url, key string, records []demoEvent, flow *demoFlow) error {
	client := &http.Client{Timeout: time.Minute}
	var body bytes.Buffer
	for from := 0; from < len(records); from += demoRequest {
		chunk := records[from:min(from+demoRequest, len(records))]
		body.Reset()
		for _, r := range chunk {
			body.Write(r.raw)
			body.WriteByte('\n')
		}
		resp, err := postUsage(ctx, client, url, key, body.Bytes())
		if err != nil {
			return fmt.Errorf("POST records %d–%d: %w", from, from+len(chunk)-1, err)
		}
		if len(resp.Results) != len(chunk) || resp.Accepted+resp.Rejected+resp.Duplicate != len(chunk) {
			return fmt.Errorf("POST records %d–%d: %d results (%d accepted, %d rejected, %d duplicate) for %d records",
				from, from+len(chunk)-1, len(resp.Results), resp.Accepted, resp.Rejected, resp.Duplicate, len(chunk))
		}
		flow.sent += len(chunk)
		flow.accepted += resp.Accepted
		flow.rejected += resp.Rejected
		flow.duplicate += resp.Duplicate
		if n := from/demoRequest + 1; n%20 == 0 || flow.sent == len(records) {
			w.progress("demo: %d/%d records sent to POST /v1/usage (%d%%)", flow.sent, len(records), 100*flow.sent/len(records))
		}
	}
	return nil
}

// postUsage sends one NDJSON body and decodes the connector's 200 answer.
func postUsage(ctx context.Context, client *http.Client, url, key string, body []byte) (*connector.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", connector.ContentTypeNDJSON)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var e connector.ErrorResponse
		_ = json.NewDecoder(res.Body).Decode(&e)
		return nil, fmt.Errorf("HTTP %d: %s: %s", res.StatusCode, e.Error.Code, e.Error.Message)
	}
	var out connector.Response
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("decode the connector's answer: %w", err)
	}
	return &out, nil
}

// drain waits until the pipeline has consumed as many records as the connector accepted
// (everything it produced to usage.raw), showing progress, or fails after a timeout that
// grows with the volume.
func (w *demoWiring) drain(ctx context.Context, pipe *mediation.Pipeline, flow *demoFlow, srcDone <-chan error) error {
	timeout := 30*time.Second + time.Duration(flow.accepted)*100*time.Microsecond
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	lastShown := time.Now()
	for {
		s := pipe.Counters().Snapshot()
		if time.Since(lastShown) >= time.Second && flow.accepted > 0 {
			lastShown = time.Now()
			w.progress("demo: %d/%d records mediated (%d%%)", s.Consumed, flow.accepted, 100*s.Consumed/int64(flow.accepted))
		}
		if s.Consumed >= int64(flow.accepted) {
			w.progress("demo: %d/%d records mediated (100%%)", s.Consumed, flow.accepted)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-srcDone:
			return fmt.Errorf("mediation source stopped with %d of %d records consumed: %v", s.Consumed, flow.accepted, err)
		case <-deadline.C:
			return fmt.Errorf("mediation consumed %d of the %d accepted records within %s (%d batches failed)",
				s.Consumed, flow.accepted, timeout, s.Failed)
		case <-tick.C:
		}
	}
}
