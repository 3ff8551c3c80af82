package daemon_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/dovecot"
)

// Issue 9's fault suite against a real Dovecot where the in-memory server
// stood in: a draft refused by the quota plugin, the first-run cutoff
// after a crash and after a migration, Drafts under Courier's "INBOX.".

// stateDaemon returns a daemon for the account on srv, keeping its state
// at statePath (so that a second daemon can take over from a first), with
// faultTimeouts and an events channel large enough never to block it.
func stateDaemon(t *testing.T, srv *dovecot.Server, statePath string, with ...func(*daemon.Options)) (*daemon.Daemon, chan daemon.Event) {
	t.Helper()
	t.Setenv("HIGHROAD_TEST_PASSWORD", srv.Password)
	file := filepath.Join(t.TempDir(), "config.yaml")
	return buildDaemon(t, file, accountConfig(dovecotEndpoint(srv), statePath), statePath, faultTimeouts, 1000, with...)
}

// answered returns, per Message-ID, how many drafts in mailbox answer it.
func answered(t *testing.T, srv realServer, mailbox string) map[string]int {
	t.Helper()
	box, err := srv.Messages(mailbox)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range box {
		out[inReplyTo(t, m.Raw)]++
	}
	return out
}

// filler pads a plain message to about n bytes.
func filler(n int) []byte {
	b := []byte("From: big@example.com\r\nSubject: old newsletter\r\nMessage-ID: <filler@example.com>\r\n\r\n")
	for len(b) < n {
		b = append(b, strings.Repeat("z", 76)+"\r\n"...)
	}
	return b
}

// emptyMailbox deletes every message of mailbox, as a user freeing room.
func emptyMailbox(t *testing.T, srv realServer, mailbox string) {
	t.Helper()
	c, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Select(mailbox, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	all := imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}
	if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
}

// TestDovecotQuotaRefusesDraft: Dovecot's quota plugin refuses the drafts
// (NO [OVERQUOTA]) of rejections that arrive while the quota is full: no
// draft, no keyword, each rejection waiting in the state that status
// shows, and an event that says it was not drafted. Once the user has
// freed room and the retry is due, the next pass drafts and flags each
// rejection exactly once.
func TestDovecotQuotaRefusesDraft(t *testing.T) {
	const quota = 8 << 10
	srv := realServer{dovecot.StartWith(t, dovecot.Options{Quota: "8K"})}
	// Trash fills the quota but for less room than a draft takes.
	if _, err := srv.Append("Trash", filler(quota-300)); err != nil {
		t.Fatalf("fill the quota: %v", err)
	}
	var clk clock
	d, events := stateDaemon(t, srv.Server, filepath.Join(t.TempDir(), "state.db"), func(o *daemon.Options) { o.Now = clk.now })
	stop := startDaemon(t, d)
	srv.deliver(t, uniqueID(read(t, mixed[1].path), "quiet-1"))
	await(t, events, 1)
	rejs := [][]byte{rejection(t, 1), rejection(t, 2)}
	for _, raw := range rejs {
		srv.deliver(t, raw)
	}
	for _, ev := range await(t, events, 2) {
		if !ev.Rejection || ev.DraftID != "" || ev.Flagged || !strings.Contains(ev.Skipped, "[OVERQUOTA]") {
			t.Errorf("over quota: event %+v, want a rejection not drafted, not flagged, saying [OVERQUOTA]", ev)
		}
	}
	inbox, err := srv.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range inbox {
		if hasFlag(m.Flags, config.DefaultKeyword) {
			t.Errorf("INBOX uid %d carries the keyword while its draft was refused", m.UID)
		}
	}
	if n := len(answered(t, srv, "Drafts")); n != 0 {
		t.Errorf("Drafts has %d drafts over quota", n)
	}
	waiting, err := d.Store.Waiting("test")
	if err != nil || len(waiting) != 2 {
		t.Fatalf("Waiting = %+v, %v; want both rejections", waiting, err)
	}
	for _, w := range waiting {
		if !strings.Contains(w.Refused, "[OVERQUOTA] Quota exceeded") || w.Attempts != 1 || !w.NextTry.After(clk.now()) {
			t.Errorf("waiting %+v, want Dovecot's refusal, one attempt, a retry to come", w)
		}
	}

	// Room is freed, but the retry is not due: a pass leaves them waiting.
	emptyMailbox(t, srv, "Trash")
	srv.deliver(t, uniqueID(read(t, mixed[3].path), "quiet-2"))
	await(t, events, 1)
	if n := len(answered(t, srv, "Drafts")); n != 0 {
		t.Errorf("Drafts has %d drafts before the retry was due", n)
	}

	// The retry is due; new mail brings a pass.
	clk.advance(2 * time.Minute)
	srv.deliver(t, uniqueID(read(t, mixed[5].path), "quiet-3"))
	want := map[string]bool{messageID(t, rejs[0]): true, messageID(t, rejs[1]): true}
	p := follow(events)
	p.until(t, 30*time.Second, "both rejections drafted", func() bool { return p.drafted >= 2 && len(p.uids) >= 3 })
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if waiting, _ := d.Store.Waiting("test"); len(waiting) != 0 {
		t.Errorf("Waiting after the retry = %+v, want none", waiting)
	}
	got := answered(t, srv, "Drafts")
	for id := range want {
		if got[id] != 1 {
			t.Errorf("rejection %s has %d drafts, want 1 (Drafts answers %v)", id, got[id], got)
		}
	}
	checkMailbox(t, srv, []mail{mixed[1], mixed[0], mixed[0], mixed[3], mixed[5]})
}

// TestDovecotCutoffAfterACrash: old (60 to 400 days) and new mail
// interleaved by UID on Dovecot, with INTERNALDATEs set by APPEND; the
// first pass is cancelled after its first draft, as a crash would; the
// next run must answer every new rejection exactly once and none older
// than the cutoff.
func TestDovecotCutoffAfterACrash(t *testing.T) {
	srv := realServer{dovecot.Start(t)}
	var newIDs []string
	old := map[uint32]bool{}
	for i := 0; i < 12; i++ {
		raw := rejection(t, i)
		at := time.Now().Add(-time.Duration(60+34*i) * day) // even: 60 to 400 days old
		if i%2 == 1 {
			at = time.Now().Add(-time.Duration(i) * time.Hour)
			newIDs = append(newIDs, messageID(t, raw))
		}
		uid, err := srv.AppendAt("INBOX", raw, at)
		if err != nil {
			t.Fatal(err)
		}
		old[uid] = i%2 == 0
	}
	path := filepath.Join(t.TempDir(), "state.db")
	events := make(chan daemon.Event) // unbuffered: the daemon waits for the test
	d, _ := stateDaemon(t, srv.Server, path, func(o *daemon.Options) {
		o.Events = events
		o.Config.Accounts[0].FirstRunWindow = window
	})
	first := crashAfterFirstEvent(t, d, events)
	d.Store.Close()
	if len(first) >= len(newIDs) {
		t.Fatalf("the first run decided %d messages before it was cancelled, want it cut short", len(first))
	}
	t.Logf("the first run decided %d messages before it was cancelled", len(first))

	d2, events2 := stateDaemon(t, srv.Server, path, func(o *daemon.Options) { o.Config.Accounts[0].FirstRunWindow = window })
	stop := startDaemon(t, d2)
	last, err := srv.Append("INBOX", uniqueID(read(t, mixed[1].path), "last"))
	if err != nil {
		t.Fatal(err)
	}
	// Done when the last message and every new rejection have been
	// decided, by either run. (Within a batch, messages passed over are
	// reported before those acted on: UID order says nothing.)
	done := map[uint32]bool{}
	for _, ev := range first {
		done[ev.UID] = true
	}
	pending := func() (n int) {
		for uid, isOld := range old {
			if !isOld && !done[uid] {
				n++
			}
		}
		if !done[last] {
			n++
		}
		return n
	}
	var decided []daemon.Event
	deadline := time.After(30 * time.Second)
	for pending() > 0 {
		select {
		case ev := <-events2:
			done[ev.UID] = true
			decided = append(decided, ev)
		case <-deadline:
			t.Fatalf("after 30 s the restarted daemon has decided %+v, %d still to come", decided, pending())
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	for _, ev := range append(first, decided...) {
		if old[ev.UID] && (ev.DraftID != "" || ev.Skipped != "before the first-run cutoff") {
			t.Errorf("old uid %d after the crash: %+v, want it passed over as before the cutoff", ev.UID, ev)
		}
	}
	got := answered(t, srv, "Drafts")
	if len(got) != len(newIDs) {
		t.Errorf("Drafts answers %v, want exactly the %d new rejections", got, len(newIDs))
	}
	for _, id := range newIDs {
		if got[id] != 1 {
			t.Errorf("new rejection %s has %d drafts, want 1", id, got[id])
		}
	}
	inbox, err := srv.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range inbox {
		if flagged := hasFlag(m.Flags, config.DefaultKeyword); flagged != (!old[uint32(m.UID)] && uint32(m.UID) != last) {
			t.Errorf("INBOX uid %d (old %v): flagged = %v", m.UID, old[uint32(m.UID)], flagged)
		}
	}
}

// crashAfterFirstEvent runs d until it has handled one message, then
// cancels it mid-pass as a crash would, and returns the events of the run.
func crashAfterFirstEvent(t *testing.T, d *daemon.Daemon, events chan daemon.Event) []daemon.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var got []daemon.Event
	select {
	case ev := <-events:
		got = append(got, ev)
	case <-time.After(20 * time.Second):
		t.Fatal("no message handled within 20 s")
	}
	cancel()
	for {
		select {
		case ev := <-events: // the message in hand is finished
			got = append(got, ev)
		case err := <-done:
			if err != nil {
				t.Fatalf("Run = %v after cancellation", err)
			}
			return got
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10 s of cancellation")
		}
	}
}

// TestDovecotCutoffOldMailMovedIn: old mail appended to INBOX after the
// first start, with its old INTERNALDATE (a migration, a client copying
// an archive in), gets new UIDs but is not answered; new mail after it is.
func TestDovecotCutoffOldMailMovedIn(t *testing.T) {
	srv := realServer{dovecot.Start(t)}
	d, events := stateDaemon(t, srv.Server, filepath.Join(t.TempDir(), "state.db"),
		func(o *daemon.Options) { o.Config.Accounts[0].FirstRunWindow = window })
	stop := startDaemon(t, d)
	srv.deliver(t, read(t, mixed[1].path))
	await(t, events, 1)
	var moved []string
	for i, age := range []time.Duration{60 * day, 400 * day, 90 * day} {
		raw := rejection(t, i)
		if _, err := srv.AppendAt("INBOX", raw, time.Now().Add(-age)); err != nil {
			t.Fatal(err)
		}
		moved = append(moved, messageID(t, raw))
	}
	fresh := rejection(t, 9)
	srv.deliver(t, fresh)
	got := await(t, events, 4)
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	for _, ev := range got[:3] {
		if ev.DraftID != "" || ev.Flagged || ev.Skipped != "before the first-run cutoff" {
			t.Errorf("old mail moved in: %+v, want it passed over as before the cutoff", ev)
		}
	}
	if ev := got[3]; !ev.Rejection || ev.DraftID == "" || !ev.Flagged {
		t.Errorf("new mail after the old: %+v, want it drafted and flagged", ev)
	}
	if a := answered(t, srv, "Drafts"); len(a) != 1 || a[messageID(t, fresh)] != 1 {
		t.Errorf("Drafts answers %v, want only the new rejection (not %v)", a, moved)
	}
}

// TestDovecotDraftsUnderINBOXPrefix: on a Dovecot laid out as Courier-IMAP
// ("INBOX." prefix, "." separator, no \Drafts anywhere), highroad finds
// INBOX.Drafts through the personal namespace, says so in check, and the
// draft lands there, threaded, with the keyword on the rejection.
func TestDovecotDraftsUnderINBOXPrefix(t *testing.T) {
	srv := realServer{dovecot.StartWith(t, dovecot.Options{Courier: true})}
	raw := rejection(t, 1)
	srv.deliver(t, raw)
	d, events := stateDaemon(t, srv.Server, filepath.Join(t.TempDir(), "state.db"))
	r, err := d.Check(context.Background(), &d.Config.Accounts[0])
	if err != nil {
		t.Fatalf("Check = %v", err)
	}
	names := r.MailboxList(100)
	if r.Drafts != "INBOX.Drafts" || r.DraftsWhy != `named as drafts: says, under "INBOX."` || !slices.Contains(names, "INBOX.Drafts") {
		t.Errorf("Check: drafts %q (%s) among %v; want INBOX.Drafts, found under \"INBOX.\"", r.Drafts, r.DraftsWhy, names)
	}
	if slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "Drafts") }) {
		t.Errorf("Check lists a top-level Drafts: %v", names)
	}
	stop := startDaemon(t, d)
	ev := await(t, events, 1)[0]
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if !ev.Rejection || ev.DraftID == "" || !ev.Flagged {
		t.Errorf("event %+v, want the rejection drafted and flagged", ev)
	}
	if a := answered(t, srv, "INBOX.Drafts"); len(a) != 1 || a[messageID(t, raw)] != 1 {
		t.Errorf("INBOX.Drafts answers %v, want the one rejection", a)
	}
	c, err := srv.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if !strings.EqualFold(m.Mailbox, "INBOX") && !strings.HasPrefix(m.Mailbox, "INBOX.") {
			t.Errorf("a mailbox %q appeared outside the namespace", m.Mailbox)
		}
	}
}
