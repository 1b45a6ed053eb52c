package soak_test

import (
	"context"
	"flag"
	"io"
	"os"
	"testing"
	"time"

	"github.com/cascade-billing/cascade/cmd/cascade/internal/soak"
	"github.com/cascade-billing/cascade/ledger/clickhouse/clickhousetest"
)

// The soak's knobs. Only -soak (or CASCADE_SOAK) turns it on; the rest tune it.
var (
	soakFor   = flag.Duration("soak", 0, "run the soak for this long (e.g. 30m); also CASCADE_SOAK")
	warmup    = flag.Int("soak.warmup", 5, "samples (minutes) ignored before judging")
	rate      = flag.Float64("soak.rate", 0, "soak at this many records/s instead of half the measured maximum")
	measure   = flag.Duration("soak.measure", 60*time.Second, "the flat-out window the maximum is measured over")
	clients   = flag.Int("soak.clients", 4, "concurrent POST /v1/usage clients")
	batch     = flag.Int("soak.batch", 500, "records per request")
	customers = flag.Int("soak.customers", 50, "customer accounts the usage is spread over")
	rssLimit  = flag.Float64("soak.rss", 16, "the largest RSS slope after warm-up still flat, MB per 10 minutes, beyond the dedup sets' growth")
	growth    = flag.Float64("soak.goroutines", 8, "the largest goroutine growth after warm-up still flat (fitted, across the judged span)")
	spread    = flag.Int64("soak.spread", 20, "the largest goroutine spread (max − min) after warm-up still flat")
	every     = flag.Duration("soak.every", time.Minute, "the sampling interval")
	verbose   = flag.Bool("soak.log", false, "copy the service's log to the test's stderr")
)

// soakDuration is what -soak or CASCADE_SOAK ask for; 0 when neither does.
func soakDuration(t *testing.T) time.Duration {
	if *soakFor > 0 {
		return *soakFor
	}
	if v := os.Getenv("CASCADE_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("CASCADE_SOAK=%q: want a positive duration such as 30m (%v)", v, err)
		}
		return d
	}
	return 0
}

// TestSoak runs `cascade serve` (the built binary, as a child process, on a private ClickHouse
// server and a kfake broker hosted here) at half its measured maximum usage rate for -soak and
// fails unless its RSS and goroutines are flat after warm-up, the consumer kept up, and the
// ledger holds every record sent exactly once. Without -soak or CASCADE_SOAK it runs only a
// self-check of the flatness judgement, so `go test ./...` (and CI) stays short: the soak is
// opt-in by design (`make soak`).
func TestSoak(t *testing.T) {
	d := soakDuration(t)
	if d == 0 {
		selfCheck(t)
		return
	}
	ctx := context.Background()
	chs := clickhousetest.Start(t)
	broker, err := soak.StartBroker(ctx, 4, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	dir := t.TempDir()
	bin, err := soak.Build(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	st := soak.Setup{ClickHouseAddr: chs.Addr, Database: "cascade_soak", Brokers: broker.Brokers()}
	cfg, err := soak.WriteConfig(dir, st)
	if err != nil {
		t.Fatal(err)
	}
	var logTo io.Writer
	if *verbose {
		logTo = os.Stderr
	}
	svc, err := soak.Start(ctx, bin, cfg, logTo, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = svc.Stop(30 * time.Second)
		}
	})
	base := "http://" + svc.Addr
	ids, err := soak.Customers(ctx, base, *customers, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	load := &soak.Load{Base: base, Subjects: ids, Batch: *batch, Clients: *clients, Now: time.Now}
	plan := soak.Plan{Measure: *measure, Duration: d, Every: *every, Drain: 5 * time.Minute, Rate: *rate, LagSeconds: 30,
		Limits: soak.Limits{Warmup: *warmup, RSSPer10Min: *rssLimit * (1 << 20), RetainedFactor: 2, GoroutineGrowth: *growth,
			GoroutineSpread: *spread}}
	model := soak.NewDedupModel(ids, broker.Partitions)
	tg := soak.Target{Service: svc, Broker: broker, Load: load, Model: &model,
		Ledger: func(ctx context.Context) (soak.LedgerCount, error) {
			return soak.CountLedger(ctx, chs.Addr, st.Database)
		}}
	rep, err := soak.Run(ctx, plan, tg, os.Stdout)
	if err != nil {
		t.Errorf("%v\n(%d samples at %.0f records/s; the service's log ends:\n%s)", err, len(rep.Samples), rep.Rate, svc.Log())
	}
	stopped = true
	if err := svc.Stop(30 * time.Second); err != nil {
		t.Error(err)
	}
}

// selfCheck is what TestSoak runs when no soak was asked for: Judge must call a flat series
// flat and a leaking one not, so a broken judgement cannot pass a real soak unnoticed.
func selfCheck(t *testing.T) {
	t.Log("no soak asked for (-soak=30m or CASCADE_SOAK=30m): checking the flatness judgement only")
	lim := soak.Limits{Warmup: 5, RSSPer10Min: 8 << 20, GoroutineGrowth: 8, GoroutineSpread: 8, LagMax: 1000}
	var flat, leak []soak.Sample
	for m := 1; m <= 30; m++ {
		s := soak.Sample{Minute: m, RSS: 200 << 20, Goroutines: 40 + int64(m%3), Lag: 100}
		if m <= 5 {
			s.RSS = int64(m) * 40 << 20 // warm-up: growth that must be ignored
		}
		flat = append(flat, s)
		s.RSS += int64(m) << 20 // 10 MB per 10 min
		leak = append(leak, s)
	}
	if v := soak.Judge(flat, lim); !v.Flat {
		t.Errorf("a flat series judged not flat: %v", v.Err)
	}
	if v := soak.Judge(leak, lim); v.Flat {
		t.Errorf("a series growing 10 MB per 10 min judged flat (slope %.1f MB/10min)", v.RSSSlope/(1<<20))
	}
}
