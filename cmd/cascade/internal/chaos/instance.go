package chaos

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// readyTimeout bounds a start: migrations, the billing load and the first /readyz.
const readyTimeout = 60 * time.Second

// Instance is one `cascade serve` child of a Scenario: its config (fixed loopback port, the
// scenario's database, topics and group) and its log file, which survive restarts. It is used
// from one test goroutine, except Exited, which any goroutine may wait on.
type Instance struct {
	Scenario *Scenario
	Name     string
	// Base is the API's base URL, "http://127.0.0.1:port".
	Base string
	// LogPath is the children's stdout and stderr, every start appended.
	LogPath string

	dir    string
	config string
	env    map[string]string

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when the current child exited
	state   *os.ProcessState
	starts  int
	logFile *os.File
}

// NewInstance writes the instance's config; Start runs it. The child is killed when the test
// ends, if still running.
func (sc *Scenario) NewInstance(tb testing.TB, o InstanceOptions) *Instance {
	tb.Helper()
	o = o.withDefaults()
	if o.Name == "" {
		o.Name = "a"
	}
	port, err := freePort()
	if err != nil {
		tb.Fatalf("chaos: instance %s: %v", o.Name, err)
	}
	dir := filepath.Join(tb.TempDir(), o.Name)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		tb.Fatal(err)
	}
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	cfg, err := writeConfig(dir, sc, listen, o)
	if err != nil {
		tb.Fatal(err)
	}
	in := &Instance{Scenario: sc, Name: o.Name, Base: "http://" + listen, LogPath: filepath.Join(dir, "serve.log"),
		dir: dir, config: cfg, env: map[string]string{}}
	for _, kv := range o.Env {
		k, v, _ := strings.Cut(kv, "=")
		in.env[k] = v
	}
	tb.Cleanup(in.cleanup)
	return in
}

// freePort asks the kernel for a free loopback port. The instance keeps it across restarts
// (a killed child's listener is gone at once; Go listens with SO_REUSEADDR).
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// SetEnv sets (value "" removes) an environment variable of the next start.
func (in *Instance) SetEnv(key, value string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if value == "" {
		delete(in.env, key)
		return
	}
	in.env[key] = value
}

// Start runs the child and waits until /readyz answers 200; it fails the test with the log's
// tail if the child exits or is not ready within a minute.
func (in *Instance) Start(tb testing.TB) {
	tb.Helper()
	if err := in.spawn(); err != nil {
		tb.Fatalf("chaos: %v", err)
	}
	if err := in.WaitReady(readyTimeout); err != nil {
		tb.Fatalf("chaos: %v\n%s", err, in.LogTail(40))
	}
}

// Spawn runs the child without waiting for readiness (a child that kills itself during its
// start is still a valid run); WaitReady waits.
func (in *Instance) Spawn(tb testing.TB) {
	tb.Helper()
	if err := in.spawn(); err != nil {
		tb.Fatalf("chaos: %v", err)
	}
}

func (in *Instance) spawn() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd != nil && !closed(in.done) {
		return fmt.Errorf("instance %s: already running (pid %d)", in.Name, in.cmd.Process.Pid)
	}
	if in.logFile == nil {
		f, err := os.OpenFile(in.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("instance %s: log: %w", in.Name, err)
		}
		in.logFile = f
	}
	in.starts++
	fmt.Fprintf(in.logFile, "=== chaos: start #%d of %s at %s\n", in.starts, in.Name, time.Now().UTC().Format(time.RFC3339Nano))
	bin, err := build()
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "serve", "--config", in.config)
	cmd.Dir = in.dir
	cmd.Stdout, cmd.Stderr = in.logFile, in.logFile
	cmd.Env = os.Environ()
	for k, v := range in.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("instance %s: start: %w", in.Name, err)
	}
	done := make(chan struct{})
	in.cmd, in.done, in.state = cmd, done, nil
	go func() {
		_ = cmd.Wait() // the exit status is in ProcessState
		in.mu.Lock()
		in.state = cmd.ProcessState
		in.mu.Unlock()
		close(done)
	}()
	return nil
}

// WaitReady polls /readyz until it answers 200, the child exits, or limit passes.
func (in *Instance) WaitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		status, body, err := in.Do("GET", "/readyz", "", nil)
		if err == nil && status == 200 {
			return nil
		}
		select {
		case <-in.Exited():
			return fmt.Errorf("instance %s exited before it was ready: %s", in.Name, in.ExitStatus())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("instance %s not ready after %s: HTTP %d %s %v", in.Name, limit, status, bytes.TrimSpace(body), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Exited is closed when the current child has exited (closed already if none runs).
func (in *Instance) Exited() <-chan struct{} {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.done == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return in.done
}

// Running says whether a child runs.
func (in *Instance) Running() bool { return !closed(in.Exited()) }

// Pid is the current child's process id (0 before the first start).
func (in *Instance) Pid() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.cmd == nil {
		return 0
	}
	return in.cmd.Process.Pid
}

// WaitExit waits up to limit for the child to exit and says whether it did.
func (in *Instance) WaitExit(limit time.Duration) bool {
	select {
	case <-in.Exited():
		return true
	case <-time.After(limit):
		return false
	}
}

// ExitStatus describes how the last child ended ("running" while it runs).
func (in *Instance) ExitStatus() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state == nil {
		return "running"
	}
	return in.state.String()
}

// KilledBySignal says whether the last child ended by SIGKILL.
func (in *Instance) KilledBySignal() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.state == nil {
		return false
	}
	ws, ok := in.state.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// Kill ends the child with SIGKILL, as a crash or the OOM killer would, and waits for it.
func (in *Instance) Kill(tb testing.TB) {
	tb.Helper()
	if err := in.signal(syscall.SIGKILL); err != nil {
		tb.Fatalf("chaos: %v", err)
	}
	if !in.WaitExit(30 * time.Second) {
		tb.Fatalf("chaos: instance %s survived SIGKILL for 30 s", in.Name)
	}
}

// Stop asks the child to shut down (SIGTERM) and requires a clean exit (code 0) within a minute.
func (in *Instance) Stop(tb testing.TB) {
	tb.Helper()
	if err := in.signal(syscall.SIGTERM); err != nil {
		tb.Fatalf("chaos: %v", err)
	}
	if !in.WaitExit(time.Minute) {
		tb.Fatalf("chaos: instance %s did not stop within a minute of SIGTERM\n%s", in.Name, in.LogTail(40))
	}
	in.mu.Lock()
	ok := in.state != nil && in.state.Success()
	in.mu.Unlock()
	if !ok {
		tb.Fatalf("chaos: instance %s stopped with %s, want exit 0\n%s", in.Name, in.ExitStatus(), in.LogTail(40))
	}
}

// Restart starts the child again after it exited (Kill, Stop or a crash of its own).
func (in *Instance) Restart(tb testing.TB) {
	tb.Helper()
	if in.Running() {
		tb.Fatalf("chaos: restart of %s while it runs", in.Name)
	}
	in.Start(tb)
}

func (in *Instance) signal(sig syscall.Signal) error {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.mu.Unlock()
	if cmd == nil || closed(done) {
		return fmt.Errorf("instance %s: %s: not running (%s)", in.Name, sig, in.ExitStatus())
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("instance %s: %s: %w", in.Name, sig, err)
	}
	return nil
}

// Log returns everything the children wrote so far.
func (in *Instance) Log() string {
	b, err := os.ReadFile(in.LogPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}

// LogTail returns the last n lines of the log, for failure messages.
func (in *Instance) LogTail(n int) string {
	lines := strings.Split(strings.TrimRight(in.Log(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "--- " + in.LogPath + " (tail)\n" + strings.Join(lines, "\n")
}

// SelfKills counts the crashes the fault hook (cmd/cascade/serve_faults.go) caused so far.
func (in *Instance) SelfKills() int {
	return strings.Count(in.Log(), "fault injection: SIGKILL after a ledger write")
}

func (in *Instance) cleanup() {
	if in.Running() {
		_ = in.signal(syscall.SIGKILL)
		in.WaitExit(30 * time.Second)
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.logFile != nil {
		_ = in.logFile.Close()
		in.logFile = nil
	}
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
