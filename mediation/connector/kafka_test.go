package connector_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/connector"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
	kafkago "github.com/segmentio/kafka-go"
)

// TestKafkaOneScopeOnePartition sends usage of many subjects through a real HTTP server and a
// real kafka-go producer into the in-process broker, then reads the topic back: every accepted
// record is there once with its original bytes, keyed by its scope, and every scope (account,
// or pricing group shared by several accounts) sits on exactly one partition.
func TestKafkaOneScopeOnePartition(t *testing.T) {
	c := kafkatest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const topic, partitions, subjects, requests = "usage.raw", 8, 24, 5
	if err := c.CreateTopic(ctx, topic, partitions); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTopic(ctx, "usage.rejected", 1); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := kafka.NewProducer(kafka.ProducerConfig{WriterConfig: kafka.WriterConfig{Brokers: c.Brokers(), Topic: topic, Logger: quiet}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dlq, err := kafka.NewDeadLetterWriter(kafka.DeadLetterConfig{WriterConfig: kafka.WriterConfig{Brokers: c.Brokers(), Topic: "usage.rejected", Logger: quiet}})
	if err != nil {
		t.Fatal(err)
	}
	defer dlq.Close()
	dir := directory()
	scopeOf := map[string]string{}
	for s := range subjects {
		e := mediation.Enrichment{Account: fmt.Sprintf("acct-%d", s), PlanID: "acme_pro", PlanVersion: 1}
		if s%3 == 0 { // every third subject shares a pricing group with its neighbours
			e.PricingGroup = fmt.Sprintf("grp-%d", s/6)
		}
		scopeOf[fmt.Sprintf("sub-%d", s)] = e.PricingGroup
		if e.PricingGroup == "" {
			scopeOf[fmt.Sprintf("sub-%d", s)] = e.Account
		}
		dir.Add(fmt.Sprintf("sub-%d", s), e)
	}
	h, err := connector.New(connector.Config{
		Catalog: loadCatalog(t), Directory: dir, Publisher: p, DeadLetters: dlq,
		APIKeys: map[string]string{hashKey(keyAcme): "acme"}, Logger: quiet, Clock: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	sent := map[string]string{} // value → scope
	for r := range requests {
		var events []string
		for s := range subjects {
			ev := event(fmt.Sprintf("r%d-s%d", r, s), "acme", "api_calls", fmt.Sprintf("sub-%d", s), fmt.Sprint(r+1))
			events = append(events, ev)
			sent[ev] = scopeOf[fmt.Sprintf("sub-%d", s)]
		}
		events = append(events, event(fmt.Sprintf("r%d-bad", r), "acme", "storage_gb", "sub-0", "1"))
		ct, body := "application/json", array(events...)
		if r%2 == 1 {
			ct, body = "application/x-ndjson", ndjson(events...)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/usage", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+keyAcme)
		req.Header.Set("Content-Type", ct)
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		w.Code = res.StatusCode
		_, _ = io.Copy(w.Body, res.Body)
		res.Body.Close()
		resp := decodeResponse(t, w)
		if resp.Accepted != subjects || resp.Rejected != 1 {
			t.Fatalf("request %d: accepted %d, rejected %d; want %d, 1", r, resp.Accepted, resp.Rejected, subjects)
		}
	}

	got, err := c.ReadAll(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(sent) {
		t.Fatalf("topic holds %d records, want %d", len(got), len(sent))
	}
	partitionOf := map[string]int{}
	used := map[int]bool{}
	for _, m := range got {
		scope, ok := sent[string(m.Value)]
		if !ok || string(m.Key) != scope {
			t.Fatalf("record %s keyed %q: not sent, or not keyed by its scope %q", m.Value, m.Key, scope)
		}
		delete(sent, string(m.Value))
		if q, ok := partitionOf[scope]; ok && q != m.Partition {
			t.Fatalf("scope %s on partitions %d and %d", scope, q, m.Partition)
		}
		partitionOf[scope] = m.Partition
		used[m.Partition] = true
	}
	if len(used) < 2 {
		t.Errorf("%d scopes all on %d partition(s)", len(partitionOf), len(used))
	}
	rejected, err := c.ReadAll(ctx, "usage.rejected")
	if err != nil {
		t.Fatal(err)
	}
	if len(rejected) != requests {
		t.Fatalf("dead-letter topic holds %d records, want %d", len(rejected), requests)
	}
	for _, m := range rejected {
		if !strings.Contains(string(m.Value), `"storage_gb"`) || headerOf(m.Headers, kafka.HeaderReason) != connector.ReasonForeignMeter ||
			headerOf(m.Headers, kafka.HeaderOriginTopic) != connector.DeadLetterOrigin {
			t.Errorf("dead letter %s with headers %v: want the original record, reason %s", m.Value, m.Headers, connector.ReasonForeignMeter)
		}
	}
}

func headerOf(hs []kafkago.Header, key string) string {
	for _, h := range hs {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
