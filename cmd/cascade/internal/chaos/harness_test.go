package chaos_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/chaos"
)

// TestHarnessSmoke runs one undisturbed scenario end to end through the harness: the child
// starts and is ready, the channel is created over the API, a small stream goes through the
// raw topic into the ledger, Verify finds it exact (and the counters exact too, nothing having
// been killed), a cycle issues one invoice per customer with gap-free numbers, and SIGTERM
// stops the child with exit 0.
func TestHarnessSmoke(t *testing.T) {
	needsReal(t)
	env := chaos.StartEnv(t)
	sc := env.NewScenario(t, "smoke")
	in := sc.NewInstance(t, chaos.InstanceOptions{})
	in.Start(t)
	st := chaos.NewStream(chaos.StreamConfig{Seed: 3, Records: 300, Customers: 3, Window: sc.Calendar.Usage,
		TooOld: sc.Calendar.TooOld, InFuture: sc.Calendar.InFuture})
	chaos.SetupChannel(t, in, st.Customers, sc.Calendar.Start)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := sc.Produce(ctx, st.Messages); err != nil {
		t.Fatal(err)
	}
	if err := sc.WaitCaughtUp(ctx); err != nil {
		t.Fatalf("%v\n%s", err, in.LogTail(30))
	}
	m := in.Metrics(t)
	res := sc.Verify(t, st, m)
	if !res.OK() {
		t.Fatalf("undisturbed run: %s", res)
	}
	for name, want := range map[string]int{"cascade_mediation_consumed_total": len(st.Messages),
		"cascade_mediation_accepted_total": st.Unique, "cascade_mediation_duplicate_total": st.Duplicates} {
		if got, err := m.Int(name); err != nil || got != int64(want) {
			t.Errorf("%s = %d (%v), want %d", name, got, err, want)
		}
	}
	if got, err := m.Sum("cascade_mediation_rejected_total"); err != nil || got != int64(st.Bad) {
		t.Errorf("rejected = %d (%v), want %d", got, err, st.Bad)
	}
	c := chaos.RunCycle(t, in, sc.Calendar.AsOf)
	invs := chaos.Invoices(t, in)
	if c.Invoices != len(st.Customers) || len(invs) < len(st.Customers) {
		t.Errorf("cycle issued %d, %d documents listed, want one invoice per customer (%d)", c.Invoices, len(invs), len(st.Customers))
	}
	if p := chaos.CheckNumbering(invs); len(p) > 0 {
		t.Errorf("numbering: %v", p)
	}
	if d := chaos.CompareInvoices(invs, chaos.Invoices(t, in)); len(d) > 0 {
		t.Errorf("two reads of the same invoices differ: %v", d)
	}
	in.Stop(t)
	if testing.Verbose() && os.Getenv("CHAOS_DUMP") != "" {
		t.Log(in.Log())
	}
	t.Logf("smoke: %s; %d invoices", res, len(invs))
}
