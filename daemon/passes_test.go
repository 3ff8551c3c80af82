package daemon_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
)

func TestScanHandlesOldMailOnce(t *testing.T) {
	srv := startServer(t)
	deliverAll(t, srv, mixed)
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	done := make(chan struct{})
	var got []daemon.Event
	go func() {
		defer close(done)
		for ev := range events {
			got = append(got, ev)
		}
	}()
	var last [2]int
	for i := 0; i < 2; i++ { // a second scan must find every draft already there
		if err := d.Scan(context.Background(), time.Now().AddDate(-20, 0, 0), func(n, total int) { last = [2]int{n, total} }); err != nil {
			t.Fatalf("Scan %d: %v", i, err)
		}
	}
	close(events)
	<-done
	if len(got) != 2*len(mixed) || last != [2]int{len(mixed), len(mixed)} {
		t.Errorf("two scans gave %d events (want %d), last progress %v", len(got), 2*len(mixed), last)
	}
	checkMailbox(t, srv, mixed)
	if _, known, _ := d.Store.Progress("test", "INBOX"); known {
		t.Error("a scan moved the daemon's progress")
	}
}

// TestFirstRunWindow checks that a first run leaves mail older than the
// window alone, and that later runs never go back to it.
func TestFirstRunWindow(t *testing.T) {
	srv := startServer(t)
	old := time.Now().AddDate(-1, 0, 0)
	srv.DeliverAt("INBOX", read(t, mixed[0].path), old)
	srv.DeliverAt("INBOX", read(t, mixed[2].path), time.Now())
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	d.Config.Accounts[0].FirstRunWindow = config.Duration(14 * 24 * time.Hour)
	stop := startDaemon(t, d)
	got := await(t, events, 1)
	srv.Deliver("INBOX", read(t, mixed[4].path))
	got = append(got, await(t, events, 1)...)
	stop()
	if got[0].UID != 2 || got[1].UID != 3 {
		t.Errorf("handled uids %d, %d; want 2 and 3, not the year-old uid 1", got[0].UID, got[1].UID)
	}
	if box, _ := srv.Messages("Drafts"); len(box) != 2 {
		t.Errorf("Drafts has %d drafts, want 2", len(box))
	}
}

// TestUIDValidityChange makes the stored UIDVALIDITY differ from the
// server's, as after a server migration: the daemon re-checks the window
// and finds every draft already there.
func TestUIDValidityChange(t *testing.T) {
	srv := startServer(t)
	deliverAll(t, srv, mixed)
	path := filepath.Join(t.TempDir(), "state.db")
	d, events := newDaemon(t, srv, path)
	stop := startDaemon(t, d)
	await(t, events, len(mixed))
	stop()
	p, _, _ := d.Store.Progress("test", "INBOX")
	p.UIDValidity++
	d.Store.SetProgress("test", "INBOX", p)
	d.Store.Close()

	d2, events2 := newDaemon(t, srv, path)
	stop2 := startDaemon(t, d2)
	got := await(t, events2, len(mixed))
	stop2()
	for _, ev := range got {
		if ev.Skipped == "" && ev.Rejection {
			t.Errorf("after the UIDVALIDITY change uid %d was acted on again: %+v", ev.UID, ev)
		}
	}
	checkMailbox(t, srv, mixed)
}

func TestNoDraftsMailbox(t *testing.T) {
	srv := startServer(t)
	d, _ := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	d.Config.Accounts[0].Drafts = "Entwürfe"
	err := d.Run(context.Background())
	if !daemon.IsPermanent(err) || !strings.Contains(err.Error(), "no Drafts mailbox") {
		t.Errorf("Run with no Drafts mailbox = %v, want a permanent error saying so", err)
	}
}

func TestAnsweredInDrafts(t *testing.T) {
	srv := startServer(t)
	deliverAll(t, srv, mixed)
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	stop := startDaemon(t, d)
	await(t, events, len(mixed))
	stop()
	ids, err := d.AnsweredInDrafts(context.Background(), &d.Config.Accounts[0])
	if err != nil || len(ids) != 3 {
		t.Fatalf("AnsweredInDrafts = %v, %v; want the 3 rejections", ids, err)
	}
	// The user sends (or deletes) one draft.
	c, _ := srv.Dial()
	c.Select("Drafts", nil).Wait()
	c.Store(imap.UIDSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	c.Expunge().Close()
	c.Close()
	if ids, _ := d.AnsweredInDrafts(context.Background(), &d.Config.Accounts[0]); len(ids) != 2 {
		t.Errorf("after one draft left Drafts, AnsweredInDrafts = %v, want 2", ids)
	}
}

// TestMessageWithoutID checks that a rejection with no Message-ID is
// still drafted once: its draft carries a made-up key that a later run,
// with its state lost, finds again.
func TestMessageWithoutID(t *testing.T) {
	srv := startServer(t)
	raw := string(read(t, mixed[0].path))
	i := strings.Index(raw, "Message-ID:")
	end := strings.Index(raw[i:], "\r\n")
	srv.Deliver("INBOX", []byte(raw[:i]+raw[i+end+2:]))
	for run := 0; run < 2; run++ { // the second run has lost its state
		d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
		d.Config.Accounts[0].Keyword = "$NotStoredHere" // so that the keyword does not hide a second draft
		stop := startDaemon(t, d)
		ev := await(t, events, 1)[0]
		stop()
		if !ev.Rejection || ev.DraftID == "" {
			t.Fatalf("run %d: %+v, want the rejection drafted or found", run, ev)
		}
		c, _ := srv.Dial()
		c.Select("INBOX", nil).Wait()
		c.Store(imap.UIDSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{"$NotStoredHere"}}, nil).Close()
		c.Close()
	}
	if box, _ := srv.Messages("Drafts"); len(box) != 1 {
		t.Errorf("Drafts has %d drafts for one rejection without a Message-ID, want 1", len(box))
	}
}
