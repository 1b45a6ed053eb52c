// Package clickhousetest starts a private ClickHouse server for tests: its own temp directory,
// free loopback ports, stopped on cleanup. Fault tests use its Kill, Pause and Restart methods;
// end-to-end tests reuse Start.
package clickhousetest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds the wait for /ping; the server is usually ready in 0.1-0.25 s.
const startTimeout = 30 * time.Second

// Server is a running private clickhouse-server.
type Server struct {
	// Addr is the native-protocol address "127.0.0.1:port" (what ledger/clickhouse dials).
	Addr string
	// HTTPAddr is the HTTP interface address "127.0.0.1:port".
	HTTPAddr string
	// Dir holds config, data and logs; it survives Stop/Kill so Restart finds the same data.
	Dir string

	tb     testing.TB
	binary string
	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
}

// Start starts a server and registers its stop with tb.Cleanup. When no clickhouse-server
// binary is installed it skips the test, or fails it under CI=true, where a missing component
// is a failure.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := findBinary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("clickhousetest: %v (run `make deps`)", err)
		}
		tb.Skipf("clickhousetest: %v (run `make deps` to install it)", err)
	}
	dir := tb.TempDir()
	ports, err := freePorts(3)
	if err != nil {
		tb.Fatalf("clickhousetest: %v", err)
	}
	s := &Server{
		Addr:     fmt.Sprintf("127.0.0.1:%d", ports[0]),
		HTTPAddr: fmt.Sprintf("127.0.0.1:%d", ports[1]),
		Dir:      dir,
		tb:       tb,
		binary:   bin,
	}
	if err := writeConfig(dir, ports); err != nil {
		tb.Fatalf("clickhousetest: %v", err)
	}
	if err := s.start(); err != nil {
		tb.Fatalf("clickhousetest: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// findBinary returns $CLICKHOUSE_SERVER when set (and nothing else: an explicit choice that is
// missing is an error), else looks where the upstream and Debian packages put the server.
func findBinary() (string, error) {
	if env := os.Getenv("CLICKHOUSE_SERVER"); env != "" {
		if fi, err := os.Stat(env); err != nil || fi.IsDir() {
			return "", fmt.Errorf("CLICKHOUSE_SERVER=%s is not a clickhouse-server binary", env)
		}
		return env, nil
	}
	for _, c := range []string{"/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server"} {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c, nil
		}
	}
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, nil
	}
	return "", errors.New("clickhouse-server binary not found (looked at $CLICKHOUSE_SERVER, /usr/bin, /usr/sbin, $PATH)")
}

// freePorts reserves n distinct loopback ports by listening on port 0, then releases them for
// the server. Another process could take one in between; that shows as a start failure.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("reserve a loopback port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// writeConfig copies the packaged config.xml and users.xml into dir and points every path and
// port at dir and the reserved ports. Only loopback IPv4 is listened on.
func writeConfig(dir string, ports []int) error {
	raw, err := os.ReadFile("/etc/clickhouse-server/config.xml")
	if err != nil {
		return fmt.Errorf("read packaged config: %w", err)
	}
	users, err := os.ReadFile("/etc/clickhouse-server/users.xml")
	if err != nil {
		return fmt.Errorf("read packaged users: %w", err)
	}
	for _, sub := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", sub, err)
		}
	}
	cfg := string(raw)
	set := func(tag, value string) {
		re := regexp.MustCompile(`<` + tag + `>[^<]*</` + tag + `>`)
		cfg = re.ReplaceAllLiteralString(cfg, "<"+tag+">"+value+"</"+tag+">")
	}
	set("log", filepath.Join(dir, "log", "clickhouse-server.log"))
	set("errorlog", filepath.Join(dir, "log", "clickhouse-server.err.log"))
	set("tcp_port", fmt.Sprint(ports[0]))
	set("http_port", fmt.Sprint(ports[1]))
	set("interserver_http_port", fmt.Sprint(ports[2]))
	set("tmp_path", filepath.Join(dir, "tmp")+"/")
	set("user_files_path", filepath.Join(dir, "user_files")+"/")
	set("format_schema_path", filepath.Join(dir, "format_schemas")+"/")
	set("users_config", filepath.Join(dir, "users.xml"))
	// The data path tag is also used (with other values) inside distributed_ddl: replace the
	// packaged data path only.
	cfg = strings.Replace(cfg, "<path>/var/lib/clickhouse/</path>", "<path>"+filepath.Join(dir, "data")+"/</path>", 1)
	cfg = regexp.MustCompile(`<listen_host>[^<]*</listen_host>`).ReplaceAllLiteralString(cfg, "")
	cfg = strings.Replace(cfg, "</yandex>", "<listen_host>127.0.0.1</listen_host>\n</yandex>", 1)
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(cfg), 0o644); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), users, 0o644); err != nil {
		return fmt.Errorf("write users: %w", err)
	}
	return nil
}

// start runs the server process and waits for /ping.
func (s *Server) start() error {
	out, err := os.OpenFile(filepath.Join(s.Dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open server output: %w", err)
	}
	cmd := exec.Command(s.binary, "--config-file="+filepath.Join(s.Dir, "config.xml"))
	cmd.Dir = s.Dir
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return fmt.Errorf("start %s: %w", s.binary, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = out.Close()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	client := http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("clickhouse-server exited during start: %s", s.logTail())
		default:
		}
		if resp, err := client.Get("http://" + s.HTTPAddr + "/ping"); err == nil {
			body := make([]byte, 16)
			n, _ := resp.Body.Read(body)
			_ = resp.Body.Close()
			if strings.TrimSpace(string(body[:n])) == "Ok." {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.signal(syscall.SIGKILL)
	<-done
	return fmt.Errorf("clickhouse-server not ready on %s after %s: %s", s.HTTPAddr, startTimeout, s.logTail())
}

// logTail returns the end of the server's error log, for failure messages.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "log", "clickhouse-server.err.log"))
	if len(b) == 0 {
		b, _ = os.ReadFile(filepath.Join(s.Dir, "log", "stdout.log"))
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

func (s *Server) wait(timeout time.Duration) bool {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Stop shuts the server down gracefully (SIGTERM), killing it if it takes over 10 s. Safe to call
// more than once and after Kill.
func (s *Server) Stop() {
	s.signal(syscall.SIGCONT) // a paused server cannot handle SIGTERM
	s.signal(syscall.SIGTERM)
	if !s.wait(10 * time.Second) {
		s.Kill()
	}
}

// Kill ends the server with SIGKILL, as a crash would, and waits for the process to exit.
func (s *Server) Kill() {
	s.signal(syscall.SIGKILL)
	s.wait(time.Minute)
}

// Pause freezes the server (SIGSTOP): connections stay open but nothing answers, like a hung
// or partitioned server. It returns once the process is stopped (signal delivery is
// asynchronous).
func (s *Server) Pause() {
	s.signal(syscall.SIGSTOP)
	s.waitState(func(state byte) bool { return state == 'T' || state == 't' })
}

// Resume continues a paused server (SIGCONT) and returns once it runs again.
func (s *Server) Resume() {
	s.signal(syscall.SIGCONT)
	s.waitState(func(state byte) bool { return state != 'T' && state != 't' })
}

// waitState polls the process state in /proc until ok accepts it, for at most 5 s.
func (s *Server) waitState(ok func(state byte) bool) {
	s.mu.Lock()
	pid := 0
	if s.cmd != nil && s.cmd.Process != nil {
		pid = s.cmd.Process.Pid
	}
	s.mu.Unlock()
	if pid == 0 {
		return
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return // gone, or no /proc: nothing to wait for
		}
		// The state follows the parenthesised command name: "pid (comm) S ...".
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) && ok(b[i+2]) {
			return
		}
	}
}

// Restart starts the server again on the same directory and ports, after Stop or Kill; it
// fails the test if the server does not come back.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.tb.Fatalf("clickhousetest: restart: %v", err)
	}
}

// CPUTime returns the CPU time (user + system) the running server process has used so far, read
// from /proc; benchmarks report the server's share of a run with it. Zero when not running or
// not on Linux.
func (s *Server) CPUTime() time.Duration {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) start after the last ')'.
	i := strings.LastIndexByte(string(raw), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}
