package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/ledger/ledgertest"
)

func runDemoWith(t *testing.T, open func(context.Context, *env, string) (ledger.Store, error), args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"demo", "--catalog", exampleCatalog, "--taxes", exampleTaxes}, args...)
	code := runWith(context.Background(), args, &out, &errOut, open)
	return code, out.String(), errOut.String()
}

func memLedger(context.Context, *env, string) (ledger.Store, error) {
	return ledgertest.NewMemStore(), nil
}

var checkLine = regexp.MustCompile(`(?m)^  \[(ok  |FAIL)\] `)

// TestDemoOnEmbeddedLedger runs the demo as `make demo` does, on the real embedded ClickHouse.
// It is the only test of this package that starts chdb: the engine is one per process.
func TestDemoOnEmbeddedLedger(t *testing.T) {
	if _, err := os.Stat(chdbLibrary()); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("embedded ClickHouse library missing at %s under CI=true: run 'make deps'", chdbLibrary())
		}
		t.Skipf("embedded ClickHouse library missing at %s: run 'make deps'", chdbLibrary())
	}
	code, out, errOut := runDemoWith(t, openEmbeddedLedger, "--events", "30000", "--customers", "8", "--data", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	checks := checkLine.FindAllString(out, -1)
	if len(checks) != 22 || strings.Contains(out, "[FAIL]") {
		t.Errorf("want 22 passing checks:\n%s", out)
	}
	// 30000 distinct events, 600 re-sent, 30 bad: the connector and the pipeline share the 630
	// extra records between them, and the ledger holds exactly the 30000.
	edge := regexp.MustCompile(`(?m)edge: .* — 30630 = (\d+) \+ 30 \+ (\d+)$`).FindStringSubmatch(out)
	if edge == nil {
		t.Fatalf("edge line missing or wrong:\n%s", out)
	}
	accepted, edgeDup := atoi(t, edge[1]), atoi(t, edge[2])
	if accepted+edgeDup != 30600 {
		t.Errorf("edge accepted %d + duplicate %d, want 30600", accepted, edgeDup)
	}
	if want := fmt.Sprintf("%d = 30000 + %d + 0", accepted, accepted-30000); !strings.Contains(out, want) {
		t.Errorf("pipeline line %q missing:\n%s", want, out)
	}
	for _, want := range []string{"ledger 30000 events", "30 bad records: bad_quantity 10, decode 10, unknown_meter 10 (30 dead letters"} {
		if !strings.Contains(out, want) {
			t.Errorf("%q missing:\n%s", want, out)
		}
	}
	// The month after: a payment story, a dunning timeline ending in a suspension, the close.
	for _, want := range []string{"overpays", "sent twice", "suspend+21", "resumed", "Close of 2026-11", "nimbus → eurodist", "eurodist → devhaus"} {
		if !strings.Contains(out, want) {
			t.Errorf("%q missing from the summary:\n%s", want, out)
		}
	}
	for _, want := range []string{"records sent to POST /v1/usage (100%)", "records mediated (100%)", "dunning day by day", "closing 2026-11"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("progress %q not shown on stderr:\n%s", want, errOut)
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDemoIsReproducible: the same seed gives the same invoices, to the cent.
func TestDemoIsReproducible(t *testing.T) {
	_, a, _ := runDemoWith(t, memLedger, "--events", "5000", "--customers", "4")
	code, b, errOut := runDemoWith(t, memLedger, "--events", "5000", "--customers", "4")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	strip := regexp.MustCompile(`done in .*`)
	if strip.ReplaceAllString(a, "") != strip.ReplaceAllString(b, "") {
		t.Errorf("two runs with one seed differ:\n%s\n---\n%s", a, b)
	}
	_, c, _ := runDemoWith(t, memLedger, "--events", "5000", "--customers", "4", "--seed", "2")
	if strip.ReplaceAllString(a, "") == strip.ReplaceAllString(c, "") {
		t.Error("another seed gave the same month")
	}
}

// skewedStore reports one extra thousandth on every usage total: a ledger that lost or
// invented usage. The demo must notice and fail.
type skewedStore struct{ *ledgertest.MemStore }

func (s skewedStore) UsageTotals(ctx context.Context, q ledger.UsageQuery) ([]ledger.UsageTotal, error) {
	rows, err := s.MemStore.UsageTotals(ctx, q)
	for i := range rows {
		rows[i].Quantity = rows[i].Quantity.Add(decimal.New(1, -3))
	}
	return rows, err
}

// PeriodUsage skews the quantities billing invoices from the same way.
func (s skewedStore) PeriodUsage(ctx context.Context, q ledger.PeriodUsageQuery) ([]ledger.AccountUsage, error) {
	rows, err := s.MemStore.PeriodUsage(ctx, q)
	for i := range rows {
		rows[i].Quantity = rows[i].Quantity.Add(decimal.New(1, -3))
	}
	return rows, err
}

func TestDemoFailsWhenLedgerDisagrees(t *testing.T) {
	skewed := func(context.Context, *env, string) (ledger.Store, error) {
		return skewedStore{ledgertest.NewMemStore()}, nil
	}
	code, out, errOut := runDemoWith(t, skewed, "--events", "2000", "--customers", "2")
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(out, "[FAIL] ledger quantities = sent quantities") {
		t.Errorf("quantity check did not fail:\n%s", out)
	}
	// Re-rated from the skewed quantities, the invoice no longer equals the rated deltas either.
	if !strings.Contains(out, "[FAIL] Σ rated deltas = invoiced usage") {
		t.Errorf("invariant 2 check did not fail:\n%s", out)
	}
	// The issued invoices, priced from the same quantities, disagree with the rated deltas too.
	if !strings.Contains(out, "[FAIL] Σ rated deltas = usage on the issued invoices") {
		t.Errorf("the issued invoices' invariant 2 check did not fail:\n%s", out)
	}
	if !strings.Contains(errOut, "reconciliation check failed") {
		t.Errorf("stderr %q", errOut)
	}
}

// TestDemoFailsWhenCashGoesMissing: a journal whose cash clearing is a cent off what the
// payments received fails the demo, through the payment journal's check.
func TestDemoFailsWhenCashGoesMissing(t *testing.T) {
	lossy := func(context.Context, *env, string) (ledger.Store, error) {
		return centOff{ledgertest.NewMemStore(), ":" + billing.RoleCashClearing}, nil
	}
	code, out, errOut := runDemoWith(t, lossy, "--events", "6000", "--customers", "6")
	if code != exitFailure {
		t.Errorf("exit %d, want %d: %s", code, exitFailure, errOut)
	}
	if n := strings.Count(out, "[FAIL]"); n != 1 || !strings.Contains(out, "[FAIL] journal after payments") {
		t.Errorf("want only the payment journal's check to fail, %d failed:\n%s\n%s", n, out, errOut)
	}
}

// aggregateSkew reports the ledger's max and distinct-count aggregates off by one unit: a
// ledger that lost a peak or counted a user twice.
type aggregateSkew struct {
	*ledgertest.MemStore
	max, unique bool
}

func (s aggregateSkew) PeriodUsage(ctx context.Context, q ledger.PeriodUsageQuery) ([]ledger.AccountUsage, error) {
	rows, err := s.MemStore.PeriodUsage(ctx, q)
	for i := range rows {
		if s.max && rows[i].Max.IsPositive() {
			rows[i].Max = rows[i].Max.Add(decimal.NewFromInt(1))
		}
		if s.unique && rows[i].Unique > 0 {
			rows[i].Unique++
		}
	}
	return rows, err
}

// TestDemoFailsWhenAggregatesDisagree: the max and unique_count meters are checked against
// what was sent, and their invoice lines against the deltas (max) or the distinct values sent
// (unique_count, rated at close).
func TestDemoFailsWhenAggregatesDisagree(t *testing.T) {
	tests := []struct {
		name        string
		max, unique bool
		fails       []string
	}{
		{"a peak one GB high", true, false, []string{"ledger quantities = sent quantities", "Σ rated deltas = invoiced usage",
			"Σ rated deltas = usage on the issued invoices"}},
		{"one user counted twice", false, true, []string{"ledger quantities = sent quantities", "unique_count lines"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open := func(context.Context, *env, string) (ledger.Store, error) {
				return aggregateSkew{ledgertest.NewMemStore(), tt.max, tt.unique}, nil
			}
			code, out, _ := runDemoWith(t, open, "--events", "4000", "--customers", "4")
			if code != exitFailure {
				t.Errorf("exit %d, want %d", code, exitFailure)
			}
			if n := strings.Count(out, "[FAIL]"); n != len(tt.fails) {
				t.Errorf("%d checks failed, want %d:\n%s", n, len(tt.fails), out)
			}
			for _, f := range tt.fails {
				if !strings.Contains(out, "[FAIL] "+f) {
					t.Errorf("%q did not fail:\n%s", f, out)
				}
			}
		})
	}
}

func TestDemoBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--period", "October"}, {"--customers", "0"}, {"--duplicates", "101"}, {"extra"}} {
		if code, _, errOut := runDemoWith(t, memLedger, args...); code != exitUsage || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
