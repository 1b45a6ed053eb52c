package soak

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrService says the child `cascade serve` could not be built, started or stopped cleanly.
var ErrService = errors.New("soak: service")

// Build compiles cmd/cascade into dir and returns the binary's path. It runs `go build` from
// the current directory, which must be inside the module (a test's package directory is).
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "cascade")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/cascade-billing/cascade/cmd/cascade")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: go build cmd/cascade: %w\n%s", ErrService, err, out)
	}
	return bin, nil
}

// Service is a running `cascade serve` child process.
type Service struct {
	// Addr is the host:port the child serves HTTP on (read from its "serving" log line).
	Addr string

	cmd  *exec.Cmd
	done chan struct{} // closed when the child has exited
	err  error         // its exit status, set before done closes
	log  *logTail
}

// Start runs `bin serve --config config` and waits until it logs that it serves (it logs in
// JSON: the config must say log.format: json). Its log lines go to logTo as well as a tail
// kept for error messages.
func Start(ctx context.Context, bin, config string, logTo io.Writer, timeout time.Duration) (*Service, error) {
	cmd := exec.Command(bin, "serve", "--config", config)
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrService, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: start %s serve: %w", ErrService, bin, err)
	}
	s := &Service{cmd: cmd, done: make(chan struct{}), log: &logTail{}}
	addr := make(chan string, 1)
	go s.readLog(stderr, logTo, addr)
	select {
	case s.Addr = <-addr:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("%w: the child exited before serving (%v):\n%s", ErrService, s.err, s.log)
	case <-time.After(timeout):
	case <-ctx.Done():
	}
	_ = s.Stop(5 * time.Second)
	return nil, fmt.Errorf("%w: the child did not serve within %s:\n%s", ErrService, timeout, s.log)
}

// readLog copies the child's log, hands over the address of its "serving" line, and records
// the exit once the log ends (the pipe closes when the child exits).
func (s *Service) readLog(r io.Reader, logTo io.Writer, addr chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		s.log.add(string(line))
		if logTo != nil {
			_, _ = fmt.Fprintf(logTo, "%s\n", line)
		}
		var l struct{ Msg, Addr string }
		if json.Unmarshal(line, &l) == nil && l.Msg == "serving" && l.Addr != "" {
			select {
			case addr <- l.Addr:
			default:
			}
		}
	}
	_, _ = io.Copy(io.Discard, r)
	s.err = s.cmd.Wait()
	close(s.done)
}

// Pid is the child's process id, for ReadRSS.
func (s *Service) Pid() int { return s.cmd.Process.Pid }

// Exited reports whether the child has exited, and how.
func (s *Service) Exited() (bool, error) {
	select {
	case <-s.done:
		return true, s.err
	default:
		return false, nil
	}
}

// Stop sends SIGTERM (a graceful shutdown: HTTP drains, the source commits) and waits up to
// grace, then kills. It returns an error unless the child exited 0 after the SIGTERM.
func (s *Service) Stop(grace time.Duration) error {
	if exited, err := s.Exited(); exited {
		return fmt.Errorf("%w: the child had already exited (%v):\n%s", ErrService, err, s.log)
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		if s.err != nil {
			return fmt.Errorf("%w: graceful shutdown: %w:\n%s", ErrService, s.err, s.log)
		}
		return nil
	case <-time.After(grace):
		_ = s.cmd.Process.Kill()
		<-s.done
		return fmt.Errorf("%w: no graceful shutdown within %s, killed:\n%s", ErrService, grace, s.log)
	}
}

// Log is the tail of the child's log.
func (s *Service) Log() string { return s.log.String() }

// logTail keeps the last lines of a log.
type logTail struct {
	mu    sync.Mutex
	lines []string
}

const tailLines = 40

func (l *logTail) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	if len(l.lines) > 2*tailLines {
		l.lines = append(l.lines[:0], l.lines[len(l.lines)-tailLines:]...)
	}
}

// String returns the last lines, oldest first.
func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[max(0, len(l.lines)-tailLines):], "\n")
}
