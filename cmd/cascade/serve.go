package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/cascade-billing/cascade/billing"
	"github.com/cascade-billing/cascade/cmd/cascade/internal/api"
	"github.com/cascade-billing/cascade/cmd/cascade/internal/config"
	"github.com/cascade-billing/cascade/ledger"
)

// runServe is `cascade serve --config FILE`: the long-running service. It returns nil after a
// graceful shutdown (SIGTERM or SIGINT), so the process exits 0.
func runServe(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("config", "", "the configuration file (docs/configuration.md); CASCADE_* variables override it")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(e.stdout, "usage: cascade serve --config FILE")
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			return nil
		}
		return usagef("%v", err)
	}
	switch {
	case fs.NArg() > 0:
		return usagef("unexpected argument %q", fs.Arg(0))
	case *path == "":
		return usagef("--config FILE is required (see examples/cascade.yaml)")
	}
	cfg, err := config.Load(*path, os.Getenv)
	if err != nil {
		return &usageError{err}
	}
	return serve(ctx, e, cfg, serveOptions{})
}

// serveOptions are what tests change about a serving process.
type serveOptions struct {
	// now is every component's clock (default time.Now): tests run a month in a second.
	now func() time.Time
	// started is handed the running server once it serves: tests read its address and run
	// a cycle now (s.sched.runCycleNow, as `cascade invoice run` does) instead of waiting for
	// the cron trigger.
	started func(s *server)
}

// serveLogger builds the structured log the configuration asks for, on stderr.
func serveLogger(w io.Writer, cfg *config.Config) *slog.Logger {
	level, _ := cfg.LogLevel() // validated by config.Load
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// server is one running `cascade serve`: what it started, so shutdown can stop it in order.
type server struct {
	e     *env
	cfg   *config.Config
	log   *slog.Logger
	now   func() time.Time
	start time.Time

	svc    *billing.Service
	store  ledger.Store
	med    *serveMediation
	sched  *serveScheduler
	writer *writerLease // nil only in tests of parts alone: then this process is the writer
	http   *http.Server
	addr   string // the bound listen address
	stats  *serveStats
}

// serve runs the service until ctx is cancelled or a component fails, then shuts down
// gracefully: stop accepting HTTP and drain in-flight requests, stop the source (it commits
// what is durable), stop the schedulers (a running cycle finishes), close Kafka clients and
// the ledger. Each step is logged. A clean shutdown after ctx is cancelled returns nil.
func serve(ctx context.Context, e *env, cfg *config.Config, opts serveOptions) (err error) {
	s := &server{e: e, cfg: cfg, log: serveLogger(e.stderr, cfg), now: opts.now, stats: &serveStats{}}
	if s.now == nil {
		s.now = time.Now
	}
	s.start = s.now()
	e = &env{stdout: e.stdout, stderr: e.stderr, log: s.log, openLedger: e.openLedger}
	s.e = e
	s.log.Info("starting", "listen", cfg.HTTP.Listen, "ledger", ledgerName(cfg), "kafka", kafkaName(cfg))

	if s.svc, s.store, err = openConfiguredAt(ctx, e, cfg, s.now); err != nil {
		return err
	}
	defer s.closeStore()
	s.log.Info("billing loaded", "accounts", s.accountCount())

	keys, err := api.NewKeyring(cfg.APIKeys)
	if err != nil {
		return &usageError{err}
	}
	if s.med, err = startMediation(ctx, s, keys.VendorKeys()); err != nil {
		return err
	}
	defer s.med.close(s.log)

	if s.writer, err = s.med.startWriter(ctx, s); err != nil {
		s.med.stopSource(s.log)
		return err
	}
	// Deferred after the mediation close and before the scheduler stop, so it runs between them:
	// a running cycle finishes before this instance leaves the election.
	defer s.writer.close()
	s.med.dir.lease.Store(s.writer) // a follower's lookups now catch up on a miss (serve_follow.go)

	if s.sched, err = startScheduler(ctx, s); err != nil {
		s.med.stopSource(s.log)
		return err
	}
	defer s.sched.stop(s.log)

	handler, err := s.handler(keys)
	if err != nil {
		s.med.stopSource(s.log)
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		s.med.stopSource(s.log)
		return fmt.Errorf("http.listen %s: %w", cfg.HTTP.Listen, err)
	}
	s.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	httpDone := make(chan error, 1)
	go func() { httpDone <- s.http.Serve(ln) }()
	s.addr = ln.Addr().String()
	s.log.Info("serving", "addr", s.addr)
	if opts.started != nil {
		opts.started(s)
	}

	var failure error
	select {
	case <-ctx.Done():
		s.log.Info("shutdown requested")
	case err := <-httpDone:
		failure = fmt.Errorf("http server stopped: %w", err)
	case err := <-s.med.srcDone:
		s.med.srcDone <- err // stopSource reads it again
		failure = fmt.Errorf("mediation source stopped: %v", err)
	}
	if failure != nil {
		s.log.Error("a component failed; shutting down", "err", failure)
	}
	s.shutdownHTTP()
	s.med.stopSource(s.log)
	return failure
}

// shutdownHTTP stops accepting connections and waits for in-flight requests, up to
// http.shutdown_timeout.
func (s *server) shutdownHTTP() {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.HTTP.ShutdownTimeout.D())
	defer cancel()
	s.log.Info("shutdown: stopping HTTP, draining in-flight requests")
	if err := s.http.Shutdown(ctx); err != nil {
		s.log.Warn("shutdown: HTTP drain cut short", "err", err)
		_ = s.http.Close()
		return
	}
	s.log.Info("shutdown: HTTP stopped")
}

func (s *server) closeStore() {
	if err := s.store.Close(); err != nil {
		s.log.Warn("shutdown: close the ledger", "err", err)
		return
	}
	s.log.Info("shutdown: ledger closed")
}

// accountCount is for the start-up log line.
func (s *server) accountCount() int {
	n := 0
	_ = s.svc.View(func(st *billing.State) error { n = len(st.Accounts()); return nil })
	return n
}

func ledgerName(cfg *config.Config) string {
	if cfg.Ledger.ClickHouse != nil {
		return "clickhouse://" + cfg.Ledger.ClickHouse.Addr + "/" + cfg.Ledger.ClickHouse.Database
	}
	return "embedded:" + cfg.Ledger.Embedded.Dir
}

func kafkaName(cfg *config.Config) string {
	if cfg.Kafka.Embedded != nil {
		return fmt.Sprintf("embedded (%d partitions)", cfg.Kafka.Embedded.Partitions)
	}
	return fmt.Sprint(cfg.Kafka.Brokers)
}
