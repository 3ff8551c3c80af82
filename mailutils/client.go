package mailutils

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/highroad/highroad/internal/serverproc"
)

func (s *Server) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: s.CAPool}
}

// Dial returns a logged-in go-imap v2 client (imapclient.Client) over
// implicit TLS, for test assertions. The caller closes it. The connection
// and login are bounded by 10 s; later commands have no watchdog.
func (s *Server) Dial() (*imapclient.Client, error) {
	return serverproc.Dial(s.Addr, s.tlsConfig(), s.User, s.Password, opTimeout)
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
