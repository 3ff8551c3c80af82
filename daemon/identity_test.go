package daemon_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/demo"
	"github.com/highroad/highroad/drafts"
	"github.com/highroad/highroad/state"
)

// withoutMessageID removes the Message-ID header of raw.
func withoutMessageID(raw []byte) []byte {
	s := string(raw)
	i := strings.Index(s, "Message-ID:")
	end := strings.Index(s[i:], "\r\n")
	return []byte(s[:i] + s[i+end+2:])
}

// tieHeaders returns the X-Highroad-Rejection header of every draft.
func tieHeaders(t *testing.T, srv *demo.Server) []string {
	t.Helper()
	box, err := srv.Messages("Drafts")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range box {
		head, _, _ := strings.Cut(string(m.Raw), "\r\n\r\n")
		for _, l := range strings.Split(head, "\r\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, drafts.HeaderRejection) {
				out = append(out, strings.TrimSpace(v))
			}
		}
	}
	return out
}

// runOnce runs a daemon on the state at path until it has decided n
// messages.
func runOnce(t *testing.T, srv *demo.Server, path string, n int) []daemon.Event {
	t.Helper()
	d, events := newDaemon(t, srv, path)
	stop := startDaemon(t, d)
	got := await(t, events, n)
	stop()
	d.Store.Close()
	return got
}

// unflag takes the keyword off every INBOX message, so that only the
// state and Drafts stand between a rejection and a second draft.
func unflag(t *testing.T, srv *demo.Server) {
	t.Helper()
	c, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Select("INBOX", nil).Wait()
	c.Store(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.StoreFlags{Op: imap.StoreFlagsDel,
		Flags: []imap.Flag{config.DefaultKeyword}}, nil).Close()
}

// TestSharedMessageID: two different rejections with one Message-ID (a
// sender that reuses it) each get their draft, once, across restarts with
// the state kept and with it lost.
func TestSharedMessageID(t *testing.T) {
	srv := startServer(t)
	a := uniqueID(read(t, mixed[0].path), "reused")
	b := uniqueID(read(t, mixed[2].path), "reused")
	srv.Deliver("INBOX", a)
	srv.Deliver("INBOX", b)
	path := filepath.Join(t.TempDir(), "state.db")
	for i, ev := range runOnce(t, srv, path, 2) {
		if ev.DraftID == "" || !ev.Flagged {
			t.Errorf("rejection %d: %+v, want drafted and flagged", i+1, ev)
		}
	}
	ties := tieHeaders(t, srv)
	if len(ties) != 2 || ties[0] == ties[1] || ties[0] != "<reused@test.example>" {
		t.Fatalf("Drafts' %s headers = %v, want two, the first the Message-ID", drafts.HeaderRejection, ties)
	}
	unflag(t, srv)
	srv.Deliver("INBOX", read(t, mixed[1].path)) // so that a pass has something to report
	runOnce(t, srv, filepath.Join(t.TempDir(), "lost.db"), 3)
	unflag(t, srv)
	srv.Deliver("INBOX", read(t, mixed[3].path))
	renumber(t, path) // look at the two rejections again
	for _, ev := range runOnce(t, srv, path, 4) {
		if ev.Rejection && ev.DraftID == "" {
			t.Errorf("with the state kept: %+v, want the draft found", ev)
		}
	}
	if ties := tieHeaders(t, srv); len(ties) != 2 {
		t.Errorf("after restarts Drafts has %d drafts, want 2: %v", len(ties), ties)
	}
}

// TestNoMessageIDOnce: two different rejections without a Message-ID get
// one draft each, and no more across restarts whether the state is kept
// (and the UIDVALIDITY re-check runs) or lost.
func TestNoMessageIDOnce(t *testing.T) {
	srv := startServer(t)
	srv.Deliver("INBOX", withoutMessageID(read(t, mixed[0].path)))
	srv.Deliver("INBOX", withoutMessageID(read(t, mixed[2].path)))
	path := filepath.Join(t.TempDir(), "state.db")
	runOnce(t, srv, path, 2)
	ties := tieHeaders(t, srv)
	if len(ties) != 2 || ties[0] == ties[1] || !strings.HasSuffix(ties[0], "@no-message-id.highroad.invalid>") {
		t.Fatalf("Drafts' %s headers = %v, want two made-up identities", drafts.HeaderRejection, ties)
	}
	for _, p := range []string{path, filepath.Join(t.TempDir(), "lost.db")} {
		unflag(t, srv)
		renumber(t, p)
		runOnce(t, srv, p, 2)
	}
	if ties := tieHeaders(t, srv); len(ties) != 2 {
		t.Errorf("after restarts Drafts has %d drafts, want 2: %v", len(ties), ties)
	}
}

// renumber makes the state at path, if any, believe the server renumbered
// INBOX, so that the next run looks at all its mail again.
func renumber(t *testing.T, path string) {
	t.Helper()
	st, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if p, ok, _ := st.Progress("test", "INBOX"); ok {
		p.UIDValidity++
		st.SetProgress("test", "INBOX", p)
	}
}
