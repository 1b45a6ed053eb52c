package mediation_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
)

const topic = "usage.raw"

// newPipeline builds a pipeline over the test catalog with three subscribed customers, a
// fixed clock, and ledger as sink and state loader.
func newPipeline(tb testing.TB, sink mediation.Sink, ledger *mediationtest.Ledger) (*mediation.Pipeline, *mediationtest.Directory) {
	tb.Helper()
	dir := mediationtest.NewDirectory()
	for _, c := range []string{"cust-a", "cust-b", "cust-c"} {
		dir.Add(c, mediation.Enrichment{Account: "acct-" + c, Subscription: "sub-" + c, PlanID: "pro", PlanVersion: 1,
			Channel: []string{"acme", c}})
	}
	cfg := mediation.Config{
		Catalog: loadCatalog(tb), Directory: dir, Sink: sink,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    func() time.Time { return testNow },
	}
	if ledger != nil {
		cfg.Seen, cfg.Totals = ledger, ledger
	}
	p, err := mediation.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.Assigned(context.Background(), topic, []int{0, 1}); err != nil {
		tb.Fatal(err)
	}
	return p, dir
}

// messages wraps raw records as one partition's batch, with offsets from first.
func messages(partition int, first int64, raws ...[]byte) []mediation.Message {
	out := make([]mediation.Message, len(raws))
	for i, r := range raws {
		out[i] = mediation.Message{Topic: topic, Partition: partition, Offset: first + int64(i), Value: r, Time: testNow}
	}
	return out
}
