//go:build !windows

package install

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests go through kardianos' real Run, which on Unix waits for
// SIGINT or SIGTERM: the test sends SIGTERM to its own process, which Run
// catches from its start to its end, as systemd and launchd send it.

// runAsync runs Run with daemon and returns where its result arrives and
// its log.
func runAsync(daemon func(context.Context, *slog.Logger) error, opts RunOptions) (<-chan error, *syncBuffer) {
	logs := &syncBuffer{}
	opts.Stderr = logs
	result := make(chan error, 1)
	go func() { result <- Run(daemon, opts) }()
	return result, logs
}

// await returns what arrives on c within 10 s.
func await(t *testing.T, what string, c <-chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: Run did not return within 10 s", what)
		return nil
	}
}

func started(t *testing.T, c <-chan struct{}) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not start within 10 s")
	}
}

func sigterm(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

func TestRunStopsOnSIGTERM(t *testing.T) {
	running := make(chan struct{})
	var cancelled bool
	result, logs := runAsync(func(ctx context.Context, log *slog.Logger) error {
		log.Info("working", "account", "test")
		close(running)
		<-ctx.Done()
		cancelled = true
		return nil
	}, RunOptions{})
	started(t, running)
	sigterm(t)
	if err := await(t, "after SIGTERM", result); err != nil {
		t.Errorf("Run after SIGTERM = %v, want nil", err)
	}
	if !cancelled {
		t.Error("Run returned before the daemon did")
	}
	if l := logs.String(); !strings.Contains(l, "msg=working account=test") || !strings.Contains(l, "highroad stopped") {
		t.Errorf("the log lacks the daemon's line or the stop:\n%s", l)
	}
}

// TestRunEndsWithDaemonError has the daemon fail before kardianos even
// starts its wait: Run must end with the error, with no stop sent.
func TestRunEndsWithDaemonError(t *testing.T) {
	refused := errors.New("login refused")
	result, logs := runAsync(func(context.Context, *slog.Logger) error { return refused }, RunOptions{})
	if err := await(t, "after the daemon failed", result); !errors.Is(err, refused) {
		t.Errorf("Run = %v, want the daemon's error %v", err, refused)
	}
	if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "login refused") {
		t.Errorf("the log does not report the error:\n%s", l)
	}
}

func TestRunGivesUpOnStuckDaemon(t *testing.T) {
	running, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(release) })
	result, _ := runAsync(func(ctx context.Context, _ *slog.Logger) error {
		close(running)
		<-release // ignores ctx
		return nil
	}, RunOptions{StopTimeout: 100 * time.Millisecond})
	started(t, running)
	sigterm(t)
	if err := await(t, "with a stuck daemon", result); !errors.Is(err, ErrStopTimeout) {
		t.Errorf("Run = %v, want ErrStopTimeout", err)
	}
}

// TestRunLevel checks that Run logs at the level asked for, and nothing
// below it.
func TestRunLevel(t *testing.T) {
	result, logs := runAsync(func(_ context.Context, log *slog.Logger) error {
		log.Debug("hidden")
		log.Warn("shown")
		return errors.New("done")
	}, RunOptions{Level: slog.LevelWarn})
	await(t, "at warn level", result)
	if l := logs.String(); strings.Contains(l, "hidden") || !strings.Contains(l, "shown") {
		t.Errorf("Run with Level warn logged:\n%s", l)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
