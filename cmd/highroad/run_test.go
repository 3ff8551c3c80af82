//go:build !windows

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/highroad/highroad/demo"
)

// TestRunHelper is highroad in a child process, for the tests that signal
// it and read its exit status. It runs only there, with the arguments
// after "--".
func TestRunHelper(t *testing.T) {
	if os.Getenv("HIGHROAD_TEST_CHILD") != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(run(args, os.Stdin, os.Stdout, os.Stderr))
}

// startRun starts `highroad run` in a child process against srv, with
// password as the account's password, and returns its log as it grows.
func startRun(t *testing.T, srv *demo.Server, password string) (*exec.Cmd, *watch) {
	t.Helper()
	dir := t.TempDir()
	host, port, _ := strings.Cut(srv.Addr, ":")
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("profile:\n  name: Test User\n  address: test@example.org\n"+
		"state: "+filepath.Join(dir, "state.db")+"\n"+
		"accounts:\n  - name: test\n    server: "+host+"\n    port: "+port+"\n    tls: plain\n"+
		"    username: "+srv.User+"\n    password_env: HIGHROAD_TEST_PASSWORD\n    first_run_window: 3650d\n"), 0o600)
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunHelper$", "--", "run", "-config", cfg)
	cmd.Env = append(os.Environ(), "HIGHROAD_TEST_CHILD=1", "HIGHROAD_TEST_PASSWORD="+password)
	logs := newWatch()
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		if t.Failed() {
			t.Logf("highroad run log:\n%s", logs)
		}
	})
	return cmd, logs
}

// waitExit waits up to 10 s for cmd to exit and returns its status.
func waitExit(t *testing.T, cmd *exec.Cmd, what string) int {
	t.Helper()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(10 * time.Second):
		t.Fatalf("highroad run did not exit within 10 s %s", what)
		return 0
	}
}

// TestRunStopsOnSIGTERM runs the service's command, as systemd and launchd
// do, against the in-process IMAP server: it handles the mail waiting,
// settles in IDLE, and on SIGTERM stops cleanly with status 0.
func TestRunStopsOnSIGTERM(t *testing.T) {
	trace := newWatch()
	srv, err := demo.StartTraced("alex", "s3cret-pass", trace)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	raw, _ := os.ReadFile(rejection)
	if err := srv.Deliver("INBOX", raw); err != nil {
		t.Fatal(err)
	}
	cmd, logs := startRun(t, srv, srv.Password)
	// The daemon idles once it has handled the mail already there.
	trace.waitFor(t, "+ idling", 10*time.Second)
	cmd.Process.Signal(syscall.SIGTERM)
	if status := waitExit(t, cmd, "of SIGTERM"); status != 0 {
		t.Errorf("highroad run after SIGTERM exited %d, want 0", status)
	}
	if l := logs.String(); !strings.Contains(l, "highroad started") || !strings.Contains(l, `msg="highroad stopped"`) || strings.Contains(l, "level=ERROR") {
		t.Errorf("the log does not show a clean start and stop:\n%s", l)
	}
	if drafts, err := srv.Messages("Drafts"); err != nil || len(drafts) != 1 {
		t.Errorf("Drafts has %d messages (%v), want the one reply", len(drafts), err)
	}
}

// TestRunRefusedLogin: a password the server refuses is a permanent error,
// so highroad run ends by itself, without a stop, with EX_CONFIG (78),
// which the systemd unit does not restart.
func TestRunRefusedLogin(t *testing.T) {
	srv, err := demo.Start("alex", "s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cmd, logs := startRun(t, srv, "wrong-pass")
	if status := waitExit(t, cmd, "of a refused login"); status != exitConfig {
		t.Errorf("highroad run with a refused login exited %d, want %d", status, exitConfig)
	}
	if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, `msg="highroad stopped"`) {
		t.Errorf("the log does not report the error:\n%s", l)
	}
}

// TestRunBadConfig: a configuration without accounts is an error to fix,
// not to retry.
func TestRunBadConfig(t *testing.T) {
	_, errOut, status := runCmd(t, "", "run")
	if status != exitConfig || !strings.Contains(errOut, "account") {
		t.Errorf("run with no accounts = %d %q, want %d and the reason", status, errOut, exitConfig)
	}
}

// watch collects what is written to it, safe for concurrent writers, and
// lets a test wait until it contains a string.
type watch struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{} // one pending wake-up after a write
}

func newWatch() *watch { return &watch{changed: make(chan struct{}, 1)} }

func (w *watch) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.b.Write(p)
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *watch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *watch) waitFor(t *testing.T, s string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for !strings.Contains(w.String(), s) {
		select {
		case <-w.changed:
		case <-deadline:
			t.Fatalf("no %q within %v in:\n%s", s, within, w)
		}
	}
}
