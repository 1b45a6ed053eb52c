package benchmarks_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
	"github.com/cascade-billing/cascade/mediation/ledgerstore"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
	"github.com/cascade-billing/cascade/rating"
)

// kafkaLedgerRecords is the input size of BenchmarkKafkaToLedger (the target is 5M).
var kafkaLedgerRecords = flag.Int("kafka-ledger-records", 1_000_000, "records produced for BenchmarkKafkaToLedger")

// kafkaLedgerProfile names a CPU profile of the timed part only (go test's -cpuprofile also
// covers producing the input and the checks after).
var kafkaLedgerProfile = flag.String("kafka-ledger-cpuprofile", "", "write a CPU profile of BenchmarkKafkaToLedger's timed part to this file")

const (
	benchTopic      = "usage.raw"
	benchCustomers  = 64
	benchPartitions = 4
)

// benchNow is the pipeline's clock; every event lies before it in November 2026.
var benchNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func benchAccount(c int) string { return fmt.Sprintf("acct-%03d", c) }

// input is the produced stream and what it must leave in the ledger. Each partition's records
// lie back to back in one buffer: the benchmark's own copy of the stream is then a few objects
// for the garbage collector instead of millions, so it does not inflate the GC work measured.
type input struct {
	data                     [benchPartitions][]byte // a partition's records, back to back
	ends                     [benchPartitions][]int  // where each record of a partition ends in data
	accepted, dups, rejected int
}

// add appends a record to partition p.
func (in *input) add(p int, raw []byte) {
	in.data[p] = append(in.data[p], raw...)
	in.ends[p] = append(in.ends[p], len(in.data[p]))
}

// count is the number of records on partition p.
func (in *input) count(p int) int { return len(in.ends[p]) }

// records returns records lo..hi-1 of partition p.
func (in *input) records(p, lo, hi int) [][]byte {
	out := make([][]byte, 0, hi-lo)
	for i := lo; i < hi; i++ {
		start := 0
		if i > 0 {
			start = in.ends[p][i-1]
		}
		out = append(out, in.data[p][start:in.ends[p][i]])
	}
	return out
}

// makeInput makes n records: customer i % 64 on partition customer % 4, api_calls with
// quantities 1..50; every 100th record re-sends the same customer's previous record (a
// duplicate) and every 250th is truncated JSON (a reject).
func makeInput(n int) *input {
	in := &input{}
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	span := int64(benchNow.Sub(from) - time.Hour)
	last := make([][]byte, benchCustomers)
	var raw []byte
	for i := range n {
		c := i % benchCustomers
		p := c % benchPartitions
		switch {
		case i%250 == 249:
			in.add(0, fmt.Appendf(raw[:0], `{"specversion":"1.0","id":"bad-%d","source":"gw"`, i))
			in.rejected++
			continue
		case i%100 == 99 && last[c] != nil:
			in.add(p, last[c])
			in.dups++
			continue
		}
		at := from.Add(time.Duration(int64(i) * 7919 % span))
		raw = fmt.Appendf(raw[:0], `{"specversion":"1.0","id":"ev-%d","source":"gw","type":"api_calls","subject":"cust-%03d","time":%q,"data":{"quantity":%d}}`,
			i, c, at.Format(time.RFC3339Nano), i%50+1)
		last[c] = append(last[c][:0], raw...)
		in.add(p, raw)
		in.accepted++
	}
	return in
}

// BenchmarkKafkaToLedger measures kfake → Source → Pipeline → ledgerstore → ClickHouse server,
// from the source's start until every partition's offsets are committed to the end, then checks
// the accounting identity on what the ledger holds: produced = accepted (usage rows) +
// duplicate + rejected (reject rows).
func BenchmarkKafkaToLedger(b *testing.B) {
	n := *kafkaLedgerRecords
	in := makeInput(n)
	cat, err := rating.LoadFile("../mediation/testdata/catalog.yaml")
	if err != nil {
		b.Fatal(err)
	}
	srv := clickhousetest.Start(b)
	b.Run(fmt.Sprintf("records=%d/partitions=%d", n, benchPartitions), func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			r := runOnce(b, srv, cat, in, i)
			b.ReportMetric(r.rate, "records/s")
			b.ReportMetric(r.assign.Seconds(), "assign-s")
			// Where the two cores went while the clock ran: this process (pipeline, kafka-go,
			// the in-process broker, the ClickHouse client) and the ClickHouse server.
			b.ReportMetric(r.clientCPU.Seconds(), "client-cpu-s")
			b.ReportMetric(r.serverCPU.Seconds(), "server-cpu-s")
		}
	})
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// result is one run's measurements.
type result struct {
	rate                 float64       // records/s, from the source's start to the last durable write
	assign               time.Duration // a restarted instance loading every partition's state
	clientCPU, serverCPU time.Duration // CPU used by this process and by the server meanwhile
}

// runOnce mediates the input once, on a fresh broker and database, and returns records/s, the
// CPU each side used, and how long a restarted instance then takes to load the state of every
// partition (assign-s).
func runOnce(b *testing.B, srv *clickhousetest.Server, cat *rating.Catalog, in *input, iter int) result {
	b.StopTimer()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	broker := kafkatest.Start(b)
	if err := broker.CreateTopic(ctx, benchTopic, benchPartitions); err != nil {
		b.Fatal(err)
	}
	for p := range benchPartitions {
		for lo := 0; lo < in.count(p); lo += 50_000 {
			if err := broker.ProducePartition(ctx, benchTopic, p, in.records(p, lo, min(lo+50_000, in.count(p)))...); err != nil {
				b.Fatal(err)
			}
		}
	}
	l, err := clickhouse.New(clickhouse.Config{Addr: srv.Addr, Database: fmt.Sprintf("bench_kafka_ledger_%d_%d", time.Now().UnixNano(), iter), Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	dir := mediationtest.NewDirectory()
	for c := range benchCustomers {
		dir.Add(fmt.Sprintf("cust-%03d", c), mediation.Enrichment{Account: benchAccount(c), Subscription: fmt.Sprintf("sub-%03d", c),
			PlanID: "pro", PlanVersion: 1})
	}
	partOf := make(map[string]int, benchCustomers)
	for c := range benchCustomers {
		partOf[benchAccount(c)] = c % benchPartitions
	}
	partition := func(_ string, scope string) int { return partOf[scope] }
	store, err := ledgerstore.New(ledgerstore.Config{Ledger: l, Catalog: cat, Directory: dir, Partition: partition, Logger: quiet(),
		Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	p, err := mediation.New(mediation.Config{Catalog: cat, Directory: dir, Sink: store, Seen: store, Totals: store,
		Logger: quiet(), Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	src, err := kafka.NewSource(kafka.SourceConfig{Brokers: broker.Brokers(), Topic: benchTopic, GroupID: "bench",
		BatchSize: 100000, BatchWait: 200 * time.Millisecond, MaxBytes: 4 << 20, HeartbeatInterval: 500 * time.Millisecond,
		JoinBackoff: 200 * time.Millisecond, Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	b.StartTimer()
	start := time.Now()
	client0, server0 := processCPU(), srv.CPUTime()
	stopProfile := startProfile(b)
	go func() { done <- src.Run(run, p) }()
	// Done when every record's batch is durable in the ledger (the counters move only after a
	// successful sink write); the commits that follow are checked after the clock stops.
	n := int64(in.accepted + in.dups + in.rejected)
	next := time.Now().Add(5 * time.Second)
	for p.Counters().Snapshot().Consumed < n {
		select {
		case err := <-done:
			b.Fatalf("Run ended early: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(next) {
			b.Logf("%s: %d of %d records durable", time.Since(start).Round(time.Second), p.Counters().Snapshot().Consumed, n)
			next = next.Add(5 * time.Second)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	stopProfile()
	res := result{rate: float64(n) / elapsed.Seconds(), clientCPU: processCPU() - client0, serverCPU: srv.CPUTime() - server0}
	waitCommitted(b, ctx, broker, in)
	stop()
	if err := <-done; err != nil {
		b.Fatalf("Run = %v", err)
	}
	checkIdentity(b, ctx, l, in, p.Counters().Snapshot())
	restarted, err := mediation.New(mediation.Config{Catalog: cat, Directory: dir, Sink: store, Seen: store, Totals: store,
		Logger: quiet(), Now: func() time.Time { return benchNow.Add(time.Second) }})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	if err := restarted.Assigned(ctx, benchTopic, []int{0, 1, 2, 3}); err != nil {
		b.Fatal(err)
	}
	res.assign = time.Since(t0)
	return res
}

// startProfile starts the -kafka-ledger-cpuprofile profile, if asked for; the returned
// function stops it.
func startProfile(b *testing.B) func() {
	if *kafkaLedgerProfile == "" {
		return func() {}
	}
	f, err := os.Create(*kafkaLedgerProfile)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}

// processCPU is the CPU time (user + system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// waitCommitted waits until every partition is committed to its end, retrying the broker's
// transient timeouts (the in-process broker is busy while the pipeline drains).
func waitCommitted(b *testing.B, ctx context.Context, broker *kafkatest.Cluster, in *input) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := broker.Committed(ctx, "bench", benchTopic, benchPartitions)
		all := err == nil
		for q := range benchPartitions {
			all = all && got[q] == int64(in.count(q))
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("offsets not committed to the end within a minute after the last write: %v (%v)", got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func checkIdentity(b *testing.B, ctx context.Context, l ledger.Store, in *input, c mediation.Snapshot) {
	b.Helper()
	nov := ledger.Period{From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	accepted := 0
	for c := range benchCustomers {
		got, err := l.UsageTotals(ctx, ledger.UsageQuery{Account: benchAccount(c), Period: nov})
		if err != nil {
			b.Fatal(err)
		}
		for _, g := range got {
			accepted += int(g.Events)
		}
	}
	counts, err := l.RejectCounts(ctx, ledger.RejectQuery{Period: ledger.Period{From: benchNow.Add(-time.Hour), To: benchNow.Add(time.Hour)}})
	if err != nil {
		b.Fatal(err)
	}
	rejected := 0
	for _, r := range counts {
		rejected += int(r.Count)
	}
	n := in.accepted + in.dups + in.rejected
	if accepted != in.accepted || rejected != in.rejected || accepted+in.dups+rejected != n {
		b.Fatalf("accounting: ledger holds %d accepted and %d rejected; input %d = %d valid + %d duplicate + %d bad", accepted, rejected, n, in.accepted, in.dups, in.rejected)
	}
	if c.Consumed != int64(n) || c.Accepted != int64(accepted) || c.Duplicate != int64(in.dups) || c.RejectedTotal() != int64(rejected) {
		b.Fatalf("counters %+v disagree with the ledger: consumed %d = accepted %d + duplicate %d + rejected %d", c, n, accepted, in.dups, rejected)
	}
}
