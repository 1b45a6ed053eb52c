package ledgerstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/mediation"
)

// discardLedger validates nothing and keeps nothing: what remains measured is the conversion.
type discardLedger struct{ *ledgertest.MemStore }

func (discardLedger) WriteUsage(context.Context, []ledger.Usage) error        { return nil }
func (discardLedger) WriteRated(context.Context, []ledger.RatedDelta) error   { return nil }
func (discardLedger) WriteRejects(context.Context, []ledger.Reject) error     { return nil }
func (d discardLedger) Close() error                                          { return d.MemStore.Close() }
func (discardLedger) WriteAudit(context.Context, []ledger.AuditEntry) error   { return nil }
func (discardLedger) WriteDocuments(context.Context, []ledger.Document) error { return nil }

// capture is a Sink that keeps a deep copy of the last batch per partition, to replay it.
type capture struct{ batches []*mediation.Batch }

func (c *capture) Write(_ context.Context, b *mediation.Batch) error {
	cp := *b
	cp.Usage = append([]mediation.UsageRow(nil), b.Usage...)
	cp.Deltas = append([]mediation.RatedDelta(nil), b.Deltas...)
	cp.Rejected = append([]mediation.Rejected(nil), b.Rejected...)
	c.batches = append(c.batches, &cp)
	return nil
}

// BenchmarkWrite measures Store.Write's conversion of a pipeline batch into ledger rows (the
// ledger itself discards them): the adapter's share of the Kafka → ledger path.
func BenchmarkWrite(b *testing.B) {
	cat := loadCatalog(b)
	for _, size := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			in := generate(3, size*2)
			c := &capture{}
			p, err := mediation.New(mediation.Config{Catalog: cat, Directory: newDirectory(), Sink: c, Logger: quiet(),
				Now: func() time.Time { return testNow }})
			if err != nil {
				b.Fatal(err)
			}
			if err := p.Assigned(context.Background(), topic, []int{0, 1}); err != nil {
				b.Fatal(err)
			}
			vals := in.values[1][:min(size, len(in.values[1]))]
			msgs := make([]mediation.Message, len(vals))
			for i, v := range vals {
				msgs[i] = mediation.Message{Topic: topic, Partition: 1, Offset: int64(i), Value: v, Time: testNow}
			}
			if err := p.Handle(context.Background(), msgs); err != nil {
				b.Fatal(err)
			}
			batch := c.batches[0]
			store := newAdapter(b, discardLedger{ledgertest.NewMemStore()}, cat, newDirectory())
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := store.Write(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(batch.Usage)*b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(testing.AllocsPerRun(1, func() { _ = store.Write(ctx, batch) }))/float64(len(batch.Usage)), "allocs/record")
		})
	}
}
