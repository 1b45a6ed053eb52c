package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

// TestWithFaults checks the fault hook is inert unless asked for: no variable or a malformed
// one leaves the store as it is (a test hook must never change a real start), a probability
// wraps it in a store that still is a ledger.Scanner and ledger.SQL as the service needs.
// The kill itself is exercised end to end by cmd/cascade/internal/chaos (TestChaosKills).
func TestWithFaults(t *testing.T) {
	mem := ledgertest.NewMemStore()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name, value string
		wrapped     bool
	}{
		{"unset", "", false},
		{"not a number", "often", false},
		{"zero", "0", false},
		{"negative", "-0.5", false},
		{"above one", "1.5", false},
		{"a probability", "0.25", true},
		{"always", "1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(envFaultKillAfterWrite, tc.value)
			got := withFaults(mem, log)
			fs, wrapped := got.(*faultStore)
			if wrapped != tc.wrapped {
				t.Fatalf("%s=%q: wrapped %v, want %v", envFaultKillAfterWrite, tc.value, wrapped, tc.wrapped)
			}
			if !wrapped && got != ledger.Store(mem) {
				t.Fatalf("%s=%q: the store was replaced by %T", envFaultKillAfterWrite, tc.value, got)
			}
			if wrapped {
				if _, ok := got.(ledger.Scanner); !ok {
					t.Error("the wrapper is no ledger.Scanner: mediation could not start")
				}
				if fs.Store != ledger.Store(mem) {
					t.Error("the wrapper does not forward to the store it was given")
				}
			}
		})
	}
}

// TestFaultStoreSparesFailedWrites checks that even with probability 1 the hook never fires on
// a write that failed or wrote nothing: only a durable write may be followed by the crash (were
// this wrong, the test process would die here).
func TestFaultStoreSparesFailedWrites(t *testing.T) {
	t.Setenv(envFaultKillAfterWrite, "1")
	t.Setenv(envFaultSeed, "7")
	mem := ledgertest.NewMemStore()
	store := withFaults(mem, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	if err := store.WriteUsage(ctx, nil); err != nil {
		t.Fatalf("an empty write: %v", err)
	}
	if err := mem.Close(); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	row := ledger.Usage{Source: "s", EventID: "e1", Account: "c1", Meter: "calls", Quantity: decimal.NewFromInt(1), EventTime: at, IngestTime: at}
	if err := store.WriteUsage(ctx, []ledger.Usage{row}); !errors.Is(err, ledger.ErrClosed) {
		t.Fatalf("a write to a closed store: %v, want ErrClosed passed through", err)
	}
	if err := store.WriteRejects(ctx, []ledger.Reject{{Topic: "t", Offset: 1, At: at, Reason: "decode"}}); !errors.Is(err, ledger.ErrClosed) {
		t.Fatalf("a reject write to a closed store: %v, want ErrClosed passed through", err)
	}
}
