package chaos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/chaos"
)

// TestChaosTwoInstances runs two `cascade serve` processes on one ledger and one consumer group,
// as a deployment of two nodes: they share the raw topic's partitions and elect one billing
// writer. Usage streams in while one instance or the other is SIGKILLed — right after the other
// one (re)joined, so the kill lands in a consumer-group rebalance — and restarted. Then both
// schedulers are armed to run the invoice cycle every minute, at the same moments, and the writer
// is killed once while its cycle runs: the other instance takes the role over and its scheduler
// finishes the cycle. At the end nothing is lost or doubled, each invoice exists once, and the
// invoices equal the undisturbed baseline's.
func TestChaosTwoInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two services under SIGKILL against ClickHouse")
	}
	knobs := mustKnobs(t)
	kills := max(3, knobs.Kills/4)
	env := chaos.StartEnv(t)
	cal := env.Calendar
	st := chaos.NewStream(chaos.StreamConfig{Seed: knobs.Seed ^ 0x2, Records: (kills + 1) * knobs.Chunk, Customers: 24,
		Window: cal.Usage, TooOld: cal.TooOld, InFuture: cal.InFuture})
	t.Logf("two instances: seed=%d rebalance kills=%d records=%d", knobs.Seed, kills, len(st.Messages))
	base, cycleTime := runBaseline(t, env, st)

	sc := env.NewScenario(t, "two")
	a := sc.NewInstance(t, chaos.InstanceOptions{Name: "a"})
	b := sc.NewInstance(t, chaos.InstanceOptions{Name: "b"})
	for _, in := range []*chaos.Instance{a, b} {
		in.SetEnv("CASCADE_BILLING_FOLLOW_INTERVAL", "500ms") // followers reload billing twice a second
	}
	a.Start(t)
	waitWriter(t, a, true, 30*time.Second)
	// The channel before the second instance starts and before any usage: a follower enriches
	// from billing as it last reloaded it.
	chaos.SetupChannel(t, a, st.Customers, cal.Start)
	b.Start(t)
	waitKnows(t, b, "sub-"+st.Customers[len(st.Customers)-1])

	rng := rand.New(rand.NewPCG(knobs.Seed, 0x7e0))
	nodes := []*chaos.Instance{a, b}
	next, killed := 0, 0
	produce := func(n int) {
		end := min(next+n, len(st.Messages))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := sc.Produce(ctx, st.Messages[next:end]); err != nil {
			t.Fatal(err)
		}
		next = end
	}
	for i := range kills {
		produce(knobs.Chunk)
		victim, other := nodes[i%2], nodes[(i+1)%2]
		// The other instance leaves and joins again (two rebalances), and the victim is killed a
		// few hundred milliseconds after the join, while the group is settling.
		other.Stop(t)
		other.Start(t)
		time.Sleep(time.Duration(rng.IntN(800)) * time.Millisecond)
		victim.Kill(t)
		killed++
		t.Logf("rebalance kill %d: %s killed after %s restarted; %d/%d records produced", i+1, victim.Name, other.Name, next, len(st.Messages))
		victim.Restart(t)
	}
	produce(len(st.Messages))
	waitCaught(t, sc, a, b)

	// Concurrent schedulers: both instances restart with the cycle every 5 s (armed only now, so
	// no cycle runs before the usage is in); only the writer runs it. The writer is killed right
	// a random part of a cycle's length after its log says a cycle started; the other instance is elected and its scheduler issues
	// the rest.
	for _, in := range []*chaos.Instance{a, b} {
		in.SetEnv("CASCADE_BILLING_CYCLE", "@every 5s")
		in.Stop(t)
		in.Start(t)
	}
	writer, follower := settledWriter(t, a, b)
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(writer.Log(), `"msg":"invoice cycle started"`) {
		if time.Now().After(deadline) {
			t.Fatalf("the writer %s started no scheduled cycle within a minute\n%s", writer.Name, writer.LogTail(40))
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Into the writes, mostly: the baseline's cycle request took cycleTime.
	time.Sleep(cycleTime/4 + time.Duration(rng.Int64N(int64(cycleTime)/2+1)))
	writer.Kill(t)
	killed++
	waitWriter(t, follower, true, 60*time.Second) // elected: it reloaded what the killed writer wrote
	t.Logf("killed the writer %s during its scheduled cycle: it had issued %d of %d documents; %s is the writer now",
		writer.Name, len(chaos.Invoices(t, follower)), len(base), follower.Name)
	writer.Restart(t)
	var invs []chaos.Invoice
	for deadline = time.Now().Add(2 * time.Minute); ; time.Sleep(time.Second) {
		invs = chaos.Invoices(t, follower)
		if len(invs) >= len(base) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d invoices 2 minutes after the writer was killed\n%s", len(invs), len(base), follower.LogTail(40))
		}
	}
	// Both schedulers keep firing: a few more rounds must issue nothing.
	time.Sleep(12 * time.Second)
	invs = chaos.Invoices(t, follower)
	waitCaught(t, sc, a, b)
	res := sc.Verify(t, st, nil)
	a.Stop(t)
	b.Stop(t)

	problems := append(chaos.CompareInvoices(base, invs), chaos.CheckNumbering(invs)...)
	summary.AddKills(killed)
	summary.AddResult("two-instances", res)
	summary.AddInvoices("two-instances", problems)
	if !res.OK() {
		t.Errorf("two instances after %d kills (seed %d): %s", killed, knobs.Seed, res)
	}
	if len(problems) > 0 {
		t.Errorf("two instances (seed %d): the invoices differ from the baseline's:\n%v", knobs.Seed, problems)
	}
}

// isWriter asks /readyz whether in is the billing writer.
func isWriter(t *testing.T, in *chaos.Instance) bool {
	t.Helper()
	var rd struct {
		Writer bool `json:"writer"`
	}
	_, body, err := in.Do("GET", "/readyz", "", nil)
	if err != nil {
		return false
	}
	if err := json.Unmarshal(body, &rd); err != nil {
		t.Fatalf("/readyz of %s: %s: %v", in.Name, body, err)
	}
	return rd.Writer
}

// settledWriter waits until exactly one of a and b is the writer and returns it first.
func settledWriter(t *testing.T, a, b *chaos.Instance) (writer, follower *chaos.Instance) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		wa, wb := isWriter(t, a), isWriter(t, b)
		switch {
		case wa && !wb:
			return a, b
		case wb && !wa:
			return b, a
		case time.Now().After(deadline):
			t.Fatalf("no single billing writer after 60 s (a=%v b=%v)\n%s\n%s", wa, wb, a.LogTail(20), b.LogTail(20))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitWriter waits until in's writer role is want.
func waitWriter(t *testing.T, in *chaos.Instance, want bool, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for isWriter(t, in) != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: writer=%v not reached within %s\n%s", in.Name, want, within, in.LogTail(30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitKnows waits until in's billing (reloaded as a follower) knows a subscription.
func waitKnows(t *testing.T, in *chaos.Instance, sub string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, body, err := in.Do("GET", "/v1/subscriptions/"+sub, "admin", nil)
		if err == nil && status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not know %s after 30 s: HTTP %d %s %v", in.Name, sub, status, body, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitCaught waits until the group committed everything produced.
func waitCaught(t *testing.T, sc *chaos.Scenario, ins ...*chaos.Instance) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := sc.WaitCaughtUp(ctx); err != nil {
		var tails string
		for _, in := range ins {
			tails += fmt.Sprintf("--- %s\n%s\n", in.Name, in.LogTail(30))
		}
		t.Fatalf("%v\n%s", err, tails)
	}
}
