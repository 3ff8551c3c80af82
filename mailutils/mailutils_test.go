package mailutils_test

import (
	"bytes"
	"crypto/tls"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/highroad/highroad/mailutils"
)

const raw = "From: a@example.com\r\nTo: b@example.org\r\nSubject: hello\r\nMessage-ID: <hello@example.com>\r\n\r\nHello.\r\n"

// dial logs in and closes the client when the test ends.
func dial(t *testing.T, s *mailutils.Server) *imapclient.Client {
	t.Helper()
	c, err := s.Dial()
	if err != nil {
		t.Fatalf("Dial() = %v\n%s", err, s.Log())
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// fetchAll returns every message of mailbox, read-only.
func fetchAll(t *testing.T, c *imapclient.Client, mailbox string) []*imapclient.FetchMessageBuffer {
	t.Helper()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("Select(%q) = %v", mailbox, err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	body := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}},
		&imap.FetchOptions{UID: true, Flags: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
	if err != nil {
		t.Fatalf("Fetch(%q) = %v", mailbox, err)
	}
	return msgs
}

func TestStartAppendFetch(t *testing.T) {
	s := mailutils.Start(t)
	c := dial(t, s)
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("List() = %v", err)
	}
	names := map[string]bool{}
	for _, m := range list {
		names[m.Mailbox] = true
	}
	for _, want := range []string{"INBOX", "Drafts", "Sent", "Trash"} {
		if !names[want] {
			t.Errorf("List() = %v, lacks %q", list, want)
		}
	}
	if msgs := fetchAll(t, c, "INBOX"); len(msgs) != 0 {
		t.Errorf("a new INBOX holds %d messages", len(msgs))
	}
	if err := s.Append("INBOX", []byte(raw)); err != nil {
		t.Fatalf("Append(INBOX) = %v", err)
	}
	if err := s.Append("Drafts", []byte(raw), `\Draft`, `\Seen`); err != nil {
		t.Fatalf("Append(Drafts) = %v", err)
	}
	inbox := fetchAll(t, c, "INBOX")
	if len(inbox) != 1 {
		t.Fatalf("INBOX holds %d messages after one Append", len(inbox))
	}
	got := inbox[0].FindBodySection(&imap.FetchItemBodySection{Peek: true})
	if !bytes.Contains(got, []byte("Message-ID: <hello@example.com>\r\n")) || !bytes.HasSuffix(got, []byte("\r\n\r\nHello.\r\n")) {
		t.Errorf("INBOX message = %q, want the appended one", got)
	}
	if age := time.Since(inbox[0].InternalDate); age < -time.Minute || age > time.Minute {
		t.Errorf("INTERNALDATE = %v, want about now", inbox[0].InternalDate)
	}
	drafts := fetchAll(t, c, "Drafts")
	if len(drafts) != 1 || !hasFlag(drafts[0].Flags, imap.FlagDraft) || !hasFlag(drafts[0].Flags, imap.FlagSeen) {
		t.Errorf("Drafts = %+v, want one message flagged \\Draft \\Seen", drafts)
	}
}

// TestQuirks pins the behaviour of imap4d 3.15 that makes it a useful second
// server: the tests built on it rely on these.
func TestQuirks(t *testing.T) {
	s := mailutils.Start(t)
	for range 3 {
		if err := s.Append("INBOX", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	c := dial(t, s)
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if hasFlag(sel.PermanentFlags, imap.FlagWildcard) {
		t.Errorf("PERMANENTFLAGS = %v: custom keywords are accepted now", sel.PermanentFlags)
	}
	if c.Caps().Has(imap.CapSpecialUse) || c.Caps().Has(imap.CapUIDPlus) {
		t.Errorf("capabilities %v: SPECIAL-USE or UIDPLUS appeared", c.Caps())
	}
	all, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	since, err := c.UIDSearch(&imap.SearchCriteria{Since: time.Now().Add(-48 * time.Hour)}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	uidRange, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: 2, Stop: 0}}}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	fetched, err := c.Fetch(imap.UIDSet{imap.UIDRange{Start: 2, Stop: 0}}, &imap.FetchOptions{UID: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("UID SEARCH ALL = %v; SINCE 2 days ago = %v; UID 2:* = %v; UID FETCH 2:* gives %d messages",
		all.AllUIDs(), since.AllUIDs(), uidRange.AllUIDs(), len(fetched))
	if len(all.AllUIDs()) != 3 || len(since.AllUIDs()) != 3 || len(fetched) != 2 {
		t.Errorf("SEARCH ALL, SEARCH SINCE and UID FETCH 2:* found %d, %d and %d messages, want 3, 3, 2",
			len(all.AllUIDs()), len(since.AllUIDs()), len(fetched))
	}
	if len(uidRange.AllUIDs()) != 0 {
		t.Logf("UID SEARCH UID 2:* = %v: this imap4d answers it (3.15 does not)", uidRange.AllUIDs())
	}
}

func TestKillAndRestart(t *testing.T) {
	s := mailutils.Start(t)
	if err := s.Append("INBOX", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	c := dial(t, s)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := s.Kill(); err != nil {
		t.Fatalf("Kill() = %v", err)
	}
	select {
	case <-c.Closed():
	case <-time.After(10 * time.Second):
		t.Fatalf("client still open 10 s after Kill")
	}
	if _, err := s.Dial(); err == nil {
		t.Fatalf("Dial() after Kill succeeded, want an error")
	}
	if err := s.Restart(); err != nil {
		t.Fatalf("Restart() after Kill = %v", err)
	}
	if err := s.Restart(); err != nil {
		t.Fatalf("Restart() = %v", err)
	}
	if msgs := fetchAll(t, dial(t, s), "INBOX"); len(msgs) != 1 {
		t.Errorf("INBOX holds %d messages after Kill and Restart, want 1", len(msgs))
	}
}

func TestPlainListener(t *testing.T) {
	s := mailutils.Start(t)
	c, err := imapclient.DialInsecure(s.PlainAddr, nil)
	if err != nil {
		t.Fatalf("DialInsecure(%s) = %v", s.PlainAddr, err)
	}
	defer c.Close()
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		t.Fatalf("Login() over plain TCP = %v", err)
	}
	c2, err := imapclient.DialStartTLS(s.PlainAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.CAPool}})
	if err != nil {
		t.Fatalf("DialStartTLS(%s) = %v", s.PlainAddr, err)
	}
	defer c2.Close()
	if err := c2.Login(s.User, s.Password).Wait(); err != nil {
		t.Fatalf("Login() over STARTTLS = %v", err)
	}
}

func TestWrongPassword(t *testing.T) {
	s := mailutils.Start(t)
	c, err := imapclient.DialTLS(s.Addr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.CAPool}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(s.User, "wrong").Wait(); err == nil {
		t.Errorf("Login(wrong password) succeeded")
	}
}

func TestAvailable(t *testing.T) {
	ok, why := mailutils.Available()
	if ok != (why == "") {
		t.Errorf("Available() = %v, %q: want a reason exactly when false", ok, why)
	}
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, x := range flags {
		if x == f {
			return true
		}
	}
	return false
}
