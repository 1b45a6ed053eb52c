// Package chaos is the fault-injection harness of issue #8: it runs the real `cascade serve`
// binary as child processes against a Kafka-protocol broker (kfake) and a private ClickHouse
// server hosted by the test, produces a known usage stream, breaks things on purpose, and
// checks that nothing was lost or counted twice and that invoices equal an undisturbed run's.
// The suites (kill_test.go, outage_test.go, two_instances_test.go) are in package chaos_test;
// TestMain prints the one summary line `make chaos` greps for.
//
// # API
//
//	knobs, err := chaos.LoadKnobs(os.Getenv)  // CASCADE_CHAOS=full, CASCADE_CHAOS_SEED: sizes, seed
//	env := chaos.StartEnv(t)                  // one ClickHouse server (env.CH) + one kfake (env.Kafka)
//	sc := env.NewScenario(t, "baseline")      // own database, raw (4 partitions)/rejected topics, group
//	in := sc.NewInstance(t, chaos.InstanceOptions{Name: "a"})  // config written, not started
//	in.Start(t)                               // child process; waits for /readyz (Spawn: no wait)
//	in.WaitReady(d)                           // /readyz 200, or an error (child exited, timeout)
//	in.Kill(t); in.Restart(t)                 // SIGKILL + wait; start again (same port, same log)
//	in.Stop(t)                                // SIGTERM; exit 0 required
//	in.SetEnv("CASCADE_FAULT_KILL_AFTER_WRITE", "0.1")  // for the next start ("" removes)
//	in.Exited(), in.WaitExit(d), in.Running(), in.KilledBySignal(), in.SelfKills(), in.ExitStatus()
//	in.Do(method, path, key, body) (status, body, err) / in.DoContent(..., contentType, body)
//	in.Call(t, method, path, key, body, wantStatus, &out)  // keys by name: admin, finance, vendor
//	in.Metrics(t) -> chaos.Metrics            // /metrics parsed: m.Int(series), m.Sum(name)
//	in.Log(), in.LogTail(n), in.LogPath       // the children's stdout+stderr, every start appended
//	chaos.SetupChannel(t, in, st.Customers, sc.Calendar.Start)  // accounts + subscriptions over the API
//
//	st := chaos.NewStream(chaos.StreamConfig{Seed: knobs.Seed, Records: 2000, Window: sc.Calendar.Usage,
//		TooOld: sc.Calendar.TooOld, InFuture: sc.Calendar.InFuture})
//	sc.Produce(ctx, st.Messages[i:j])         // to the raw topic, keyed by scope, acks=all
//	sc.WaitCaughtUp(ctx)                      // the group committed everything produced
//	res := sc.Verify(t, st, in.Metrics(t))    // lost / doubled / identity, from the ledger (+ counters)
//	chaos.RunCycle(t, in, sc.Calendar.AsOf)   // POST /v1/cycles, 503 retried; StartCycle: one try
//	invs := chaos.Invoices(t, in)             // every document, comparable form
//	chaos.CompareInvoices(base, invs), chaos.CheckNumbering(invs)  // problems; empty = fine
//
//	summary := chaos.NewSummary()             // main_test.go's `summary`; suites add to it
//	summary.AddKills(n); summary.AddOutages(n); summary.AddResult(name, res); summary.AddInvoices(name, problems)
//	summary.Line() == "chaos: kills=K outages=O records=N lost=L doubled=D identity=ok invoices=identical"
//
// Verify's oracle: the usage rows (FINAL) against the stream's good records by id (lost,
// stored twice, stored with a duplicate's content), the usage totals billing reads, the rated
// deltas (events, quantity, and amount against an independent quote of the catalog), the
// distinct rejects per reason, and the identity records = accepted + duplicates + rejected.
// TestVerifyFinds proves it catches each kind of damage on a ledger written by hand.
//
// Time: serve runs on the wall clock. Calendar (calendar.go) puts usage into the previous
// calendar month, inside mediation's 35-day acceptance window, and subscribes customers from its
// first day, so the billed period has always ended and a cycle as of now invoices it.
//
// Tests that start real components call needsReal (main_test.go): skipped under -short only,
// never under CI=true. The child binary is built once per test binary (Binary) without -race;
// the test process may run with it. Every real component is started by the test.
//
// CHAOS_DUMP=1 with -v makes TestHarnessSmoke and TestChaosKills log the children's whole log.
//
// Fault hook: CASCADE_FAULT_KILL_AFTER_WRITE=<p> (and CASCADE_FAULT_SEED) in a child's
// environment makes it SIGKILL itself after a successful mediation ledger write with
// probability p, before the offsets are committed (cmd/cascade/serve_faults.go).
package chaos
