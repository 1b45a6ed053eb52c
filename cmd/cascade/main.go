// Command cascade is Cascade's one binary: the quote calculator, the demo, and (as the
// project grows) the service, the API and the finance CLI.
//
// Exit codes: 0 success; 1 a run failed (details in the logs); 2 bad input or usage (the one
// line on stderr says what and where).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/cascade-billing/cascade/ledger"
)

// Exit codes, documented in docs/cli.md.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError marks input a person got wrong; it maps to exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// command is one subcommand of the binary.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what every command gets: its output streams and a logger. Nothing global.
type env struct {
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	// openLedger opens the embedded ledger in a directory; tests swap it for an in-memory one.
	openLedger func(ctx context.Context, e *env, dir string) (ledger.Store, error)
}

func commands() []command {
	return []command{
		{"price", "quote a plan for given usage: every line, tier and total", runPrice},
		{"catalog", "check a catalog file: every problem with file, line and field path", runCatalog},
		{"demo", "run the main job on embedded defaults", runDemo},
		{"report", "finance reports: 'report commissions' (a partner's statement), 'report consumption' (an account's usage)", runReport},
		{"serve", "run the service: Kafka consumer, HTTP API, scheduler ('serve --config FILE')", runServe},
		{"payment", "record a payment: 'payment record' allocates it to open invoices", runPayment},
		{"invoice", "invoices: 'invoice run|preview|list|void' — the cycle, drafts, listings, voiding", runInvoice},
		{"sql", "run one read-only SQL statement on the ledger: cascade sql 'SELECT …'", runSQL},
	}
}

// run is main without the process: it returns the exit code, so tests can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdout, stderr, openEmbeddedLedger)
}

// runWith is run with the embedded ledger's opener given.
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer,
	openLedger func(context.Context, *env, string) (ledger.Store, error)) int {
	level := slog.LevelWarn
	if os.Getenv("CASCADE_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	e := &env{
		stdout:     stdout,
		stderr:     stderr,
		log:        slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		openLedger: openLedger,
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printHelp(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		return report(e, c.name, err)
	}
	fmt.Fprintf(stderr, "cascade: unknown command %q (run 'cascade help')\n", args[0])
	return exitUsage
}

// report turns a command's error into one line for a person and an exit code.
func report(e *env, name string, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "cascade %s: %v\n", name, err)
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	e.log.Debug("command failed", "command", name, "err", err)
	return exitFailure
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "usage: cascade <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'cascade <command> -h' for a command's flags. Exit codes: 0 ok, 1 failure, 2 bad input.")
}
