package chaos_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/chaos"
	"github.com/cascade-billing/cascade/ledger/clickhouse"
)

// TestChaosKills is issue #8's process-kill suite. A baseline scenario runs the stream
// undisturbed and issues its invoices; a chaos scenario runs the same stream while the child is
// SIGKILLed at random moments (mid-stream, during start-up and the group's rejoin), kills itself
// right after ledger writes (the fault hook: rows stored, offsets not committed) and is killed
// during an invoice cycle. After each kill it is restarted. At the end nothing may be lost or
// doubled, the accounting identity must hold, and the invoices must equal the baseline's with
// gap-free numbers.
func TestChaosKills(t *testing.T) {
	needsReal(t)
	knobs := mustKnobs(t)
	t.Logf("chaos: seed=%d kills=%d self-kills=%d cycle-kills=%d records=%d (CASCADE_CHAOS_SEED=%d replays it)",
		knobs.Seed, knobs.Kills, knobs.SelfKills, knobs.CycleKills, knobs.Records(), knobs.Seed)
	env := chaos.StartEnv(t)
	cal := env.Calendar
	st := chaos.NewStream(chaos.StreamConfig{Seed: knobs.Seed, Records: knobs.Records(), Customers: 24, Window: cal.Usage,
		TooOld: cal.TooOld, InFuture: cal.InFuture})
	base, _ := runBaseline(t, env, st)

	sc := env.NewScenario(t, "kills")
	k := &killer{t: t, sc: sc, st: st, knobs: knobs, rng: rand.New(rand.NewPCG(knobs.Seed, 0xc4a05))}
	k.in = sc.NewInstance(t, chaos.InstanceOptions{})
	k.in.Start(t)
	chaos.SetupChannel(t, k.in, st.Customers, cal.Start)
	for i := range knobs.Kills {
		k.produce(knobs.Chunk)
		k.killAtRandom(i)
		k.in.Restart(t)
	}
	for i := range knobs.SelfKills {
		k.selfKill(i)
	}
	k.produce(len(st.Messages))
	k.waitCaughtUp()
	interrupted := 0
	for i := range knobs.CycleKills {
		if k.killDuringCycle(i) {
			interrupted++
		}
	}
	chaos.RunCycle(t, k.in, cal.AsOf)
	k.waitCaughtUp()
	res := sc.Verify(t, st, k.in.Metrics(t))
	invs := chaos.Invoices(t, k.in)
	k.in.Stop(t)
	if os.Getenv("CHAOS_DUMP") != "" {
		t.Log(k.in.Log())
	}

	problems := append(chaos.CompareInvoices(base, invs), chaos.CheckNumbering(invs)...)
	summary.AddKills(k.kills)
	summary.AddResult("kills", res)
	summary.AddInvoices("kills", problems)
	t.Logf("chaos: %d kills (%d by the fault hook, %d during cycles); %s; %d invoices", k.kills, k.selfKills, interrupted, res, len(invs))
	if !res.OK() {
		t.Errorf("after %d kills (seed %d): %s\n%s", k.kills, knobs.Seed, res, k.in.LogTail(60))
	}
	if len(problems) > 0 {
		t.Errorf("after %d kills (seed %d) the invoices differ from the baseline's:\n%v", k.kills, knobs.Seed, problems)
	}
	if k.kills < knobs.Kills+2 || interrupted == 0 {
		t.Errorf("%d kills, %d of them interrupting a cycle; want at least %d, one by the fault hook and one during a cycle",
			k.kills, interrupted, knobs.Kills+2)
	}
}

func mustKnobs(t *testing.T) chaos.Knobs {
	t.Helper()
	k, err := chaos.LoadKnobs(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// runBaseline runs the stream through an undisturbed instance, checks the ledger exactly
// (counters included: one process saw everything) and returns the invoices of a cycle and how
// long the cycle's request took.
func runBaseline(t *testing.T, env *chaos.Env, st *chaos.Stream) ([]chaos.Invoice, time.Duration) {
	t.Helper()
	sc := env.NewScenario(t, "baseline")
	// Big batches: the baseline only has to be right, and batching changes no result.
	in := sc.NewInstance(t, chaos.InstanceOptions{BatchSize: 1000})
	began := time.Now()
	chaos.Binary(t) // built before the clock of the baseline starts
	t.Logf("baseline: the binary is built (%s)", time.Since(began).Round(time.Millisecond))
	began = time.Now()
	in.Start(t)
	chaos.SetupChannel(t, in, st.Customers, sc.Calendar.Start)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := sc.Produce(ctx, st.Messages); err != nil {
		t.Fatal(err)
	}
	if err := sc.WaitCaughtUp(ctx); err != nil {
		t.Fatalf("baseline: %v\n%s", err, in.LogTail(30))
	}
	t.Logf("baseline: %d records mediated in %s", len(st.Messages), time.Since(began).Round(time.Millisecond))
	m := in.Metrics(t)
	res := sc.Verify(t, st, m)
	if consumed, err := m.Int("cascade_mediation_consumed_total"); err != nil || consumed != int64(len(st.Messages)) {
		res.Identity = false
		res.Problems = append(res.Problems, fmt.Sprintf("baseline consumed %d (%v), want every record %d", consumed, err, len(st.Messages)))
	}
	if !res.OK() {
		summary.AddResult("baseline", res)
		t.Fatalf("baseline (no faults): %s", res)
	}
	began = time.Now()
	chaos.RunCycle(t, in, sc.Calendar.AsOf)
	took := time.Since(began)
	invs := chaos.Invoices(t, in)
	in.Stop(t)
	if p := chaos.CheckNumbering(invs); len(p) > 0 || len(invs) < len(st.Customers) {
		summary.AddInvoices("baseline", append(p, fmt.Sprintf("%d documents for %d customers", len(invs), len(st.Customers))))
		t.Fatalf("baseline: %d documents, numbering %v", len(invs), p)
	}
	t.Logf("baseline: %s; %d invoices, the cycle took %s", res, len(invs), took)
	return invs, took
}

// killer drives the chaos scenario: it produces the stream chunk by chunk and kills the child
// at moments drawn from its seeded rng, logging each so a failure can be replayed.
type killer struct {
	t     *testing.T
	sc    *chaos.Scenario
	in    *chaos.Instance
	st    *chaos.Stream
	knobs chaos.Knobs
	rng   *rand.Rand

	next      int // the first message not produced yet
	kills     int
	selfKills int
}

// produce sends the next n messages of the stream (fewer at its end); it reports whether any
// was left to send.
func (k *killer) produce(n int) bool {
	k.t.Helper()
	end := min(k.next+n, len(k.st.Messages))
	if end == k.next {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := k.sc.Produce(ctx, k.st.Messages[k.next:end]); err != nil {
		k.t.Fatal(err)
	}
	k.next = end
	return true
}

func (k *killer) waitCaughtUp() {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := k.sc.WaitCaughtUp(ctx); err != nil {
		k.t.Fatalf("%v\n%s", err, k.in.LogTail(40))
	}
}

// killAtRandom SIGKILLs the child, two kills in three while it mediates (once this process
// has consumed something, after a random few more milliseconds: mid-batch, between a write and
// its commit), the third at a random moment up to 3 s after it became ready (during the
// group's rejoin, or idle).
func (k *killer) killAtRandom(i int) {
	k.t.Helper()
	mode := "mid-stream"
	var consumed int64
	if i%3 != 2 {
		// Somewhere in the first half of the backlog this process replays: early kills hit the
		// first batches after a restart, later ones a consumer in full flow.
		threshold := int64(1 + k.rng.IntN(max(k.knobs.Chunk/2, 1)))
		deadline := time.Now().Add(30 * time.Second)
		for consumed < threshold && time.Now().Before(deadline) {
			consumed = consumedNow(k.in)
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(k.rng.IntN(30)) * time.Millisecond)
	} else {
		d := time.Duration(k.rng.IntN(3000)) * time.Millisecond
		mode = "after " + d.String()
		time.Sleep(d)
	}
	k.in.Kill(k.t)
	k.kills++
	k.t.Logf("kill %d (%s): consumed %d by then in this process, %d/%d records produced", i+1, mode, consumed, k.next, len(k.st.Messages))
}

// consumedNow reads this process's consumed counter (0 while it is not answering).
func consumedNow(in *chaos.Instance) int64 {
	status, body, err := in.Do("GET", "/metrics", "", nil)
	if err != nil || status != 200 {
		return 0
	}
	m, err := chaos.ParseMetrics(string(body))
	if err != nil {
		return 0
	}
	n, _ := m.Int("cascade_mediation_consumed_total")
	return n
}

// selfKill stops the child gracefully (SIGTERM: it commits what it wrote, exit 0), restarts it
// with the fault hook on (CASCADE_FAULT_KILL_AFTER_WRITE), feeds it records until it kills
// itself right after a ledger write, and restarts it without the hook.
func (k *killer) selfKill(i int) {
	k.t.Helper()
	if k.in.Running() {
		k.in.Stop(k.t)
	}
	k.in.SetEnv("CASCADE_FAULT_KILL_AFTER_WRITE", "0.1")
	k.in.SetEnv("CASCADE_FAULT_SEED", strconv.FormatUint(k.knobs.Seed+uint64(i), 10))
	before := k.in.SelfKills()
	k.in.Spawn(k.t) // it may die while replaying the backlog, before it is ready
	for !k.in.WaitExit(10*time.Second) && k.produce(k.knobs.Chunk/4) {
	}
	k.in.SetEnv("CASCADE_FAULT_KILL_AFTER_WRITE", "")
	k.in.SetEnv("CASCADE_FAULT_SEED", "")
	if k.in.Running() {
		k.t.Logf("self-kill %d: the hook did not fire on the rest of the stream; killing from outside", i+1)
		k.in.Kill(k.t)
		k.kills++
	} else if k.in.KilledBySignal() && k.in.SelfKills() > before {
		k.kills++
		k.selfKills++
		k.t.Logf("self-kill %d: killed itself after a ledger write, %d/%d records produced", i+1, k.next, len(k.st.Messages))
	} else {
		k.t.Fatalf("self-kill %d: the child exited with %s, not by the fault hook\n%s", i+1, k.in.ExitStatus(), k.in.LogTail(40))
	}
	k.in.Restart(k.t)
}

// killDuringCycle starts POST /v1/cycles and SIGKILLs the child once the cycle has written a
// random number of the invoices it has left (counted in the ledger's documents table while it
// runs: billing's own view changes only when the cycle ends), then restarts it. It reports
// whether the kill interrupted the request; a cycle that finished first is logged.
func (k *killer) killDuringCycle(i int) bool {
	k.t.Helper()
	total := len(k.st.Customers) // one invoice per customer
	ledgerDocs := k.documentCounter()
	defer ledgerDocs.Close()
	have := ledgerDocs.count()
	if have >= total-1 {
		k.t.Logf("cycle kill %d: %d of %d invoices issued already, nothing left to interrupt", i+1, have, total)
		return false
	}
	target := have + 1 + k.rng.IntN(total-have-1)
	type answer struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		s, b, err := chaos.StartCycle(k.in, k.sc.Calendar.AsOf)
		done <- answer{s, b, err}
	}()
	seen := have
	for deadline := time.Now().Add(time.Minute); seen < target && time.Now().Before(deadline); {
		select {
		case a := <-done:
			k.t.Logf("cycle kill %d: the cycle ended (HTTP %d %v) before %d invoices were seen", i+1, a.status, a.err, target)
			return false
		default:
		}
		seen = ledgerDocs.count()
		time.Sleep(time.Millisecond)
	}
	k.in.Kill(k.t)
	k.kills++
	a := <-done
	k.in.Restart(k.t)
	left := ledgerDocs.count()
	k.t.Logf("cycle kill %d at %d/%d invoices seen: the request ended with HTTP %d %v; %d documents after the restart",
		i+1, seen, total, a.status, a.err, left)
	return a.err != nil
}

// docCounter counts the distinct documents in the scenario's ledger.
type docCounter struct{ *clickhouse.Store }

func (k *killer) documentCounter() docCounter {
	k.t.Helper()
	s, err := clickhouse.New(clickhouse.Config{Addr: k.sc.Env.CH.Addr, Database: k.sc.Database})
	if err != nil {
		k.t.Fatal(err)
	}
	return docCounter{s}
}

// count returns the number of distinct documents stored (-1 when the query fails).
func (d docCounter) count() int {
	_, rows, err := d.Query(context.Background(), "SELECT uniqExact(id) FROM documents")
	if err != nil || len(rows) != 1 {
		return -1
	}
	n, err := strconv.Atoi(rows[0][0])
	if err != nil {
		return -1
	}
	return n
}
