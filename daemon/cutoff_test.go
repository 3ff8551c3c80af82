package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/demo"
)

const day = 24 * time.Hour

// window is the first-run window of these tests.
const window = config.Duration(14 * day)

// rejection returns a rejection of the corpus with a Message-ID of its own.
func rejection(t *testing.T, i int) []byte {
	return uniqueID(read(t, mixed[0].path), fmt.Sprintf("rej-%d", i))
}

// draftedFor returns the Message-IDs the drafts in Drafts answer.
func draftedFor(t *testing.T, srv *demo.Server) map[string]int {
	t.Helper()
	box, err := srv.Messages("Drafts")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range box {
		out[inReplyTo(t, m.Raw)]++
	}
	return out
}

// runUntilFirstEvent runs d until it has handled one message, then cancels
// it as a crash would, mid-pass.
func runUntilFirstEvent(t *testing.T, d *daemon.Daemon, events chan daemon.Event) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-events:
	case <-time.After(20 * time.Second):
		t.Fatal("no message handled within 20 s")
	}
	cancel()
	for {
		select {
		case <-events: // the message in hand is finished
		case err := <-done:
			if err != nil {
				t.Fatalf("Run = %v after cancellation", err)
			}
			return
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10 s of cancellation")
		}
	}
}

// TestCutoffAfterACrashInTheFirstPass: old and new mail interleaved by UID;
// the first pass is cut short after one draft; the next run goes on from
// the first new message's UID and must still pass over the old mail.
func TestCutoffAfterACrashInTheFirstPass(t *testing.T) {
	srv := startServer(t)
	var newIDs []string
	for i := 0; i < 8; i++ {
		raw, at := rejection(t, i), time.Now().Add(-time.Duration(40+5*i)*day) // even: old
		if i%2 == 1 {
			at = time.Now().Add(-time.Duration(i) * time.Hour)
			newIDs = append(newIDs, messageID(t, raw))
		}
		if err := srv.DeliverAt("INBOX", raw, at); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "state.db")
	events := make(chan daemon.Event) // unbuffered: the daemon waits for the test
	d, _ := newDaemon(t, srv, path, func(o *daemon.Options) { o.Events = events })
	d.Config.Accounts[0].FirstRunWindow = window
	runUntilFirstEvent(t, d, events)
	d.Store.Close()

	d2, events2 := newDaemon(t, srv, path)
	d2.Config.Accounts[0].FirstRunWindow = window
	stop := startDaemon(t, d2)
	got := await(t, events2, 7) // every UID from the first new one, 2, on
	stop()
	for _, ev := range got {
		if ev.UID%2 == 1 && ev.Skipped != "before the first-run cutoff" {
			t.Errorf("old uid %d after the crash: %+v, want it passed over as before the cutoff", ev.UID, ev)
		}
	}
	drafted := draftedFor(t, srv)
	if len(drafted) != len(newIDs) {
		t.Errorf("Drafts answers %v, want exactly the new rejections %v", drafted, newIDs)
	}
	for _, id := range newIDs {
		if drafted[id] != 1 {
			t.Errorf("new rejection %s has %d drafts, want 1", id, drafted[id])
		}
	}
}

// TestCutoffOldMailMovedIn: old mail moved into INBOX after the first
// start (a migration) gets new UIDs but keeps its arrival date.
func TestCutoffOldMailMovedIn(t *testing.T) {
	srv := startServer(t)
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	d.Config.Accounts[0].FirstRunWindow = window
	stop := startDaemon(t, d)
	srv.Deliver("INBOX", read(t, mixed[1].path))
	await(t, events, 1)
	srv.DeliverAt("INBOX", rejection(t, 1), time.Now().Add(-60*day))
	srv.DeliverAt("INBOX", rejection(t, 2), time.Now().Add(-400*day))
	srv.Deliver("INBOX", rejection(t, 3))
	got := await(t, events, 3)
	stop()
	if got[0].Skipped != "before the first-run cutoff" || got[1].Skipped != "before the first-run cutoff" {
		t.Errorf("old mail moved in: %+v / %+v, want both passed over as before the cutoff", got[0], got[1])
	}
	if got[2].DraftID == "" {
		t.Errorf("new mail after the old: %+v, want it drafted", got[2])
	}
	if n := len(draftedFor(t, srv)); n != 1 {
		t.Errorf("Drafts has %d drafts, want 1", n)
	}
}

// TestCutoffMailWhileDown: mail that arrived while highroad was stopped
// for longer than the window is answered; the cutoff stays where the first
// start put it.
func TestCutoffMailWhileDown(t *testing.T) {
	srv := startServer(t)
	path := filepath.Join(t.TempDir(), "state.db")
	monthAgo := time.Now().Add(-30 * day)
	d, events := newDaemon(t, srv, path, func(o *daemon.Options) {
		o.Now = func() time.Time { return monthAgo } // the first start, a month ago
	})
	d.Config.Accounts[0].FirstRunWindow = window
	srv.DeliverAt("INBOX", read(t, mixed[1].path), monthAgo)
	stop := startDaemon(t, d)
	await(t, events, 1)
	stop()
	d.Store.Close()

	srv.DeliverAt("INBOX", rejection(t, 1), time.Now().Add(-50*day)) // before the first start's window
	srv.DeliverAt("INBOX", rejection(t, 2), time.Now().Add(-20*day)) // while down, out of today's window
	d2, events2 := newDaemon(t, srv, path)
	d2.Config.Accounts[0].FirstRunWindow = window
	stop = startDaemon(t, d2)
	got := await(t, events2, 2)
	stop()
	if got[0].Skipped != "before the first-run cutoff" {
		t.Errorf("mail from before the cutoff: %+v, want it passed over", got[0])
	}
	if got[1].DraftID == "" {
		t.Errorf("mail that arrived while highroad was down: %+v, want it drafted", got[1])
	}
}

// TestScanSinceReachesPastTheCutoff: a scan without a date keeps to the
// cutoff; with -since, the user's explicit request, it answers older mail.
func TestScanSinceReachesPastTheCutoff(t *testing.T) {
	srv := startServer(t)
	old, recent := rejection(t, 1), rejection(t, 2)
	srv.DeliverAt("INBOX", old, time.Now().Add(-60*day))
	srv.DeliverAt("INBOX", recent, time.Now().Add(-2*day))
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	d.Config.Accounts[0].FirstRunWindow = window
	go func() {
		for range events {
		}
	}()
	if err := d.Scan(context.Background(), time.Time{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := draftedFor(t, srv); len(got) != 1 || got[messageID(t, recent)] != 1 {
		t.Errorf("after a scan without -since Drafts answers %v, want only the recent rejection", got)
	}
	if err := d.Scan(context.Background(), time.Now().Add(-90*day), nil); err != nil {
		t.Fatal(err)
	}
	if got := draftedFor(t, srv); len(got) != 2 || got[messageID(t, old)] != 1 {
		t.Errorf("after a scan -since 90 days ago Drafts answers %v, want both rejections once", got)
	}
	close(events)
}

// inReplyTo is the Message-ID a draft answers.
func inReplyTo(t *testing.T, raw []byte) string {
	t.Helper()
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := gomail.Header{Header: e.Header}
	ids, _ := h.MsgIDList("In-Reply-To")
	if len(ids) != 1 {
		return ""
	}
	return ids[0]
}
