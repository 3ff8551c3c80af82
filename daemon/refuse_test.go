package daemon_test

import (
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/demo"
)

// clock is a daemon clock the test can move forward.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// flagged reports, per INBOX UID, whether the message carries the keyword.
func flagged(t *testing.T, srv *demo.Server) map[imap.UID]bool {
	t.Helper()
	inbox, err := srv.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	out := map[imap.UID]bool{}
	for _, m := range inbox {
		out[m.UID] = hasFlag(m.Flags, config.DefaultKeyword)
	}
	return out
}

// TestRefusedAppendWaitsAndIsRetried: over quota, the drafts are not
// written, the messages get no keyword and the state says they wait; once
// the quota is lifted, and their time has come, they are drafted, once.
func TestRefusedAppendWaitsAndIsRetried(t *testing.T) {
	f := &faults{}
	f.refuseAppend.Store(true)
	srv := startFaultServer(t, f)
	srv.Deliver("INBOX", rejection(t, 1))
	srv.Deliver("INBOX", rejection(t, 2))
	var clk clock
	path := filepath.Join(t.TempDir(), "state.db")
	d, events := newDaemon(t, srv, path, func(o *daemon.Options) { o.Now = clk.now })
	stop := startDaemon(t, d)
	for _, ev := range await(t, events, 2) {
		if !ev.Rejection || ev.DraftID != "" || ev.Flagged || !strings.Contains(ev.Skipped, "[OVERQUOTA] quota exceeded") {
			t.Errorf("refused draft: event %+v, want a rejection not drafted, not flagged, saying why", ev)
		}
	}
	if fl := flagged(t, srv); fl[1] || fl[2] {
		t.Errorf("keywords %v: a rejection whose draft was refused must not look answered", fl)
	}
	waiting, _ := d.Store.Waiting("test")
	if len(waiting) != 2 || waiting[0].Refused != "[OVERQUOTA] quota exceeded" || waiting[0].Attempts != 1 {
		t.Fatalf("Waiting = %+v, want both rejections waiting after one refusal", waiting)
	}

	// The quota is lifted, but the retry is not due yet: a pass (woken by
	// new mail) leaves them waiting.
	f.refuseAppend.Store(false)
	srv.Deliver("INBOX", read(t, mixed[1].path))
	await(t, events, 1)
	if n := len(draftedFor(t, srv)); n != 0 {
		t.Errorf("Drafts has %d drafts before the retry was due", n)
	}
	clk.advance(2 * time.Minute)
	for _, ev := range await(t, events, 2) { // the next periodic re-check
		if ev.DraftID == "" || !ev.Flagged {
			t.Errorf("retry: event %+v, want drafted and flagged", ev)
		}
	}
	stop()
	if waiting, _ := d.Store.Waiting("test"); len(waiting) != 0 {
		t.Errorf("Waiting after the retry = %+v, want none", waiting)
	}
	d.Store.Close()

	// A restart finds nothing left to do.
	d2, events2 := newDaemon(t, srv, path)
	stop = startDaemon(t, d2)
	srv.Deliver("INBOX", read(t, mixed[3].path))
	await(t, events2, 1)
	stop()
	if got := draftedFor(t, srv); len(got) != 2 || got["rej-1@test.example"] != 1 || got["rej-2@test.example"] != 1 {
		t.Errorf("Drafts answers %v, want each rejection exactly once", got)
	}
	if fl := flagged(t, srv); !fl[1] || !fl[2] || fl[3] {
		t.Errorf("keywords %v, want the two rejections flagged", fl)
	}
}

// TestScanReportsRefusedDraft: a scan's event for a refused draft says
// so, which `highroad scan` prints as "not drafted" with exit status 1.
func TestScanReportsRefusedDraft(t *testing.T) {
	f := &faults{}
	f.refuseAppend.Store(true)
	srv := startFaultServer(t, f)
	srv.Deliver("INBOX", rejection(t, 1))
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	if err := d.Scan(t.Context(), time.Time{}, nil); err != nil {
		t.Fatalf("Scan = %v", err)
	}
	ev := <-events
	if !ev.Rejection || ev.Skipped == "" || ev.DraftID != "" || ev.Flagged {
		t.Errorf("Scan event %+v, want a rejection marked not drafted", ev)
	}
	if rec, _ := d.Store.Waiting("test"); len(rec) != 1 {
		t.Errorf("Waiting after the scan = %+v, want the refused draft", rec)
	}
}

// TestRefusedStoreIsNotRecorded: a NO to STORE leaves the keyword
// unrecorded; the draft is there.
func TestRefusedStoreIsNotRecorded(t *testing.T) {
	f := &faults{}
	f.refuseStore.Store(true)
	srv := startFaultServer(t, f)
	raw := rejection(t, 1)
	srv.Deliver("INBOX", raw)
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	stop := startDaemon(t, d)
	ev := await(t, events, 1)[0]
	stop()
	if ev.DraftID == "" || ev.Flagged {
		t.Errorf("event %+v, want drafted and not flagged", ev)
	}
	rec, ok, _ := d.Store.Rejection("test", messageID(t, raw))
	if !ok || rec.DraftID == "" || rec.Flagged {
		t.Errorf("state %+v, want the draft recorded and the keyword not", rec)
	}
	if fl := flagged(t, srv); fl[1] {
		t.Error("the message carries the keyword the server refused")
	}
}
