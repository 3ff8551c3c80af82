package daemon_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/demo"
)

// deliverExpunged delivers n messages to INBOX and expunges them at once,
// before a daemon that is not running can see them.
func deliverExpunged(t *testing.T, srv *demo.Server, n uint32) {
	t.Helper()
	for range n {
		if err := srv.Deliver("INBOX", read(t, mixed[3].path)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	newest := imap.SeqSet{imap.SeqRange{Start: sel.NumMessages - n + 1, Stop: sel.NumMessages}}
	err = c.Store(newest, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
}

// TestExpungeGapDoesNotSpin: the newest messages expunged before highroad
// saw them leave UIDNEXT above the last UID handled. That gap must not
// read as new mail again and again (issue 9, item 5: about 60 rounds of
// SELECT, SEARCH and IDLE a second on Cyrus and maddy).
func TestExpungeGapDoesNotSpin(t *testing.T) {
	srv := startServer(t)
	deliverAll(t, srv, mixed[1:2])
	storePath := filepath.Join(t.TempDir(), "state.db")
	d, events := newDaemon(t, srv, storePath)
	stop := startDaemon(t, d)
	await(t, events, 1)
	stop()
	d.Store.Close()
	deliverExpunged(t, srv, 2)

	p := startProxy(t, srv.Addr)
	d2, events2 := newDaemon(t, p.server(srv), storePath, func(o *daemon.Options) { o.Timeouts.Recheck = time.Hour })
	// Coming back to INBOX from a second mailbox selects it again, and
	// SELECT's UIDNEXT is compared with the last UID handled.
	d2.Config.Accounts[0].Mailboxes = []string{"INBOX", "Sent"}
	startDaemon(t, d2)
	p.await("IDLE", 1, 10*time.Second)
	from := len(p.sent())
	<-time.After(time.Second) // the window over which commands are counted
	if window := p.sent()[from:]; len(window) > 2 {
		t.Errorf("an idle daemon sent %d commands in a second after the expunge gap, want at most 2: %v", len(window), window[:min(len(window), 30)])
	}
	if err := srv.Deliver("INBOX", read(t, mixed[0].path)); err != nil {
		t.Fatal(err)
	}
	if ev := await(t, events2, 1)[0]; !ev.Rejection || ev.DraftID == "" {
		t.Errorf("event after the gap = %+v, want the rejection drafted", ev)
	}
}

// TestNewMailWithoutUIDSearch: on a server whose UID SEARCH UID n:*
// answers nothing (GNU Mailutils imap4d 3.15), new mail is still found
// (issue 9, item 6).
func TestNewMailWithoutUIDSearch(t *testing.T) {
	srv := startFaultServer(t, &faults{noUIDSearch: true})
	deliverAll(t, srv, mixed[1:2]) // the first pass finds it with SEARCH SINCE
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	startDaemon(t, d)
	await(t, events, 1)
	if err := srv.Deliver("INBOX", read(t, mixed[0].path)); err != nil {
		t.Fatal(err)
	}
	if ev := await(t, events, 1)[0]; !ev.Rejection || ev.DraftID == "" {
		t.Errorf("event = %+v, want the new rejection drafted", ev)
	}
}
