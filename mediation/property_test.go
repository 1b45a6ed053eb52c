package mediation_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/mediation"
	"github.com/cascade-billing/cascade/mediation/mediationtest"
	"github.com/cascade-billing/cascade/rating"
	"github.com/shopspring/decimal"
)

// streamGen produces random usage streams: valid events over six meters and two billing periods,
// exact duplicates of earlier messages, and records bad in every way a stage can catch.
type streamGen struct {
	r    *rand.Rand
	n    int
	sent [][2]any // earlier messages: {partition, raw}
	// valid holds the ids of records that must be accepted (adjustment credits aside, which
	// depend on the running total when they arrive).
	valid []string
}

// partitionOf keeps each subject on one partition, as keying by ownership scope does.
var partitionOf = map[string]int{"cust-a": 0, "cust-b": 0, "cust-c": 1, "cust-zz": 1}

func (g *streamGen) next() (int, []byte) {
	if len(g.sent) > 0 && g.r.IntN(100) < 15 {
		m := g.sent[g.r.IntN(len(g.sent))]
		return m[0].(int), m[1].([]byte)
	}
	g.n++
	id := fmt.Sprintf("ev-%06d", g.n)
	subject := []string{"cust-a", "cust-b", "cust-c"}[g.r.IntN(3)]
	meter := []string{"api_calls", "egress", "adjustments", "logins", "peak_gb", "users"}[g.r.IntN(6)]
	at := testNow.Add(-time.Duration(g.r.Int64N(int64(34 * 24 * time.Hour))))
	q := fmt.Sprintf("%d.%03d", g.r.IntN(5000), g.r.IntN(1000))
	switch meter {
	case "adjustments":
		q = fmt.Sprintf("%d.%02d", g.r.IntN(30)-10, g.r.IntN(100))
	case "egress":
		q = fmt.Sprintf("%d", g.r.Int64N(5e10))
	}
	data := fmt.Sprintf(`{"quantity":%q,"attributes":{"user_id":"u%d"}}`, q, g.r.IntN(9))
	switch g.r.IntN(20) {
	case 0:
		data = `{"quantity":"-1"}`
		meter = "api_calls"
	case 1:
		meter = "unknown_meter"
	case 2:
		subject = "cust-zz"
	case 3:
		at = testNow.Add(-40 * 24 * time.Hour)
	case 4:
		return partitionOf[subject], []byte(`{"specversion":"1.0","id":"` + id + `","data":`)
	}
	raw := event(id, meter, subject, at.Format(time.RFC3339Nano), data)
	p := partitionOf[subject]
	if meter != "adjustments" && meter != "unknown_meter" && subject != "cust-zz" && at.After(testNow.Add(-35*24*time.Hour)) && data[13] != '-' {
		g.valid = append(g.valid, id)
	}
	g.sent = append(g.sent, [2]any{p, raw})
	return p, raw
}

// TestPipelineProperty runs random streams through the pipeline with injected sink failures
// (each failed batch redelivered) and a restart halfway, then checks DESIGN.md invariants 2 and 3:
// consumed = accepted + duplicate + rejected, and per subscription, period and charge the
// rated deltas sum exactly to the quote's usage line for the period's totals.
func TestPipelineProperty(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, seed*7919))
			g := &streamGen{r: r}
			ledger := mediationtest.NewLedger()
			p, _ := newPipeline(t, ledger, ledger)
			ctx := context.Background()
			var consumed, accepted, duplicate, rejected int64
			offsets := [2]int64{}
			var pending [2][][]byte
			tally := func() {
				s := p.Counters().Snapshot()
				consumed, accepted, duplicate, rejected = consumed+s.Consumed, accepted+s.Accepted, duplicate+s.Duplicate, rejected+s.RejectedTotal()
			}
			handled := 0
			send := func(part int, raws [][]byte) {
				if len(raws) == 0 {
					return
				}
				msgs := messages(part, offsets[part], raws...)
				for { // a failed batch is redelivered, as the source does
					if r.IntN(10) == 0 {
						ledger.FailNext(1)
					}
					err := p.Handle(ctx, msgs)
					if err == nil {
						break
					}
					if !errors.Is(err, mediationtest.ErrInjected) {
						t.Fatal(err)
					}
				}
				offsets[part] += int64(len(msgs))
				handled += len(msgs)
			}
			const batches = 160
			for b := 0; b < batches; b++ {
				if b == batches/2 { // restart: the state comes back from the ledger
					tally()
					p, _ = newPipeline(t, ledger, ledger)
				}
				part := r.IntN(2)
				// Records for the other partition wait for its next batch, so none is lost.
				raws := pending[part]
				for want := 1 + r.IntN(25); len(raws) < want; {
					pp, raw := g.next()
					if pp == part {
						raws = append(raws, raw)
					} else {
						pending[pp] = append(pending[pp], raw)
					}
				}
				pending[part] = nil
				send(part, raws)
			}
			send(0, pending[0])
			send(1, pending[1])
			tally()
			if consumed != int64(handled) || consumed != accepted+duplicate+rejected {
				t.Fatalf("handled %d; consumed %d != accepted %d + duplicate %d + rejected %d", handled, consumed, accepted, duplicate, rejected)
			}
			if int64(len(ledger.Usage())) != accepted || int64(len(ledger.Rejected())) != rejected {
				t.Fatalf("ledger holds %d usage rows and %d rejects; counters say %d and %d",
					len(ledger.Usage()), len(ledger.Rejected()), accepted, rejected)
			}
			rows := map[mediation.ID]bool{}
			for _, u := range ledger.Usage() {
				rows[u.ID] = true
			}
			for _, id := range g.valid {
				if !rows[mediation.UsageID("acme-gw", id)] {
					t.Fatalf("valid record %s was never accepted", id)
				}
			}
			if duplicate == 0 || rejected == 0 || accepted == 0 {
				t.Fatalf("stream exercised too little: accepted %d duplicate %d rejected %d", accepted, duplicate, rejected)
			}
			checkDeltasMatchQuotes(t, loadCatalog(t), ledger)
		})
	}
}

type periodKey struct {
	sub    string
	period time.Time
}

func checkDeltasMatchQuotes(t *testing.T, cat *rating.Catalog, ledger *mediationtest.Ledger) {
	t.Helper()
	usage := map[periodKey]map[string]decimal.Decimal{}
	for _, u := range ledger.Usage() {
		k := periodKey{u.Subscription, u.PeriodStart}
		if usage[k] == nil {
			usage[k] = map[string]decimal.Decimal{}
		}
		q := u.Quantity.Decimal()
		switch m, _ := cat.Meter(u.Type); m.Aggregation {
		case rating.AggCount:
			usage[k][u.Type] = usage[k][u.Type].Add(decimal.NewFromInt(1))
		case rating.AggMax:
			if q.GreaterThan(usage[k][u.Type]) {
				usage[k][u.Type] = q
			}
		case rating.AggSum:
			usage[k][u.Type] = usage[k][u.Type].Add(q)
		}
	}
	deltas := map[periodKey]map[string]decimal.Decimal{}
	for _, d := range ledger.Deltas() {
		k := periodKey{d.Scope, d.PeriodStart}
		if deltas[k] == nil {
			deltas[k] = map[string]decimal.Decimal{}
		}
		deltas[k][d.Charge] = deltas[k][d.Charge].Add(d.Amount.Decimal())
	}
	checked := 0
	for k, u := range usage {
		q, err := cat.Quote(rating.QuoteInput{PlanID: "pro", At: k.period, Usage: u})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range q.Lines {
			if l.Kind != rating.LineUsage || l.ChargeID == "users" {
				continue
			}
			if got := deltas[k][l.ChargeID]; !got.Equal(l.Exact) {
				t.Errorf("%s %s charge %s: deltas sum to %s, quote usage line exact %s (quantity %s)",
					k.sub, k.period.Format("2006-01"), l.ChargeID, got, l.Exact, l.Quantity)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no quote line checked")
	}
}
