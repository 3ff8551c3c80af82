package dovecot_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/highroad/highroad/dovecot"
)

const raw = "From: Ada <ada@example.com>\r\n" +
	"To: highroad@localhost\r\n" +
	"Subject: Your application\r\n" +
	"Message-ID: <1@example.com>\r\n" +
	"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n" +
	"\r\n" +
	"Thank you for your interest.\r\n"

const jobRejection = imap.Flag("$JobRejection")

// dial logs in. The client is closed when the test ends, or after a minute
// so that a hung wait cannot hold the test until its timeout.
func dial(t *testing.T, s *dovecot.Server) *imapclient.Client {
	t.Helper()
	c, err := s.Dial()
	if err != nil {
		t.Fatalf("Dial() = %v\n%s", err, s.Log())
	}
	watchdog := time.AfterFunc(time.Minute, func() { c.Close() })
	t.Cleanup(func() {
		watchdog.Stop()
		c.Close()
	})
	return c
}

func fetch(t *testing.T, c *imapclient.Client, uid uint32) *imapclient.FetchMessageBuffer {
	t.Helper()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("Select(INBOX) = %v", err)
	}
	msgs, err := c.Fetch(imap.UIDSetNum(imap.UID(uid)), &imap.FetchOptions{
		UID:         true,
		Flags:       true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatalf("Fetch(UID %d) = %v", uid, err)
	}
	if len(msgs) != 1 || uint32(msgs[0].UID) != uid {
		t.Fatalf("Fetch(UID %d) returned %d messages, want that one", uid, len(msgs))
	}
	return msgs[0]
}

func TestServer(t *testing.T) {
	begin := time.Now()
	s := dovecot.Start(t)
	t.Logf("Start took %v", time.Since(begin))
	c := dial(t, s)

	t.Run("capabilities", func(t *testing.T) {
		caps, err := c.Capability().Wait()
		if err != nil {
			t.Fatalf("Capability() = %v", err)
		}
		for _, want := range []imap.Cap{imap.CapIdle, imap.CapSpecialUse, imap.CapUIDPlus, imap.CapCondStore, imap.CapMove} {
			if !caps.Has(want) {
				t.Errorf("CAPABILITY lacks %s: %v", want, caps)
			}
		}
	})

	t.Run("drafts special-use", func(t *testing.T) {
		list, err := c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true}).Collect()
		if err != nil {
			t.Fatalf("List() = %v", err)
		}
		var drafts []string
		for _, mb := range list {
			if slices.Contains(mb.Attrs, imap.MailboxAttrDrafts) {
				drafts = append(drafts, mb.Mailbox)
			}
		}
		if !slices.Equal(drafts, []string{"Drafts"}) {
			t.Errorf("mailboxes with \\Drafts = %q, want [Drafts]; LIST: %+v", drafts, list)
		}
	})

	var uid uint32
	t.Run("append and fetch", func(t *testing.T) {
		var err error
		uid, err = s.Append("INBOX", []byte(raw), `\Seen`)
		if err != nil || uid == 0 {
			t.Fatalf("Append() = %d, %v", uid, err)
		}
		msg := fetch(t, c, uid)
		if got := msg.BodySection[0].Bytes; string(got) != raw {
			t.Errorf("fetched body = %q, want %q", got, raw)
		}
		if !slices.Contains(msg.Flags, imap.FlagSeen) {
			t.Errorf("flags = %v, want \\Seen", msg.Flags)
		}
	})
	if uid == 0 {
		t.FailNow()
	}

	t.Run("custom keyword", func(t *testing.T) {
		sel, err := c.Select("INBOX", nil).Wait()
		if err != nil {
			t.Fatalf("Select(INBOX) = %v", err)
		}
		if !slices.Contains(sel.PermanentFlags, imap.FlagWildcard) {
			t.Errorf("PERMANENTFLAGS = %v, want \\*", sel.PermanentFlags)
		}
		store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{jobRejection}}
		if err := c.Store(imap.UIDSetNum(imap.UID(uid)), store, nil).Close(); err != nil {
			t.Fatalf("Store(+FLAGS %s) = %v", jobRejection, err)
		}
		if flags := fetch(t, c, uid).Flags; !slices.Contains(flags, jobRejection) {
			t.Errorf("flags after Store = %v, want %s (case kept)", flags, jobRejection)
		}
	})

	t.Run("restart keeps mail", func(t *testing.T) {
		begin := time.Now()
		if err := s.Restart(); err != nil {
			t.Fatalf("Restart() = %v", err)
		}
		t.Logf("Restart took %v", time.Since(begin))
		select {
		case <-c.Closed():
		case <-time.After(10 * time.Second):
			t.Errorf("client connected before Restart still open 10 s later")
		}
		msg := fetch(t, dial(t, s), uid)
		if got := msg.BodySection[0].Bytes; string(got) != raw {
			t.Errorf("body after restart = %q, want %q", got, raw)
		}
		if !slices.Contains(msg.Flags, jobRejection) {
			t.Errorf("flags after restart = %v, want %s", msg.Flags, jobRejection)
		}
	})

	t.Run("wrong password fails promptly", func(t *testing.T) {
		// Repeated, and from the address the other logins use: Dovecot's
		// growing per-IP penalty would slow both.
		for attempt := 1; attempt <= 3; attempt++ {
			begin := time.Now()
			err := login(s, s.User, "wrong")
			took := time.Since(begin)
			var imapErr *imap.Error
			if !errors.As(err, &imapErr) || imapErr.Code != imap.ResponseCodeAuthenticationFailed {
				t.Errorf("attempt %d: Login(wrong password) = %v, want NO [AUTHENTICATIONFAILED]", attempt, err)
			}
			if took > 2*time.Second {
				t.Errorf("attempt %d: Login(wrong password) took %v, want < 2s", attempt, took)
			}
		}
		begin := time.Now()
		if err := login(s, s.User, s.Password); err != nil {
			t.Errorf("Login(right password) = %v", err)
		}
		if took := time.Since(begin); took > 2*time.Second {
			t.Errorf("Login(right password) after failures took %v, want < 2s", took)
		}
	})
}

// login tries one LOGIN on a new connection.
func login(s *dovecot.Server, user, password string) error {
	c, err := imapclient.DialTLS(s.Addr, &imapclient.Options{
		TLSConfig: &tls.Config{RootCAs: s.CAPool},
		Dialer:    &net.Dialer{Timeout: 5 * time.Second},
	})
	if err != nil {
		return err
	}
	defer c.Close()
	watchdog := time.AfterFunc(10*time.Second, func() { c.Close() })
	defer watchdog.Stop()
	return c.Login(user, password).Wait()
}

func TestKillAndRestart(t *testing.T) {
	s := dovecot.Start(t)
	uid, err := s.Append("INBOX", []byte(raw))
	if err != nil {
		t.Fatalf("Append() = %v", err)
	}
	c := dial(t, s)
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
	if err := s.Stop(); err != nil {
		t.Errorf("Stop() after Kill = %v, want nil", err)
	}
	if err := s.Restart(); err != nil {
		t.Fatalf("Restart() after Kill = %v", err)
	}
	if got := fetch(t, dial(t, s), uid).BodySection[0].Bytes; !bytes.Equal(got, []byte(raw)) {
		t.Errorf("body after Kill and Restart = %q, want %q", got, raw)
	}
}

func TestIdleSeesAppend(t *testing.T) {
	s := dovecot.Start(t)
	exists := make(chan uint32, 1)
	c, err := imapclient.DialTLS(s.Addr, &imapclient.Options{
		TLSConfig: &tls.Config{RootCAs: s.CAPool},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					select {
					case exists <- *data.NumMessages:
					default:
					}
				}
			},
		},
	})
	if err != nil {
		t.Fatalf("DialTLS() = %v", err)
	}
	defer c.Close()
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		t.Fatalf("Login() = %v", err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("Select(INBOX) = %v", err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("Idle() = %v", err)
	}
	appended := time.Now()
	if _, err := s.Append("INBOX", []byte(raw)); err != nil {
		t.Fatalf("Append() = %v", err)
	}
	select {
	case n := <-exists:
		t.Logf("EXISTS arrived %v after Append began", time.Since(appended))
		if n != 1 {
			t.Errorf("EXISTS during IDLE = %d, want 1", n)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("no EXISTS during IDLE within 10 s of Append")
	}
	if err := idle.Close(); err != nil {
		t.Fatalf("Idle().Close() = %v", err)
	}
	if err := idle.Wait(); err != nil {
		t.Errorf("Idle().Wait() = %v", err)
	}
}

func TestPlainListenerStartTLS(t *testing.T) {
	s := dovecot.Start(t)
	c, err := imapclient.DialStartTLS(s.PlainAddr, &imapclient.Options{
		TLSConfig: &tls.Config{RootCAs: s.CAPool},
	})
	if err != nil {
		t.Fatalf("DialStartTLS(%s) = %v", s.PlainAddr, err)
	}
	defer c.Close()
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		t.Fatalf("Login() over STARTTLS = %v", err)
	}
}

func TestAvailable(t *testing.T) {
	ok, why := dovecot.Available()
	if ok != (why == "") {
		t.Errorf("Available() = %v, %q: want a reason exactly when false", ok, why)
	}
}
