package benchmarks_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
	"github.com/cascade-billing/cascade/rating"
)

// idN is a synthetic usage id: distinct for distinct n, spread over the id space.
func idN(n uint64) mediation.ID {
	var id mediation.ID
	binary.BigEndian.PutUint64(id[:8], n*0x9e3779b97f4a7c15)
	binary.BigEndian.PutUint64(id[8:], n)
	return id
}

// prefill is a DedupLoader that remembers n synthetic ids per partition, to measure the
// pipeline against a full dedup window.
type prefill struct{ n int }

func (p prefill) LoadSeen(_ context.Context, _ string, partition int, since time.Time, add func(mediation.ID, time.Time)) error {
	for i := 0; i < p.n; i++ {
		add(idN(uint64(partition)<<40|uint64(i)), since.Add(time.Duration(i)*time.Second))
	}
	return nil
}

// benchBatch is one partition's reusable batch whose event ids are rewritten in place before
// every Handle, so every record is new (no duplicates) and nothing is allocated to make it.
type benchBatch struct {
	msgs   []mediation.Message
	idAt   []int // offset of the id's 12 digits in each message
	serial uint64
}

func newBenchBatch(partition, size int) *benchBatch {
	bb := &benchBatch{}
	for i := 0; i < size; i++ {
		raw := fmt.Appendf(nil, `{"specversion":"1.0","id":"ev-000000000000","source":"acme-gw","type":"api_calls","subject":"cust-%d","time":"2026-11-24T11:00:00.250Z","data":{"quantity":"3.5","attributes":{"region":"eu-west-1","vm":"i-0abc"}}}`,
			partition*1000+i%1000)
		bb.idAt = append(bb.idAt, bytes.Index(raw, []byte("ev-"))+3)
		bb.msgs = append(bb.msgs, mediation.Message{Topic: benchTopic, Partition: partition, Offset: int64(i), Value: raw})
	}
	return bb
}

func (bb *benchBatch) renumber() {
	for i, m := range bb.msgs {
		bb.serial++
		n := bb.serial
		for j := bb.idAt[i] + 11; j >= bb.idAt[i]; j-- {
			m.Value[j] = byte('0' + n%10)
			n /= 10
		}
	}
}

// BenchmarkPipeline measures decode → validate → normalize → dedup → enrich → rate → sink
// (a counting sink) per record, one goroutine per partition as the Kafka source runs it.
func BenchmarkPipeline(b *testing.B) {
	for _, window := range []int{0, 1_000_000, 10_000_000} {
		for _, parts := range []int{1, 2} {
			b.Run(fmt.Sprintf("batch=500/window=%d/partitions=%d", window, parts), func(b *testing.B) {
				if testing.Short() && window > 1_000_000 {
					b.Skip("10M-id window skipped in -short mode")
				}
				benchPipeline(b, 500, window, parts)
			})
		}
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchPipeline(b *testing.B, size, window, parts int) {
	dir := mediationtest.NewDirectory()
	for i := 0; i < 1000*parts; i++ {
		c := "cust-" + strconv.Itoa(i)
		dir.Add(c, mediation.Enrichment{Account: "acct-" + c, Subscription: "sub-" + c, PlanID: "pro", PlanVersion: 1,
			PeriodStart: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), PeriodEnd: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	}
	sink := &mediationtest.Discard{}
	cat, err := rating.LoadFile("../mediation/testdata/catalog.yaml")
	if err != nil {
		b.Fatal(err)
	}
	p, err := mediation.New(mediation.Config{Catalog: cat, Directory: dir, Sink: sink,
		Seen: prefill{window / parts}, Logger: quiet(), Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	ps := make([]int, parts)
	for i := range ps {
		ps[i] = i
	}
	if err := p.Assigned(context.Background(), benchTopic, ps); err != nil {
		b.Fatal(err)
	}
	batches := make([]*benchBatch, parts)
	for i := range batches {
		batches[i] = newBenchBatch(i, size)
		batches[i].renumber()
		if err := p.Handle(context.Background(), batches[i].msgs); err != nil { // warm the buffers
			b.Fatal(err)
		}
	}
	rounds := (b.N + size*parts - 1) / (size * parts)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	var wg sync.WaitGroup
	for i := 0; i < parts; i++ {
		wg.Add(1)
		go func(bb *benchBatch) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				bb.renumber()
				if err := p.Handle(context.Background(), bb.msgs); err != nil {
					b.Error(err)
					return
				}
			}
		}(batches[i])
	}
	wg.Wait()
	b.StopTimer()
	records := float64(rounds * size * parts)
	b.ReportMetric(records/b.Elapsed().Seconds(), "records/s")
	// CPU time per record (all threads of the process, GC included) does not depend on what
	// else the shared machine runs, unlike records/s: compare changes with it.
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/records, "cpu-ns/record")
	if sink.Usage != (rounds+1)*size*parts {
		b.Fatalf("sink accepted %d records, want %d (duplicates or rejects in the benchmark stream)", sink.Usage, (rounds+1)*size*parts)
	}
}
