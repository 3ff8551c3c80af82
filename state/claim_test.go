package state

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestClaim(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	if r := Running(path); r != nil {
		t.Fatalf("Running before any claim = %+v, want nil", r)
	}
	started := time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC)
	c, err := Acquire(path, Runner{PID: os.Getpid(), Started: started, How: "foreground"})
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	r := Running(path)
	if r == nil || r.PID != os.Getpid() || r.How != "foreground" || !r.Started.Equal(started) {
		t.Errorf("Running while claimed = %+v, want pid %d foreground", r, os.Getpid())
	}
	_, err = Acquire(path, Runner{PID: 1, How: "service"})
	if !errors.Is(err, ErrClaimed) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("second Acquire = %v, want ErrClaimed naming pid %d", err, os.Getpid())
	}
	if err := c.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if r := Running(path); r != nil {
		t.Errorf("Running after Release = %+v, want nil", r)
	}
	c, err = Acquire(path, Runner{PID: 2, How: "service"})
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	c.Release()
}
