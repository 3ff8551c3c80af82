package daemon_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/highroad/highroad/daemon"
)

// TestScanSinceRefusedDraftIsRetried: scan -since reaches old mail; a draft
// the server refused then is tried again by run, past the cutoff.
func TestScanSinceRefusedDraftIsRetried(t *testing.T) {
	f := &faults{}
	f.refuseAppend.Store(true)
	srv := startFaultServer(t, f)
	old := rejection(t, 1)
	if err := srv.DeliverAt("INBOX", old, time.Now().Add(-60*day)); err != nil {
		t.Fatal(err)
	}
	var clk clock
	path := filepath.Join(t.TempDir(), "state.db")
	d, events := newDaemon(t, srv, path, func(o *daemon.Options) { o.Now = clk.now })
	d.Config.Accounts[0].FirstRunWindow = window
	if err := d.Scan(t.Context(), time.Now().Add(-90*day), nil); err != nil {
		t.Fatal(err)
	}
	ev := <-events
	t.Logf("scan event: skipped=%q", ev.Skipped)
	if w, _ := d.Store.Waiting("test"); len(w) != 1 {
		t.Fatalf("waiting = %+v", w)
	}
	f.refuseAppend.Store(false)
	clk.advance(2 * time.Minute)
	stop := startDaemon(t, d)
	deadline := time.After(8 * time.Second)
	for {
		w, _ := d.Store.Waiting("test")
		if len(w) == 0 {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("still waiting %+v", w)
		case <-events:
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop()
	if got := draftedFor(t, srv); len(got) != 1 {
		t.Errorf("after the retry Drafts answers %v, want the old rejection once (the scan promised run retries it)", got)
	}
}
