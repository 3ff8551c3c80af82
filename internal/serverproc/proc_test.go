//go:build unix

package serverproc

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStop(t *testing.T) {
	p, err := Spawn("sleeper", exec.Command("sleep", "60"))
	if err != nil {
		t.Fatalf("Spawn() = %v", err)
	}
	if err := p.Stop(10 * time.Second); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	if !ExitedBy(p.Err(), syscall.SIGTERM) {
		t.Errorf("ExitedBy(%v, SIGTERM) = false after Stop, want true", p.Err())
	}
}

func TestKill(t *testing.T) {
	p, err := Spawn("sleeper", exec.Command("sleep", "60"))
	if err != nil {
		t.Fatalf("Spawn() = %v", err)
	}
	p.Kill()
	if !ExitedBy(p.Err(), syscall.SIGKILL) {
		t.Errorf("ExitedBy(%v, SIGKILL) = false after Kill, want true", p.Err())
	}
	p.Kill() // a second Kill does nothing
}

func TestStopAfterExit(t *testing.T) {
	p, err := Spawn("quitter", exec.Command("true"))
	if err != nil {
		t.Fatalf("Spawn() = %v", err)
	}
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("true still running after 10 s")
	}
	err = p.Stop(10 * time.Second)
	if err == nil || !strings.Contains(err.Error(), "quitter had exited on its own") {
		t.Errorf("Stop() after exit = %v, want \"quitter had exited on its own\"", err)
	}
}

func TestLog(t *testing.T) {
	path := t.TempDir() + "/log"
	if got := ReadLog(path, "sleeper"); !strings.HasPrefix(got, "(no sleeper log: ") {
		t.Errorf("ReadLog() of a missing log = %q, want \"(no sleeper log: ...\"", got)
	}
	for _, run := range []string{"ab", "cd"} {
		f, size, err := OpenLog(path)
		if err != nil {
			t.Fatalf("OpenLog() = %v", err)
		}
		f.WriteString(run)
		f.Close()
		if got := string(LogSince(path, size)); got != run {
			t.Errorf("LogSince(%d) = %q, want %q", size, got, run)
		}
	}
	if got := ReadLog(path, "sleeper"); got != "abcd" {
		t.Errorf("ReadLog() = %q, want %q", got, "abcd")
	}
	if got := LogSince(path, 5); got != nil {
		t.Errorf("LogSince(5) = %q, want nil", got)
	}
}
