package daemon_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/highroad/highroad/dovecot"
)

// TestSIGKILLTrials runs `highroad run` against a Dovecot INBOX, kills it
// with SIGKILL at a random point, delivers more mail and starts it again,
// for 20 trials (set HIGHROAD_SIGKILL_TRIALS for more): 200 messages at
// first and 80 more before each start, one in four a rejection, 1,800
// messages in all. Starting takes about 300 ms here and a draft a few ms,
// so the kills come 200–800 ms after the start, mostly mid-catch-up. Then a last run finishes the work, and
// over all trials there must be no duplicate draft, no missing draft and
// no change but the keyword.
func TestSIGKILLTrials(t *testing.T) {
	trials := 20
	if s := os.Getenv("HIGHROAD_SIGKILL_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("HIGHROAD_SIGKILL_TRIALS=%q: want a positive number", s)
		}
		trials = n
	}
	srv := realServer{dovecot.Start(t)}
	bin := buildHighroad(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(accountConfig(dovecotEndpoint(srv.Server), filepath.Join(dir, "state.db"))), 0o600); err != nil {
		t.Fatal(err)
	}
	delivered, raws := mailbox(t, 200, "sigkill")
	load(t, srv.Server, raws)
	c, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	midway := 0 // kills that left some, but not all, drafts written
	for i := range trials {
		more, raws := mailbox(t, 80, "sigkill"+strconv.Itoa(i)+"-")
		load(t, srv.Server, raws)
		delivered = append(delivered, more...)
		cmd, logs := highroadRunLog(t, bin, cfgPath, srv.Password)
		launched := time.Now()
		// The kill point is the scenario, not synchronisation. Every other
		// trial kills at a random moment from start-up on; the rest wait
		// for the run's first draft and kill a few milliseconds later, in
		// the middle of the catch-up.
		if i%2 == 0 {
			time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond)
		} else {
			for !strings.Contains(logs.String(), "flagged and drafted") && time.Since(launched) < 10*time.Second {
				time.Sleep(2 * time.Millisecond) // polling the child's log
			}
			time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		}
		after := time.Since(launched).Round(time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		n, err := mailboxSize(c, "Drafts")
		if err != nil {
			t.Fatal(err)
		}
		want := rejections(delivered)
		if n > 0 && int(n) < want {
			midway++
		}
		t.Logf("trial %d: killed after %v with %d of %d drafts written", i+1, after, n, want)
	}
	cmd, logs := highroadRunLog(t, bin, cfgPath, srv.Password)
	want := rejections(delivered)
	deadline := time.Now().Add(90 * time.Second)
	for {
		// Done when every draft and keyword is there and the last run has
		// started, so that SIGTERM tests a clean stop, not a cut STORE.
		n, err := mailboxSize(c, "Drafts")
		var flagged int
		if err == nil {
			flagged, err = flaggedCount(c)
		}
		if err == nil && int(n) >= want && flagged >= want && strings.Contains(logs.String(), "highroad started") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Drafts has %d drafts 90 s after the last start, want %d (err %v)", n, want, err)
		}
		time.Sleep(200 * time.Millisecond) // polling the server's state, not ordering goroutines
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("highroad run after SIGTERM: %v", err)
	}
	t.Logf("%d SIGKILL trials over %d messages (%d rejections) in %v; %d kills landed mid-catch-up",
		trials, len(delivered), want, time.Since(start).Round(time.Millisecond), midway)
	if midway < trials/2 {
		t.Errorf("only %d of %d kills landed in the middle of a catch-up; the trials test too little", midway, trials)
	}
	checkMailbox(t, srv, delivered)
}

func rejections(ms []mail) int {
	n := 0
	for _, m := range ms {
		if m.rejection {
			n++
		}
	}
	return n
}
