package ledgerstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/ledgerstore"
	"github.com/cascade-billing/cascade/rating"
)

// feed hands the stream to h in batches of size per partition, from offset first[p] on,
// redelivering a batch whose Handle failed (as the source does) up to retries times.
func feed(t *testing.T, h mediation.Handler, in *stream, size int, from, to float64) {
	t.Helper()
	ctx := context.Background()
	for p := range partitions {
		vals := in.values[p]
		lo, hi := int(from*float64(len(vals))), int(to*float64(len(vals)))
		for i := lo; i < hi; i += size {
			msgs := make([]mediation.Message, 0, size)
			for j := i; j < min(i+size, hi); j++ {
				msgs = append(msgs, mediation.Message{Topic: topic, Partition: p, Offset: int64(j), Value: vals[j], Time: testNow})
			}
			var err error
			for try := 0; try < 3; try++ {
				if err = h.Handle(ctx, msgs); err == nil {
					break
				}
			}
			if err != nil {
				t.Fatalf("partition %d offsets %d..: %v", p, i, err)
			}
		}
	}
}

func assigned(t *testing.T, p *mediation.Pipeline) *mediation.Pipeline {
	t.Helper()
	if err := p.Assigned(context.Background(), topic, []int{0, 1}); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWriteStoresWhatTheInputHolds runs a whole stream through a pipeline into a MemStore,
// which keeps the strings it is given: if the sink did not copy them out of the reused batch,
// later batches would overwrite the earlier rows' ids and subjects.
func TestWriteStoresWhatTheInputHolds(t *testing.T) {
	for _, size := range []int{1, 7, 100} {
		t.Run(fmt.Sprintf("batch=%d", size), func(t *testing.T) {
			in := generate(uint64(size), 600)
			cat, l := loadCatalog(t), ledgertest.NewMemStore()
			store := newAdapter(t, l, cat, newDirectory())
			feed(t, assigned(t, newPipeline(t, store, cat, newDirectory())), in, size, 0, 1)
			accepted, rejected := checkLedger(t, context.Background(), l, cat, in)
			if accepted != in.accepted || rejected != in.rejected {
				t.Errorf("ledger holds %d accepted and %d rejected, input has %d and %d", accepted, rejected, in.accepted, in.rejected)
			}
			refs, err := l.ScanUsage(context.Background(), ledger.ScanQuery{Since: november().From})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range refs {
				if r.Source != "acme-gw" || !strings.HasPrefix(r.EventID, "ev-") || r.Account != account(r.Subject) {
					t.Fatalf("stored usage %+v: fields do not belong together (a reused buffer leaked into the ledger)", r)
				}
			}
		})
	}
}

// twice is a Sink that writes every batch twice, as a redelivery after a lost commit does.
type twice struct{ s mediation.Sink }

func (w twice) Write(ctx context.Context, b *mediation.Batch) error {
	if err := w.s.Write(ctx, b); err != nil {
		return err
	}
	return w.s.Write(ctx, b)
}

// TestRedeliveredBatchWritesSameRows writes every batch twice and compares the ledger with a
// run that wrote each once: same usage rows, same rated totals, same rejects.
func TestRedeliveredBatchWritesSameRows(t *testing.T) {
	in := generate(7, 800)
	cat := loadCatalog(t)
	ledgers := [2]*ledgertest.MemStore{ledgertest.NewMemStore(), ledgertest.NewMemStore()}
	for i, l := range ledgers {
		var sink mediation.Sink = newAdapter(t, l, cat, newDirectory())
		if i == 1 {
			sink = twice{sink}
		}
		p, err := mediation.New(mediation.Config{Catalog: cat, Directory: newDirectory(), Sink: sink, Logger: quiet(),
			Now: func() time.Time { return testNow }})
		if err != nil {
			t.Fatal(err)
		}
		feed(t, assigned(t, p), in, 50, 0, 1)
	}
	ctx := context.Background()
	once, again := snapshot(t, ctx, ledgers[0]), snapshot(t, ctx, ledgers[1])
	if once != again {
		t.Fatalf("writing each batch twice changed the ledger:\nonce:  %s\ntwice: %s", once, again)
	}
}

// snapshot renders everything the tests compare of a ledger.
func snapshot(t *testing.T, ctx context.Context, l *ledgertest.MemStore) string {
	t.Helper()
	var b strings.Builder
	usage, err := l.ScanUsage(ctx, ledger.ScanQuery{Since: november().From})
	if err != nil {
		t.Fatal(err)
	}
	rated, err := l.ScanRated(ctx, ledger.ScanQuery{Since: november().From})
	if err != nil {
		t.Fatal(err)
	}
	rejects, err := l.Rejects(ctx, ledger.RejectQuery{Period: ledger.Period{From: testNow.Add(-time.Hour), To: testNow.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "%d usage %v\n%d rated %v\n%d rejects", len(usage), usage, len(rated), rated, len(rejects))
	for _, c := range customers {
		tot, err := l.RatedTotals(ctx, ledger.UsageQuery{Account: account(c), Period: november()})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\n%s %v", c, tot)
	}
	return b.String()
}

// TestRestartRebuildsState restarts the pipeline part-way at several points (a fresh pipeline
// whose state comes from the loaders) and compares the ledger with an uninterrupted run's.
func TestRestartRebuildsState(t *testing.T) {
	in := generate(9, 1200)
	cat := loadCatalog(t)
	ctx := context.Background()
	ref := ledgertest.NewMemStore()
	feed(t, assigned(t, newPipeline(t, newAdapter(t, ref, cat, newDirectory()), cat, newDirectory())), in, 40, 0, 1)
	want := snapshot(t, ctx, ref)
	for _, at := range []float64{0.1, 0.5, 0.9} {
		t.Run(fmt.Sprintf("restart_at=%.0f%%", at*100), func(t *testing.T) {
			l := ledgertest.NewMemStore()
			feed(t, assigned(t, newPipeline(t, newAdapter(t, l, cat, newDirectory()), cat, newDirectory())), in, 40, 0, at)
			// The new process re-reads the last 5% before the restart point: a lost commit.
			feed(t, assigned(t, newPipeline(t, newAdapter(t, l, cat, newDirectory()), cat, newDirectory())), in, 40, max(at-0.05, 0), 1)
			if got := snapshot(t, ctx, l); got != want {
				t.Fatalf("ledger after a restart differs from an uninterrupted run:\ngot:  %s\nwant: %s", got, want)
			}
			checkLedger(t, ctx, l, cat, in)
		})
	}
}

// errUsageDown is the injected failure of the ledger's usage write.
var errUsageDown = errors.New("usage table unavailable")

// halfDown is a ledger whose usage writes, while down is set, store the first half of the rows
// and then fail: what a server write split into several INSERTs leaves when one of them fails.
type halfDown struct {
	*ledgertest.MemStore
	down bool
}

func (h *halfDown) WriteUsage(ctx context.Context, rows []ledger.Usage) error {
	if h.down {
		if err := h.MemStore.WriteUsage(ctx, rows[:len(rows)/2]); err != nil {
			return err
		}
		return errUsageDown
	}
	return h.MemStore.WriteUsage(ctx, rows)
}

// TestHalfWrittenBatchThenRestart fails a batch half-way through its usage write, restarts, and
// redelivers. The deltas travel in their usage rows, so every stored record has all its deltas
// and nothing else: the reloaded dedup ids and totals agree, and the redelivery completes the
// ledger exactly as an uninterrupted run.
func TestHalfWrittenBatchThenRestart(t *testing.T) {
	in := generate(11, 900)
	cat := loadCatalog(t)
	ctx := context.Background()
	ref := ledgertest.NewMemStore()
	feed(t, assigned(t, newPipeline(t, newAdapter(t, ref, cat, newDirectory()), cat, newDirectory())), in, 30, 0, 1)

	l := &halfDown{MemStore: ledgertest.NewMemStore()}
	p1 := assigned(t, newPipeline(t, newAdapter(t, l, cat, newDirectory()), cat, newDirectory()))
	feed(t, p1, in, 30, 0, 0.5)
	before, err := l.ScanUsage(ctx, ledger.ScanQuery{Since: november().From})
	if err != nil {
		t.Fatal(err)
	}
	l.down = true
	vals := in.values[1]
	lo := len(vals) / 2
	msgs := make([]mediation.Message, 0, 30)
	for j := lo; j < lo+30; j++ {
		msgs = append(msgs, mediation.Message{Topic: topic, Partition: 1, Offset: int64(j), Value: vals[j], Time: testNow})
	}
	if err := p1.Handle(ctx, msgs); !errors.Is(err, errUsageDown) {
		t.Fatalf("Handle with the usage table down = %v, want %v", err, errUsageDown)
	}
	usage, err := l.ScanUsage(ctx, ledger.ScanQuery{Since: november().From})
	if err != nil {
		t.Fatal(err)
	}
	if len(usage) == len(before) {
		t.Fatal("the failed batch stored no usage row: the test does not exercise the half-written case")
	}
	checkPaired(t, ctx, l.MemStore, ref, usage)
	l.down = false
	feed(t, assigned(t, newPipeline(t, newAdapter(t, l, cat, newDirectory()), cat, newDirectory())), in, 30, 0.5, 1)
	if got, want := snapshot(t, ctx, l.MemStore), snapshot(t, ctx, ref); got != want {
		t.Fatalf("ledger after a half-written batch and a restart differs from an uninterrupted run:\ngot:  %s\nwant: %s", got, want)
	}
}

// checkPaired checks that the ledger holds, for every stored usage row, exactly the deltas the
// uninterrupted run (ref) holds for that record, and no delta of a record it does not hold.
func checkPaired(t *testing.T, ctx context.Context, l, ref *ledgertest.MemStore, usage []ledger.UsageRef) {
	t.Helper()
	deltas := func(s *ledgertest.MemStore) map[[2]string][]string {
		rated, err := s.ScanRated(ctx, ledger.ScanQuery{Since: november().From})
		if err != nil {
			t.Fatal(err)
		}
		m := map[[2]string][]string{}
		for _, d := range rated {
			k := [2]string{d.Source, d.EventID}
			m[k] = append(m[k], d.ID+"="+d.Quantity.String())
		}
		return m
	}
	got, want := deltas(l), deltas(ref)
	stored := map[[2]string]bool{}
	for _, u := range usage {
		k := [2]string{u.Source, u.EventID}
		stored[k] = true
		if fmt.Sprint(got[k]) != fmt.Sprint(want[k]) {
			t.Errorf("usage %s/%s is stored with deltas %v, want %v", u.Source, u.EventID, got[k], want[k])
		}
	}
	for k := range got {
		if !stored[k] {
			t.Errorf("deltas %v of %s/%s are stored without their usage row", got[k], k[0], k[1])
		}
	}
}

func TestConfigValidate(t *testing.T) {
	cat, dir := loadCatalog(t), newDirectory()
	full := func() ledgerstore.Config {
		return ledgerstore.Config{Ledger: ledgertest.NewMemStore(), Catalog: cat, Directory: dir, Partition: partitionOf}
	}
	cases := []struct {
		name   string
		mutate func(*ledgerstore.Config)
		want   string // substring of the error; "" for valid
	}{
		{"complete", func(*ledgerstore.Config) {}, ""},
		{"no ledger", func(c *ledgerstore.Config) { c.Ledger = nil }, "ledger is required"},
		{"no catalog", func(c *ledgerstore.Config) { c.Catalog = nil }, "catalog is required"},
		{"no directory", func(c *ledgerstore.Config) { c.Directory = nil }, "directory is required"},
		{"no partitioner", func(c *ledgerstore.Config) { c.Partition = nil }, "partition is required"},
		{"negative max period", func(c *ledgerstore.Config) { c.MaxPeriod = -time.Hour }, "negative"},
		{"ledger without scans", func(c *ledgerstore.Config) { c.Ledger = noScan{c.Ledger} }, "ledger.Scanner"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := full()
			c.mutate(&cfg)
			_, err := ledgerstore.New(cfg)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("New = %v, want success", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("New = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// noScan hides every method but ledger.Store's.
type noScan struct{ ledger.Store }

func TestPublishKeepsOriginalBytes(t *testing.T) {
	l := ledgertest.NewMemStore()
	store := newAdapter(t, l, loadCatalog(t), newDirectory())
	ctx := context.Background()
	if err := store.Publish(ctx, nil); err != nil {
		t.Fatalf("Publish(nil) = %v", err)
	}
	buf := []byte(`{"not":"a usage record"}`)
	rej := []mediation.Rejected{
		{Message: mediation.Message{Topic: topic, Partition: 1, Offset: 17, Value: buf}, Reason: mediation.ReasonMissingField, Detail: "id is required", At: testNow},
		{Message: mediation.Message{Topic: topic, Partition: 0, Offset: 3, Value: []byte("\x00\xff")}, Reason: mediation.ReasonDecode, Detail: "not JSON"},
	}
	if err := store.Publish(ctx, rej); err != nil {
		t.Fatal(err)
	}
	want := string(buf)
	copy(buf, "XXXXXXXX") // the caller reuses its buffer
	got, err := l.Rejects(ctx, ledger.RejectQuery{Period: ledger.Period{From: testNow.Add(-time.Hour), To: testNow.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("ledger holds %d rejects, want 2 (the one without a time stamped with the clock)", len(got))
	}
	for _, r := range got {
		if r.Offset == 17 && (string(r.Original) != want || r.Reason != mediation.ReasonMissingField || r.Partition != 1) {
			t.Errorf("reject %s = %+v, want reason %s and original %q", r.Key(), r, mediation.ReasonMissingField, want)
		}
		if r.Offset == 3 && (string(r.Original) != "\x00\xff" || !r.At.Equal(testNow)) {
			t.Errorf("reject %s = %+v, want the original bytes and the clock's time", r.Key(), r)
		}
	}
}

func TestLongestPeriod(t *testing.T) {
	plan := func(every int, unit rating.PeriodUnit) *rating.Plan {
		return &rating.Plan{ID: "p", BillingPeriod: rating.BillingPeriod{Every: every, Unit: unit}}
	}
	day := 24 * time.Hour
	for _, tc := range []struct {
		name  string
		plans []*rating.Plan
		want  time.Duration
	}{
		{"no plans", nil, ledgerstore.DefaultMaxPeriod},
		{"monthly", []*rating.Plan{plan(1, rating.PeriodMonth)}, 31 * day},
		{"quarterly beats monthly", []*rating.Plan{plan(1, rating.PeriodMonth), plan(3, rating.PeriodMonth)}, 93 * day},
		{"yearly", []*rating.Plan{plan(1, rating.PeriodDay), plan(1, rating.PeriodYear)}, 366 * day},
		{"every 0 counts as 1", []*rating.Plan{plan(0, rating.PeriodDay)}, day},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ledgerstore.LongestPeriod(&rating.Catalog{Plans: tc.plans}); got != tc.want {
				t.Errorf("LongestPeriod = %s, want %s", got, tc.want)
			}
		})
	}
	if got := ledgerstore.LongestPeriod(loadCatalog(t)); got != 31*day {
		t.Errorf("the test catalog's plans are monthly: LongestPeriod = %s, want %s", got, 31*day)
	}
}
