package daemon_test

import (
	"testing"
	"time"

	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/demo"
	"github.com/highroad/highroad/mailutils"
)

// The end-to-end suite against a second server implementation, GNU
// Mailutils imap4d: no SPECIAL-USE (Drafts is found by name), no custom
// keywords (rejections get drafts but no keyword), an IDLE that does not
// push, and in 3.15 a UID SEARCH that answers nothing for "UID n:*".

type muServer struct{ *mailutils.Server }

func (s muServer) Messages(mailbox string) ([]demo.Message, error) {
	c, err := s.Dial()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return demo.ReadMailbox(c, mailbox)
}

func (s muServer) deliver(t testing.TB, raw []byte) {
	t.Helper()
	if err := s.Append("INBOX", raw); err != nil {
		t.Fatalf("deliver: %v\n%s", err, s.Log())
	}
}

// mailutilsDaemon returns a daemon for the account on srv. imap4d's IDLE
// never reports new mail, so only the re-check finds it: 2 s here.
func mailutilsDaemon(t *testing.T, srv *mailutils.Server) (*daemon.Daemon, chan daemon.Event) {
	t.Helper()
	tm := faultTimeouts
	tm.Recheck = 2 * time.Second
	return endpointDaemon(t, endpoint{srv.Addr, srv.CAFile, srv.User, srv.Password}, tm)
}

// TestMailutilsMixedMail delivers rejections and look-alikes while highroad
// runs. It fails on imap4d 3.15 until new-mail discovery stops depending on
// "UID SEARCH UID n:*" (issue 9, item 6): no event ever arrives.
//
// A look-alike is there before the start, and the mail comes once the first
// pass has decided it: the test is then about new mail only. (It also keeps
// INBOX from being empty: imap4d's mbox gives an empty mailbox a
// UIDVALIDITY that changes with the first message.) imap4d 3.15 also
// announces a new UIDVALIDITY after some deliveries to a mailbox in use
// ("the server renumbered the mailbox" in highroad's log): highroad then
// re-runs its first-run window with SEARCH SINCE, which is how it finds
// the new mail there, and decides old messages again.
func TestMailutilsMixedMail(t *testing.T) {
	srv := muServer{mailutils.Start(t)}
	srv.deliver(t, uniqueID(read(t, mixed[1].path), "warm-up"))
	d, events := mailutilsDaemon(t, srv.Server)
	stop := startDaemon(t, d)
	p := follow(events)
	p.until(t, 20*time.Second, "the first pass", func() bool { return len(p.uids) == 1 })
	for _, m := range mixed {
		srv.deliver(t, read(t, m.path))
	}
	// Distinct UIDs, not events: a message may be decided twice (see above).
	p.until(t, 20*time.Second, "every message decided", func() bool { return len(p.uids) == 1+len(mixed) })
	if err := stop(); err != nil {
		t.Fatalf("Run = %v after cancellation, want nil", err)
	}
	checkNoKeywordMailbox(t, srv, append([]mail{mixed[1]}, mixed...))
}

// TestMailutilsFirstPass has the mail there before highroad first starts:
// the first pass finds it with SEARCH SINCE, which imap4d answers.
func TestMailutilsFirstPass(t *testing.T) {
	srv := muServer{mailutils.Start(t)}
	for _, m := range mixed {
		srv.deliver(t, read(t, m.path))
	}
	d, events := mailutilsDaemon(t, srv.Server)
	stop := startDaemon(t, d)
	got := await(t, events, len(mixed))
	if err := stop(); err != nil {
		t.Fatalf("Run = %v after cancellation, want nil", err)
	}
	for _, ev := range got {
		if ev.Flagged {
			t.Errorf("uid %d: Flagged = true on a server that refuses keywords", ev.UID)
		}
	}
	checkNoKeywordMailbox(t, srv, mixed)
}

// TestMailutilsRestart has imap4d restart, then crash and come back, while
// highroad idles, and mail arrive after each. Like TestMailutilsMixedMail
// it needs new-mail discovery without "UID SEARCH UID n:*" (issue 9, item 6).
func TestMailutilsRestart(t *testing.T) {
	srv := muServer{mailutils.Start(t)}
	srv.deliver(t, read(t, mixed[0].path))
	d, events := mailutilsDaemon(t, srv.Server)
	stop := startDaemon(t, d)
	await(t, events, 1)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	srv.deliver(t, read(t, mixed[1].path))
	await(t, events, 1)
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	srv.deliver(t, read(t, mixed[2].path))
	await(t, events, 1)
	stop()
	checkNoKeywordMailbox(t, srv, mixed[:3])
}

// checkNoKeywordMailbox is checkMailbox for a server that refuses custom
// keywords: no flag at all may be added to INBOX, and Drafts holds one
// threaded draft per rejection.
func checkNoKeywordMailbox(t *testing.T, srv mailboxReader, want []mail) {
	t.Helper()
	checkOutcome(t, srv, want, false)
}
