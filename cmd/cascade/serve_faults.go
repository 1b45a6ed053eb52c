package main

// TEST HOOK. This file injects crashes on purpose; it is inert unless an environment variable
// asks for it, and nothing in production sets it.
//
//	CASCADE_FAULT_KILL_AFTER_WRITE=<probability 0..1>
//	CASCADE_FAULT_SEED=<uint64>            (optional; default: the clock)
//
// With CASCADE_FAULT_KILL_AFTER_WRITE set, every successful mediation write to the ledger
// (WriteRated, WriteUsage, WriteRejects: what a batch stores before its offsets are committed)
// is followed, with that probability, by a SIGKILL of the process itself. That is the crash no
// outside signal can aim at: the rows are durable but Kafka does not know, so the restarted
// consumer gets the batch again. The chaos suite (cmd/cascade/internal/chaos) uses it to prove
// that the redelivery collapses and nothing is counted twice. A line "fault injection: SIGKILL
// after a ledger write" goes to the log first, so a test can tell this kill from its own.

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/cascade-billing/cascade/ledger"
)

// Environment variables of the fault hook (see the file comment).
const (
	envFaultKillAfterWrite = "CASCADE_FAULT_KILL_AFTER_WRITE"
	envFaultSeed           = "CASCADE_FAULT_SEED"
)

// withFaults returns store itself unless CASCADE_FAULT_KILL_AFTER_WRITE asks for crashes; then
// a wrapper that kills the process after some successful mediation writes. A malformed value is
// logged and ignored: a test hook must never stop a real start.
func withFaults(store ledger.Store, log *slog.Logger) ledger.Store {
	raw := os.Getenv(envFaultKillAfterWrite)
	if raw == "" {
		return store
	}
	if log == nil {
		log = slog.Default()
	}
	p, err := strconv.ParseFloat(raw, 64)
	if err != nil || p <= 0 || p > 1 {
		log.Error("fault injection: ignored, want a probability in (0, 1]", "var", envFaultKillAfterWrite, "value", raw)
		return store
	}
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv(envFaultSeed), 10, 64); err == nil {
		seed = s
	}
	log.Warn("fault injection enabled: the process SIGKILLs itself after some ledger writes",
		"probability", p, "seed", seed)
	return &faultStore{Store: store, p: p, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), log: log}
}

// faultStore is a ledger.Store whose mediation writes may end the process once they returned.
// It forwards the optional interfaces the service asserts on its store (ledger.Scanner for
// mediation's restart scans, ledger.SQL for `cascade sql`).
type faultStore struct {
	ledger.Store
	p   float64
	log *slog.Logger

	mu    sync.Mutex // guards rng and fired: partitions write in parallel
	rng   *rand.Rand
	fired bool // the kill is on its way: every later write stops before its commit too
}

// WriteRated writes, then maybe crashes: the deltas are stored, the usage rows not yet.
func (f *faultStore) WriteRated(ctx context.Context, rows []ledger.RatedDelta) error {
	err := f.Store.WriteRated(ctx, rows)
	f.maybeKill(err, "rated", len(rows))
	return err
}

// WriteUsage writes, then maybe crashes: usage stored, offsets not committed.
func (f *faultStore) WriteUsage(ctx context.Context, rows []ledger.Usage) error {
	err := f.Store.WriteUsage(ctx, rows)
	f.maybeKill(err, "usage", len(rows))
	return err
}

// WriteRejects writes, then maybe crashes: rejects stored, offsets not committed.
func (f *faultStore) WriteRejects(ctx context.Context, rows []ledger.Reject) error {
	err := f.Store.WriteRejects(ctx, rows)
	f.maybeKill(err, "rejects", len(rows))
	return err
}

// ScanUsage forwards ledger.Scanner.
func (f *faultStore) ScanUsage(ctx context.Context, q ledger.ScanQuery) ([]ledger.UsageRef, error) {
	sc, ok := f.Store.(ledger.Scanner)
	if !ok {
		return nil, fmt.Errorf("fault injection: ledger %T does not implement ledger.Scanner", f.Store)
	}
	return sc.ScanUsage(ctx, q)
}

// ScanRated forwards ledger.Scanner.
func (f *faultStore) ScanRated(ctx context.Context, q ledger.ScanQuery) ([]ledger.RatedRef, error) {
	sc, ok := f.Store.(ledger.Scanner)
	if !ok {
		return nil, fmt.Errorf("fault injection: ledger %T does not implement ledger.Scanner", f.Store)
	}
	return sc.ScanRated(ctx, q)
}

// Query forwards ledger.SQL.
func (f *faultStore) Query(ctx context.Context, sql string) ([]string, [][]string, error) {
	q, ok := f.Store.(ledger.SQL)
	if !ok {
		return nil, nil, fmt.Errorf("fault injection: ledger %T does not answer SQL", f.Store)
	}
	return q.Query(ctx, sql)
}

// maybeKill SIGKILLs the process with probability p after a successful write of n rows.
func (f *faultStore) maybeKill(err error, what string, n int) {
	if err != nil || n == 0 {
		return
	}
	f.mu.Lock()
	already := f.fired
	hit := already || f.rng.Float64() < f.p
	f.fired = hit
	f.mu.Unlock()
	if already {
		time.Sleep(time.Minute) // another partition's write pulled the trigger
		return
	}
	if !hit {
		return
	}
	f.log.Error("fault injection: SIGKILL after a ledger write", "write", what, "rows", n)
	self, ferr := os.FindProcess(os.Getpid())
	if ferr == nil {
		ferr = self.Kill() // SIGKILL on Unix: no deferred function, no commit runs
	}
	if ferr != nil {
		f.log.Error("fault injection: could not kill the process", "err", ferr)
		return
	}
	time.Sleep(time.Minute) // the signal is on its way; never return into the commit
}
