package ledgerstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/chdb"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/kafka"
	"github.com/cascade-billing/cascade/mediation/kafka/kafkatest"
)

// errCrashed is what the crashing handler returns once the "process" died.
var errCrashed = errors.New("process crashed")

// crashing wraps the pipeline of the first process: once at least after records were handled,
// the batch just made durable is not acknowledged (the process dies between the ledger write
// and the offset commit) and every later batch fails, as in a process that no longer runs.
type crashing struct {
	mediation.Handler
	after   int64
	handled atomic.Int64
	crashed atomic.Bool
	lost    atomic.Int64 // records of the batch written but never committed
	cancel  context.CancelFunc
}

func (c *crashing) Handle(ctx context.Context, batch []mediation.Message) error {
	if c.crashed.Load() {
		return errCrashed
	}
	if err := c.Handler.Handle(ctx, batch); err != nil {
		return err
	}
	if c.handled.Add(int64(len(batch))) >= c.after && c.crashed.CompareAndSwap(false, true) {
		c.lost.Store(int64(len(batch)))
		c.cancel()
		return errCrashed
	}
	return nil
}

func openLedger(t *testing.T, srv *clickhousetest.Server, db string) *clickhouse.Store {
	t.Helper()
	l, err := clickhouse.New(clickhouse.Config{Addr: srv.Addr, Database: db, Logger: quiet()})
	if err != nil {
		t.Fatalf("open ledger %s: %v", db, err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// openChdb opens the embedded ledger in dir; closing its last Store shuts the engine down.
func openChdb(t *testing.T, dir, db string) *chdb.Store {
	t.Helper()
	l, err := chdb.New(chdb.Config{Path: dir, Database: db, Logger: quiet()})
	if err != nil {
		t.Fatalf("open embedded ledger %s/%s: %v", dir, db, err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// requireChdb skips without libchdb, except under CI=true where a missing real component fails.
func requireChdb(t *testing.T) {
	t.Helper()
	p := os.Getenv("CHDB_LIB_PATH")
	if _, err := os.Stat(p); p != "" && err == nil {
		return
	}
	msg := fmt.Sprintf("libchdb not found (CHDB_LIB_PATH=%q): run `make deps` and export CHDB_LIB_PATH", p)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func sourceConfig(c *kafkatest.Cluster, group string) kafka.SourceConfig {
	return kafka.SourceConfig{Brokers: c.Brokers(), Topic: topic, GroupID: group, BatchSize: 100, BatchWait: 5 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond, SessionTimeout: 6 * time.Second, RebalanceTimeout: 10 * time.Second,
		JoinBackoff: 200 * time.Millisecond, RetryInitial: 5 * time.Millisecond, RetryMax: 40 * time.Millisecond,
		ShutdownTimeout: 5 * time.Second, Logger: quiet()}
}

// TestRestartBeforeCommit is issue 4's restart test on real components: kfake reached by
// kafka-go over TCP and a private clickhouse-server. A first process consumes part of
// usage.raw and dies after the ledger write of a batch but before its commit; a second process
// (fresh pipeline state, rebuilt by the ledgerstore loaders) consumes to the end. Then:
//   - the ledger's usage totals equal the distinct valid input exactly;
//   - accounting: every distinct record (offset) ends as exactly one of accepted (a usage row),
//     rejected (a reject row, with its original bytes) or duplicate (an exact re-send of an
//     earlier record): N = accepted + duplicate + rejected. The lost batch is consumed twice;
//     the second process counts its accepted records as duplicates (its loader remembered
//     them), so the two processes' counters add up to N plus the redelivered records, and
//     their accepted counts add up to the ledger's accepted rows exactly;
//   - per account and charge, the rated deltas sum to rating's quote for the period totals,
//     which holds only if the second process continued the running totals where the first
//     left them.
func TestRestartBeforeCommit(t *testing.T) {
	backends := []struct {
		name string
		// start starts the backend and returns how each "process" opens the same ledger.
		start func(t *testing.T) func(t *testing.T) ledger.Store
	}{
		{"clickhouse-server", func(t *testing.T) func(t *testing.T) ledger.Store {
			srv := clickhousetest.Start(t)
			return func(t *testing.T) ledger.Store { return openLedger(t, srv, "restart_test") }
		}},
		{"chdb", func(t *testing.T) func(t *testing.T) ledger.Store {
			requireChdb(t)
			dir := t.TempDir()
			return func(t *testing.T) ledger.Store { return openChdb(t, dir, "restart_test") }
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { restartBeforeCommit(t, b.start(t)) })
	}
}

// restartBeforeCommit is TestRestartBeforeCommit's scenario on the ledger that open opens; each
// call of open is a new process's ledger connection (on chdb: the embedded engine is shut down
// with the first process's last handle and started again from the data directory).
func restartBeforeCommit(t *testing.T, open func(t *testing.T) ledger.Store) {
	const n = 3000
	in := generate(42, n)
	broker := kafkatest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := broker.CreateTopic(ctx, topic, partitions); err != nil {
		t.Fatal(err)
	}
	for p := range partitions {
		if err := broker.ProducePartition(ctx, topic, p, in.values[p]...); err != nil {
			t.Fatal(err)
		}
	}
	cat := loadCatalog(t)
	const group = "mediation-restart"

	// Process 1: dies after about 40% of the records, its last batch durable but uncommitted.
	l1 := open(t)
	p1 := newPipeline(t, newAdapter(t, l1, cat, newDirectory()), cat, newDirectory())
	run1, stop1 := context.WithCancel(ctx)
	h1 := &crashing{Handler: p1, after: n * 4 / 10, cancel: stop1}
	src1, err := kafka.NewSource(sourceConfig(broker, group))
	if err != nil {
		t.Fatal(err)
	}
	if err := src1.Run(run1, h1); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, errCrashed) {
		t.Logf("process 1 stopped with %v", err)
	}
	if !h1.crashed.Load() {
		t.Fatal("process 1 ended before it crashed")
	}
	c1 := p1.Counters().Snapshot()
	committed, err := broker.Committed(ctx, group, topic, partitions)
	if err != nil {
		t.Fatal(err)
	}
	var committedTotal int64
	for _, off := range committed {
		committedTotal += max(off, 0)
	}
	if lost := h1.lost.Load(); lost == 0 || committedTotal+lost > c1.Consumed {
		t.Fatalf("process 1: %d records handled, %d committed, %d lost: the crash must leave a written batch uncommitted", c1.Consumed, committedTotal, lost)
	}
	_ = l1.Close()

	// Process 2: a new ledger connection, pipeline and source; state comes from the ledger.
	l2 := open(t)
	p2 := newPipeline(t, newAdapter(t, l2, cat, newDirectory()), cat, newDirectory())
	src2, err := kafka.NewSource(sourceConfig(broker, group))
	if err != nil {
		t.Fatal(err)
	}
	run2, stop2 := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- src2.Run(run2, p2) }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got, err := broker.Committed(ctx, group, topic, partitions)
		if err != nil {
			t.Fatal(err)
		}
		if got[0] == int64(len(in.values[0])) && got[1] == int64(len(in.values[1])) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("process 2 did not commit to the end: committed %v, ends %d and %d", got, len(in.values[0]), len(in.values[1]))
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop2()
	if err := <-done; err != nil {
		t.Fatalf("process 2: Run = %v, want nil after a graceful stop", err)
	}
	c2 := p2.Counters().Snapshot()

	accepted, rejected := checkLedger(t, ctx, l2, cat, in)
	if accepted != in.accepted || rejected != in.rejected {
		t.Errorf("ledger holds %d accepted and %d rejected, input has %d valid distinct and %d bad", accepted, rejected, in.accepted, in.rejected)
	}
	if got := accepted + rejected + in.dups; got != n {
		t.Errorf("accounting: accepted %d + duplicate %d + rejected %d = %d, consumed %d distinct records", accepted, in.dups, rejected, got, n)
	}
	redelivered := c1.Consumed + c2.Consumed - n
	if redelivered < h1.lost.Load() {
		t.Errorf("counters: processes consumed %d + %d of %d records: the lost batch of %d must have been redelivered", c1.Consumed, c2.Consumed, n, h1.lost.Load())
	}
	for i, c := range []mediation.Snapshot{c1, c2} {
		if c.Consumed != c.Accepted+c.Duplicate+c.RejectedTotal() {
			t.Errorf("process %d counters: consumed %d != accepted %d + duplicate %d + rejected %d", i+1, c.Consumed, c.Accepted, c.Duplicate, c.RejectedTotal())
		}
	}
	if got := c1.Accepted + c2.Accepted; got != int64(accepted) {
		t.Errorf("counters: processes accepted %d + %d = %d records, the ledger holds %d (a redelivered record was accepted twice)", c1.Accepted, c2.Accepted, got, accepted)
	}
	t.Logf("n=%d: accepted %d, duplicate %d, rejected %d; process 1 %s, process 2 %s; redelivered %d",
		n, accepted, in.dups, rejected, describe(c1), describe(c2), redelivered)
}

func describe(s mediation.Snapshot) string {
	return fmt.Sprintf("consumed %d = accepted %d + duplicate %d + rejected %d", s.Consumed, s.Accepted, s.Duplicate, s.RejectedTotal())
}
