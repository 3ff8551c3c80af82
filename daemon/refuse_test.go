package daemon_test

import (
	"log"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/demo"
)

// refusals are switches that make the in-memory server refuse commands as a
// real one does: APPEND to Drafts over quota, STORE.
type refusals struct {
	refuseAppend, refuseStore atomic.Bool
	refusedAppends            atomic.Int32
}

// refusingSession is an imapmemserver session that says NO while a switch
// is on, and otherwise does what the server does.
type refusingSession struct {
	imapserver.SessionIMAP4rev2
	f *refusals
}

func (s *refusingSession) Append(mailbox string, r imap.LiteralReader, opts *imap.AppendOptions) (*imap.AppendData, error) {
	if mailbox == "Drafts" && s.f.refuseAppend.Load() {
		s.f.refusedAppends.Add(1)
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: "OVERQUOTA", Text: "quota exceeded"}
	}
	return s.SessionIMAP4rev2.Append(mailbox, r, opts)
}

func (s *refusingSession) Store(w *imapserver.FetchWriter, set imap.NumSet, flags *imap.StoreFlags, opts *imap.StoreOptions) error {
	if s.f.refuseStore.Load() {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "keywords are read-only today"}
	}
	return s.SessionIMAP4rev2.Store(w, set, flags, opts)
}

// startRefusingServer starts an in-memory server like demo.Start's whose
// sessions obey f. The returned demo.Server only serves to dial it.
func startRefusingServer(t *testing.T, f *refusals) *demo.Server {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser("alex", "s3cret-pass")
	for _, mb := range []string{"INBOX", "Drafts", "Sent"} {
		u.Create(mb, nil)
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &refusingSession{mem.NewSession().(imapserver.SessionIMAP4rev2), f}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       log.New(discardWriter{}, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &demo.Server{Addr: ln.Addr().String(), User: "alex", Password: "s3cret-pass"}
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

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
	f := &refusals{}
	f.refuseAppend.Store(true)
	srv := startRefusingServer(t, f)
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
	f := &refusals{}
	f.refuseAppend.Store(true)
	srv := startRefusingServer(t, f)
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
	f := &refusals{}
	f.refuseStore.Store(true)
	srv := startRefusingServer(t, f)
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
