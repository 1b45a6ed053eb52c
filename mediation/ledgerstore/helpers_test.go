package ledgerstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/ledger"
	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/ledgerstore"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

const topic = "usage.raw"

// testNow is the pipeline clock: every generated event lies in November 2026 before it.
var testNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func november() ledger.Period {
	return ledger.Period{From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func loadCatalog(tb testing.TB) *rating.Catalog {
	tb.Helper()
	c, err := rating.LoadFile("../testdata/catalog.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// customers are subscribed to plan pro; their account is the ownership scope, and the test's
// partitioner sends customer i to partition i % partitions.
var customers = []string{"cust-0", "cust-1", "cust-2", "cust-3"}

const partitions = 2

func account(customer string) string { return "acct-" + customer }

// partitionOf is the producer's partitioner of the tests: by the ownership scope (account).
func partitionOf(_ string, scope string) int {
	for i, c := range customers {
		if account(c) == scope {
			return i % partitions
		}
	}
	return 0 // unknown scopes (rejected subjects) go to partition 0 too
}

func newDirectory() *mediationtest.Directory {
	dir := mediationtest.NewDirectory()
	for _, c := range customers {
		dir.Add(c, mediation.Enrichment{Account: account(c), Subscription: "sub-" + c, PlanID: "pro", PlanVersion: 1,
			Channel: []string{"acme", c}})
	}
	return dir
}

// newAdapter returns a ledgerstore over l with the test's catalog, directory and partitioner.
func newAdapter(tb testing.TB, l ledger.Store, cat *rating.Catalog, dir mediation.Directory) *ledgerstore.Store {
	tb.Helper()
	s, err := ledgerstore.New(ledgerstore.Config{Ledger: l, Catalog: cat, Directory: dir, Partition: partitionOf,
		Logger: quiet(), Now: func() time.Time { return testNow }})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// newPipeline is a fresh process's pipeline: its own state, loaded from the ledger on Assigned.
func newPipeline(tb testing.TB, store *ledgerstore.Store, cat *rating.Catalog, dir mediation.Directory) *mediation.Pipeline {
	tb.Helper()
	p, err := mediation.New(mediation.Config{Catalog: cat, Directory: dir, Sink: store, Seen: store, Totals: store,
		Logger: quiet(), Now: func() time.Time { return testNow }})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// stream is a generated input with what the ledger must end up holding, computed from the
// input alone.
type stream struct {
	values   [partitions][][]byte
	accepted int // distinct valid records
	dups     int // exact re-sends of an earlier valid record
	rejected int // bad records
	// totals[account][meter] is the sum of the distinct valid quantities; events the count.
	totals map[string]map[string]decimal.Decimal
	events map[string]map[string]int
	// quoteUsage[account][meter] is the period total as rating meters it (sum, count, max).
	quoteUsage map[string]map[string]decimal.Decimal
	bad        map[string]bool // the bad records' bytes
}

var meters = []string{"api_calls", "logins", "peak_gb"}

// generate makes n records over the customers and meters: about 8% exact duplicates of an
// earlier valid record (a producer retry) and 6% bad records (not JSON, unknown meter,
// unknown subject).
func generate(seed uint64, n int) *stream {
	r := rand.New(rand.NewPCG(seed, seed^0xc0ffee))
	s := &stream{totals: map[string]map[string]decimal.Decimal{}, events: map[string]map[string]int{},
		quoteUsage: map[string]map[string]decimal.Decimal{}, bad: map[string]bool{}}
	type sent struct {
		part int
		raw  []byte
	}
	var valid []sent
	from := november().From
	for i := range n {
		switch k := r.IntN(100); {
		case k < 8 && len(valid) > 0:
			v := valid[r.IntN(len(valid))]
			s.values[v.part] = append(s.values[v.part], v.raw)
			s.dups++
			continue
		case k < 14:
			var raw []byte
			switch k % 3 {
			case 0:
				raw = fmt.Appendf(nil, `{"specversion":"1.0","id":"bad-%d","source":"gw"`, i) // truncated JSON
			case 1:
				raw = event(i, "no_such_meter", customers[0], from, "1")
			default:
				raw = event(i, "api_calls", "cust-zz", from, "1")
			}
			s.bad[string(raw)] = true
			s.values[0] = append(s.values[0], raw)
			s.rejected++
			continue
		}
		ci := r.IntN(len(customers))
		c, meter := customers[ci], meters[r.IntN(len(meters))]
		at := from.Add(time.Duration(r.Int64N(int64(testNow.Sub(from)-time.Hour))) + time.Duration(r.IntN(1000))*time.Millisecond)
		q := decimal.NewFromInt(1 + r.Int64N(60))
		if r.IntN(4) == 0 {
			q = q.Add(decimal.RequireFromString("0.125"))
		}
		if meter == "logins" {
			q = decimal.NewFromInt(1)
		}
		raw := event(i, meter, c, at, q.String())
		part := ci % partitions
		valid = append(valid, sent{part, raw})
		s.values[part] = append(s.values[part], raw)
		s.accepted++
		acc := account(c)
		if s.totals[acc] == nil {
			s.totals[acc], s.events[acc], s.quoteUsage[acc] = map[string]decimal.Decimal{}, map[string]int{}, map[string]decimal.Decimal{}
		}
		s.totals[acc][meter] = s.totals[acc][meter].Add(q)
		s.events[acc][meter]++
		switch meter {
		case "logins":
			s.quoteUsage[acc][meter] = s.quoteUsage[acc][meter].Add(decimal.NewFromInt(1))
		case "peak_gb":
			if q.GreaterThan(s.quoteUsage[acc][meter]) {
				s.quoteUsage[acc][meter] = q
			}
		default:
			s.quoteUsage[acc][meter] = s.quoteUsage[acc][meter].Add(q)
		}
	}
	return s
}

func event(i int, meter, subject string, at time.Time, qty string) []byte {
	return fmt.Appendf(nil, `{"specversion":"1.0","id":"ev-%d","source":"acme-gw","type":%q,"subject":%q,"time":%q,"data":{"quantity":"%s","attributes":{"region":"eu"}}}`,
		i, meter, subject, at.Format(time.RFC3339Nano), qty)
}

// total is the number of generated records.
func (s *stream) total() int { return s.accepted + s.dups + s.rejected }

// checkLedger asserts what the ledger holds against the input: usage totals equal the
// distinct valid input exactly, every bad record is a reject with its original bytes, and per
// account and charge the rated deltas sum to rating's quote for the period's totals.
func checkLedger(t *testing.T, ctx context.Context, l ledger.Store, cat *rating.Catalog, in *stream) (accepted, rejected int) {
	t.Helper()
	for _, c := range customers {
		acc := account(c)
		got, err := l.UsageTotals(ctx, ledger.UsageQuery{Account: acc, Period: november()})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(in.totals[acc]) {
			t.Errorf("%s: ledger has %d meters %v, input %d", acc, len(got), got, len(in.totals[acc]))
		}
		for _, g := range got {
			if want := in.totals[acc][g.Meter]; !g.Quantity.Equal(want) || int(g.Events) != in.events[acc][g.Meter] {
				t.Errorf("%s %s: ledger total %s over %d events, input %s over %d", acc, g.Meter, g.Quantity, g.Events, want, in.events[acc][g.Meter])
			}
			accepted += int(g.Events)
		}
		checkQuote(t, ctx, l, cat, acc, in.quoteUsage[acc])
	}
	rejects, err := l.Rejects(ctx, ledger.RejectQuery{Period: ledger.Period{From: testNow.Add(-time.Hour), To: testNow.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rejects {
		if r.Partition < 0 || int(r.Partition) >= partitions || r.Offset < 0 || int(r.Offset) >= len(in.values[r.Partition]) {
			t.Errorf("reject %s: no such record was sent", r.Key())
			continue
		}
		sent := in.values[r.Partition][r.Offset]
		if string(r.Original) != string(sent) || !in.bad[string(sent)] || r.Reason == "" || r.Detail == "" || r.Topic != topic {
			t.Errorf("reject %s (%s: %s): original bytes %q, sent %q (a bad record: %v)", r.Key(), r.Reason, r.Detail, r.Original, sent, in.bad[string(sent)])
		}
	}
	return accepted, len(rejects)
}

func checkQuote(t *testing.T, ctx context.Context, l ledger.Store, cat *rating.Catalog, acc string, usage map[string]decimal.Decimal) {
	t.Helper()
	rated, err := l.RatedTotals(ctx, ledger.UsageQuery{Account: acc, Period: november()})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]decimal.Decimal{}
	for _, r := range rated {
		got[r.Charge] = r.Amount
	}
	q, err := cat.Quote(rating.QuoteInput{PlanID: "pro", At: november().From, Usage: usage})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range q.Lines {
		if line.Kind != rating.LineUsage || usage[line.Meter].IsZero() {
			continue
		}
		if !got[line.ChargeID].Equal(line.Exact) {
			t.Errorf("%s charge %s: rated deltas sum to %s, quote's usage line is %s (meter total %s)",
				acc, line.ChargeID, got[line.ChargeID], line.Exact, usage[line.Meter])
		}
		checked++
	}
	if checked == 0 && len(usage) > 0 {
		t.Errorf("%s: no quote line compared", acc)
	}
}
