package ledgerstore_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// countingLedger counts the scans that reach the ledger.
type countingLedger struct {
	*ledgertest.MemStore
	usage, rated atomic.Int64
}

func (c *countingLedger) ScanUsage(ctx context.Context, q ledger.ScanQuery) ([]ledger.UsageRef, error) {
	c.usage.Add(1)
	return c.MemStore.ScanUsage(ctx, q)
}

func (c *countingLedger) ScanRated(ctx context.Context, q ledger.ScanQuery) ([]ledger.RatedRef, error) {
	c.rated.Add(1)
	return c.MemStore.ScanRated(ctx, q)
}

// TestAssignmentScansOnce checks that one assignment of several partitions scans the ledger
// once per kind, and that a write in between makes the next assignment scan again.
func TestAssignmentScansOnce(t *testing.T) {
	in := generate(5, 400)
	cat := loadCatalog(t)
	l := &countingLedger{MemStore: ledgertest.NewMemStore()}
	store := newAdapter(t, l, cat, newDirectory())
	feed(t, assigned(t, newPipeline(t, store, cat, newDirectory())), in, 50, 0, 0.5)
	if u, r := l.usage.Load(), l.rated.Load(); u != 1 || r != 1 {
		t.Fatalf("assigning %d partitions scanned usage %d and rated %d times, want once each", partitions, u, r)
	}
	l.usage.Store(0)
	l.rated.Store(0)
	p2 := assigned(t, newPipeline(t, store, cat, newDirectory())) // same clock, but the store wrote since
	if u, r := l.usage.Load(), l.rated.Load(); u != 1 || r != 1 {
		t.Fatalf("assignment after writes scanned usage %d and rated %d times, want once each (a fresh scan)", u, r)
	}
	feed(t, p2, in, 50, 0.5, 1)
	checkLedger(t, context.Background(), l.MemStore, cat, in)
}
