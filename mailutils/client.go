package mailutils

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func (s *Server) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: s.CAPool}
}

// Dial returns a logged-in go-imap v2 client (imapclient.Client) over
// implicit TLS, for test assertions. The caller closes it. The connection
// and login are bounded by 10 s; later commands have no watchdog.
func (s *Server) Dial() (*imapclient.Client, error) {
	c, err := imapclient.DialTLS(s.Addr, &imapclient.Options{
		TLSConfig: s.tlsConfig(),
		Dialer:    &net.Dialer{Timeout: opTimeout},
	})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", s.Addr, err)
	}
	watchdog := time.AfterFunc(opTimeout, func() { c.Close() })
	defer watchdog.Stop()
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("login to %s as %q: %w", s.Addr, s.User, err)
	}
	return c, nil
}

// Append delivers a raw message into mailbox (e.g. "INBOX") as if it had
// arrived now, with the given flags (e.g. `\Seen`). It uses an IMAP APPEND
// over its own connection, so it is safe to call concurrently. imap4d has
// no UIDPLUS, so no UID is returned. raw should have CRLF line endings. It
// gives up after 10 s.
//
// The arrival time is given explicitly: without one, imap4d's mbox
// records 1 January 1970, and SEARCH SINCE never finds the message.
func (s *Server) Append(mailbox string, raw []byte, flags ...string) error {
	c, err := s.Dial()
	if err != nil {
		return err
	}
	defer c.Close()
	watchdog := time.AfterFunc(opTimeout, func() { c.Close() })
	defer watchdog.Stop()
	opts := &imap.AppendOptions{Time: time.Now()}
	for _, f := range flags {
		opts.Flags = append(opts.Flags, imap.Flag(f))
	}
	cmd := c.Append(mailbox, int64(len(raw)), opts)
	_, werr := cmd.Write(raw)
	err = errors.Join(werr, cmd.Close())
	_, werr = cmd.Wait()
	if err = errors.Join(err, werr); err != nil {
		return fmt.Errorf("append to %q: %w", mailbox, err)
	}
	if err := c.Logout().Wait(); err != nil {
		return fmt.Errorf("logout after append to %q: %w", mailbox, err)
	}
	return nil
}

// createMailboxes makes the mailboxes a mail client would have made, and
// INBOX, which imap4d creates on the first SELECT but refuses to APPEND to
// before (NO [TRYCREATE]).
func (s *Server) createMailboxes() error {
	c, err := s.Dial()
	if err != nil {
		return err
	}
	defer c.Close()
	watchdog := time.AfterFunc(opTimeout, func() { c.Close() })
	defer watchdog.Stop()
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return fmt.Errorf("select INBOX: %w", err)
	}
	for _, name := range []string{"Drafts", "Sent", "Trash"} {
		if err := c.Create(name, nil).Wait(); err != nil {
			return fmt.Errorf("create %q: %w", name, err)
		}
	}
	return c.Logout().Wait()
}

// waitGreeting polls addr until it sends an untagged OK over TLS, the
// process exits (exited is closed), or startTimeout passes. An open port is
// not enough: the greeting shows that TLS and the server are set up.
func waitGreeting(addr string, cfg *tls.Config, exited <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var err error
	for {
		if err = greeting(addr, cfg, deadline); err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("imap4d exited before greeting on %s", addr)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no greeting on %s within %v: %w", addr, startTimeout, err)
		}
	}
}

func greeting(addr string, cfg *tls.Config, deadline time.Time) error {
	d := &net.Dialer{Deadline: deadline}
	conn, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "* OK") {
		return fmt.Errorf("greeting %q", strings.TrimSpace(line))
	}
	return nil
}
