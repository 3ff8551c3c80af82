package state

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// crashEnv, when set to a path, turns the test binary into the writer that
// TestCrashSafety kills.
const crashEnv = "HIGHROAD_STATE_CRASH_CHILD"

const crashAccount, crashMailbox = "crash", "INBOX"

// crashRecord is the rejection the child writes for uid; the parent recomputes it
// to check that what it reads back is complete.
func crashRecord(uid uint32) Rejection {
	r := Rejection{
		Account: crashAccount, Mailbox: crashMailbox, MessageID: fmt.Sprintf("<%d@crash.test>", uid), UID: uid,
		Company: fmt.Sprintf("Company %d", uid),
		// Varying sizes make bbolt split pages and grow the file mid-run.
		Role:     strings.Repeat("r", int(uid*37%2000)),
		Contact:  fmt.Sprintf("hr%d@crash.test", uid),
		Received: t0.Add(time.Duration(uid) * time.Minute),
	}
	if uid%2 == 0 {
		r.DraftID, r.Drafted, r.Flagged = fmt.Sprintf("<draft%d@highroad>", uid), r.Received.Add(time.Second), true
	}
	return r
}

// crashChild does what the daemon does for each message, one store call at a time,
// and prints each UID once all three calls for it have returned. It never stops on
// its own: the parent kills it.
func crashChild(path string) {
	s, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	p, _, err := s.Progress(crashAccount, crashMailbox)
	must(err)
	for uid := p.LastUID + 1; uid < p.LastUID+100_000; uid++ {
		must(s.PutRejection(crashRecord(uid)))
		must(s.Record(crashAccount, func(a *Activity) {
			a.Drafts++
			a.Rejections++
			a.LastContact = t0.Add(time.Duration(a.Drafts) * time.Second)
		}))
		must(s.SetProgress(crashAccount, crashMailbox, Progress{UIDValidity: 7, LastUID: uid, Scanned: t0}))
		fmt.Println(uid)
	}
	os.Exit(3) // not killed in time: the parent reports it
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

// crashState is what the parent reads back after a kill.
type crashState struct {
	lastUID    uint32
	activity   Activity
	rejections int
}

func TestCrashSafety(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("starts and kills 10 processes")
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.db")
	var prev crashState
	for run := range 10 {
		commits := 1 + rand.IntN(40)
		committed := runAndKill(t, path, commits)
		got := checkCrashed(t, path)
		t.Logf("run %d: killed after %d printed commits (last uid %d); store: last uid %d, seen %d, rejections %d",
			run, commits, committed, got.lastUID, got.activity.Drafts, got.rejections)
		switch {
		case got.lastUID < committed:
			t.Fatalf("run %d: progress LastUID = %d, but the child had committed UID %d", run, got.lastUID, committed)
		case got.lastUID < prev.lastUID, got.activity.Drafts < prev.activity.Drafts, got.rejections < prev.rejections:
			t.Fatalf("run %d: store went backwards: %+v after %+v", run, got, prev)
		}
		prev = got
	}
}

// runAndKill starts the child on path, waits until it has reported commits
// committed UIDs, kills it with SIGKILL and returns the last UID it reported.
func runAndKill(t *testing.T, path string, commits int) uint32 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child: %v", err)
	}
	uids := make(chan uint32)
	go func() {
		defer close(uids)
		for sc := bufio.NewScanner(out); sc.Scan(); {
			uid, err := strconv.ParseUint(sc.Text(), 10, 32)
			if err == nil {
				uids <- uint32(uid)
			}
		}
	}()
	var last uint32
	watchdog := time.After(time.Minute)
	for seen := 0; seen < commits; seen++ {
		select {
		case uid, ok := <-uids:
			if !ok {
				cmd.Wait()
				t.Fatalf("child exited before being killed: %v\n%s", cmd.ProcessState, stderr.Bytes())
			}
			last = uid
		case <-watchdog:
			cmd.Process.Kill()
			for range uids {
			}
			cmd.Wait()
			t.Fatalf("child reported %d of %d commits in a minute\n%s", seen, commits, stderr.Bytes())
		}
	}
	// A random delay, not a synchronisation: it spreads the kills over all phases of
	// the next few transactions (write, fsync, meta page), where reacting at once
	// would nearly always hit the same one.
	<-time.After(time.Duration(rand.Int64N(int64(5 * time.Millisecond))))
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	for uid := range uids { // reported before dying, so committed too
		last = uid
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("child exited cleanly; want it killed")
	}
	return last
}

// checkCrashed opens the store a killed child left behind and checks that every
// value in it is valid JSON and every record is whole and consistent.
func checkCrashed(t *testing.T, path string) crashState {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open after kill: %v", err)
	}
	defer s.Close()
	var errs []error
	s.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() { // drain: Check's goroutine reads tx until it closes the channel
			errs = append(errs, err)
		}
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("bbolt consistency check after kill: %v", err)
	}
	checkAllJSON(t, s)
	p, ok, err := s.Progress(crashAccount, crashMailbox)
	if err != nil || !ok || p.UIDValidity != 7 || !p.Scanned.Equal(t0) {
		t.Fatalf("Progress after kill = %+v, %v, %v; want UIDValidity 7, Scanned %v", p, ok, err, t0)
	}
	a, err := s.Activity(crashAccount)
	if err != nil || a.Rejections != a.Drafts || !a.LastContact.Equal(t0.Add(time.Duration(a.Drafts)*time.Second)) {
		t.Fatalf("Activity after kill = %+v, %v; want Rejections == Drafts and LastContact matching Drafts", a, err)
	}
	if a.Drafts < int(p.LastUID) {
		t.Fatalf("Activity.Drafts = %d < LastUID %d: an update before the progress was lost", a.Drafts, p.LastUID)
	}
	rs, err := s.Rejections(crashAccount, 0)
	if err != nil {
		t.Fatalf("Rejections after kill: %v", err)
	}
	// Records are written before progress, so UIDs 1..LastUID are all there, and at
	// most one more whose progress was not yet stored.
	if n := uint32(len(rs)); n != p.LastUID && n != p.LastUID+1 {
		t.Fatalf("%d rejections after kill with LastUID %d; want %d or %d", n, p.LastUID, p.LastUID, p.LastUID+1)
	}
	for i, r := range rs {
		if want := crashRecord(uint32(len(rs) - i)); r.utc() != want.utc() {
			t.Fatalf("rejection %d after kill = %+v;\nwant %+v", i, r, want)
		}
	}
	return crashState{lastUID: p.LastUID, activity: a, rejections: len(rs)}
}

// checkAllJSON walks every bucket and fails on any value that is not valid JSON.
func checkAllJSON(t *testing.T, s *Store) {
	t.Helper()
	var walk func(path string, b *bolt.Bucket) error
	walk = func(path string, b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return walk(path+"/"+string(k), b.Bucket(k))
			}
			if !json.Valid(v) {
				return fmt.Errorf("%s/%s holds invalid JSON %q", path, k, v)
			}
			return nil
		})
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(string(name), b) })
	})
	if err != nil {
		t.Fatal(err)
	}
}
