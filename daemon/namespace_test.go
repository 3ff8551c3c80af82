package daemon_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/highroad/highroad/daemon"
)

// TestDraftsFoundByName: on a server that marks nothing \Drafts (as
// imapmemserver), Drafts is found under INBOX (Courier's and Cyrus' layout,
// here with "/" as the delimiter) or by a localized name, and the draft
// goes there (issue 9, item 7). check reports the mailboxes it saw and
// why it chose.
func TestDraftsFoundByName(t *testing.T) {
	for _, tt := range []struct{ mailbox, why string }{
		{"INBOX/Drafts", `named as drafts: says, under "INBOX/"`},
		{"Entwürfe", "a usual name for Drafts"}, // sent as Entw&APw-rfe
	} {
		t.Run(tt.mailbox, func(t *testing.T) {
			srv := startServer(t)
			c, err := srv.Dial()
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Delete("Drafts").Wait(); err != nil {
				t.Fatal(err)
			}
			if err := c.Create(tt.mailbox, nil).Wait(); err != nil {
				t.Fatal(err)
			}
			c.Close()
			srv.Deliver("INBOX", read(t, mixed[0].path))
			d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))

			r, err := d.Check(context.Background(), &d.Config.Accounts[0])
			if err != nil {
				t.Fatalf("Check = %v", err)
			}
			names := func(r *daemon.Report) []string { return r.MailboxList(100) }(r)
			if r.Drafts != tt.mailbox || r.DraftsWhy != tt.why || !slices.Contains(names, tt.mailbox) || !slices.Contains(names, "INBOX") {
				t.Errorf("Check: drafts %q (%s), mailboxes %v; want %q (%s) among the mailboxes", r.Drafts, r.DraftsWhy, names, tt.mailbox, tt.why)
			}

			stop := startDaemon(t, d)
			ev := await(t, events, 1)[0]
			if err := stop(); err != nil {
				t.Fatalf("Run = %v", err)
			}
			box, err := srv.Messages(tt.mailbox)
			if err != nil || len(box) != 1 || ev.DraftID == "" {
				t.Errorf("%s holds %d drafts (%v), event %+v; want the one draft there", tt.mailbox, len(box), err, ev)
			}
		})
	}
}

// TestNoDraftsMailboxSaysWhatItSaw: when nothing looks like Drafts, the
// error lists the mailboxes so that the user can set drafts:.
func TestNoDraftsMailboxSaysWhatItSaw(t *testing.T) {
	srv := startServer(t)
	c, _ := srv.Dial()
	c.Delete("Drafts").Wait()
	c.Close()
	d, _ := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	_, err := d.Check(context.Background(), &d.Config.Accounts[0])
	if !daemon.IsPermanent(err) || !strings.Contains(err.Error(), "(the server has INBOX, Sent)") {
		t.Errorf("Check without Drafts = %v; want a permanent error listing INBOX and Sent", err)
	}
}
