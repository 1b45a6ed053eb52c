package mediation_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
)

func TestCountersPrometheus(t *testing.T) {
	ledger := mediationtest.NewLedger()
	p, _ := newPipeline(t, ledger, nil)
	ts := "2026-11-24T11:00:00Z"
	if err := p.Handle(context.Background(), messages(0, 0,
		event("p1", "api_calls", "cust-a", ts, `{"quantity":1}`),
		event("p1", "api_calls", "cust-a", ts, `{"quantity":1}`),
		event("p2", "api_calls", "nobody", ts, `{"quantity":1}`),
		[]byte(`nope`),
	)); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := p.Counters().Snapshot().WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"cascade_mediation_consumed_total 4\n",
		"cascade_mediation_accepted_total 1\n",
		"cascade_mediation_duplicate_total 1\n",
		`cascade_mediation_rejected_total{reason="decode"} 1` + "\n",
		`cascade_mediation_rejected_total{reason="unknown_subject"} 1` + "\n",
		`cascade_mediation_rejected_total{reason="too_old"} 0` + "\n",
		"# TYPE cascade_mediation_batches_total counter\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("exposition lacks %q:\n%s", want, out)
		}
	}
}

// failingLoader fails every load, as an unreachable ledger would.
type failingLoader struct{}

var errLedgerDown = errors.New("ledger down")

func (failingLoader) LoadSeen(context.Context, string, int, time.Time, func(mediation.ID, time.Time)) error {
	return errLedgerDown
}

func TestAssignedLoaderFailure(t *testing.T) {
	p, err := mediation.New(mediation.Config{Catalog: loadCatalog(t), Directory: mediationtest.NewDirectory(),
		Sink: &mediationtest.Discard{}, Seen: failingLoader{}, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Assigned(context.Background(), topic, []int{3}); !errors.Is(err, errLedgerDown) {
		t.Fatalf("Assigned = %v, want the loader's error", err)
	}
	if err := p.Handle(context.Background(), messages(3, 0, []byte(`{}`))); err == nil {
		t.Fatal("a partition whose state failed to load was handled")
	}
}
