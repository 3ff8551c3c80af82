package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Claim marks a state file as in use by a running daemon for as long as the
// daemon lives: a second daemon on the same state is refused, and `highroad
// status` can say that highroad is running, in the foreground or as a
// service. The mark is a lock on a file beside the state file, so it ends
// with the process however the process ends.
type Claim struct {
	f *os.File
}

// Runner describes the process that holds a claim.
type Runner struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	// How is "service" or "foreground".
	How string `json:"how"`
}

// ErrClaimed reports a state file that another process has claimed.
var ErrClaimed = errors.New("another highroad is already running on this state")

func claimPath(statePath string) string { return statePath + ".run" }

// Acquire claims the state file at statePath for r's process. It fails at
// once, with an error wrapping ErrClaimed that names the holder, if another
// live process holds the claim.
func Acquire(statePath string, r Runner) (*Claim, error) {
	if err := os.MkdirAll(filepath.Dir(statePath), 0o700); err != nil {
		return nil, fmt.Errorf("claim state: %w", err)
	}
	f, err := os.OpenFile(claimPath(statePath), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("claim state: %w", err)
	}
	if err := lockRetrying(f); err != nil {
		holder, _ := readRunner(f)
		f.Close()
		if holder != nil {
			return nil, fmt.Errorf("%w (pid %d, %s, since %s)", ErrClaimed, holder.PID, holder.How,
				holder.Started.Local().Format("2006-01-02 15:04"))
		}
		return nil, ErrClaimed
	}
	b, _ := json.Marshal(r)
	err = f.Truncate(0)
	if err == nil {
		_, err = f.WriteAt(b, 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("claim state: %w", err)
	}
	return &Claim{f: f}, nil
}

// lockRetrying takes the lock, trying for a moment: `highroad status`
// holds it for an instant when it looks whether highroad runs.
func lockRetrying(f *os.File) error {
	var err error
	for range 10 {
		if err = lockFile(f); err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// Release ends the claim.
func (c *Claim) Release() error {
	c.f.Truncate(0)
	return c.f.Close() // closing the file drops the lock
}

// Running returns the process that holds the claim on the state file at
// statePath, or nil when no live process does.
func Running(statePath string) *Runner {
	f, err := os.OpenFile(claimPath(statePath), os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	if lockFile(f) == nil {
		return nil // nobody holds it; closing lets it go again
	}
	r, err := readRunner(f)
	if err != nil {
		return &Runner{}
	}
	return r
}

func readRunner(f *os.File) (*Runner, error) {
	b := make([]byte, 512)
	n, err := f.ReadAt(b, 0)
	if n == 0 {
		return nil, err
	}
	var r Runner
	if err := json.Unmarshal(b[:n], &r); err != nil {
		return nil, err
	}
	return &r, nil
}
