package dovecot

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
// arrived, with the given flags or keywords (e.g. `\Seen`, "$JobRejection"),
// and returns its UID. It uses an IMAP APPEND over its own connection, so
// it is safe to call concurrently and sessions that are IDLE see an EXISTS.
// raw should have CRLF line endings. It gives up after 10 s.
func (s *Server) Append(mailbox string, raw []byte, flags ...string) (uid uint32, err error) {
	return s.AppendAt(mailbox, raw, time.Time{}, flags...)
}

// AppendAt is Append with at as the message's INTERNALDATE, its arrival on
// the server, as a migration or a mail client copying old mail keeps it.
// The zero time means now.
func (s *Server) AppendAt(mailbox string, raw []byte, at time.Time, flags ...string) (uid uint32, err error) {
	c, err := s.Dial()
	if err != nil {
		return 0, err
	}
	defer c.Close()
	watchdog := time.AfterFunc(opTimeout, func() { c.Close() })
	defer watchdog.Stop()
	opts := &imap.AppendOptions{Time: at}
	for _, f := range flags {
		opts.Flags = append(opts.Flags, imap.Flag(f))
	}
	cmd := c.Append(mailbox, int64(len(raw)), opts)
	_, werr := cmd.Write(raw)
	err = errors.Join(werr, cmd.Close())
	data, werr := cmd.Wait()
	if err = errors.Join(err, werr); err != nil {
		return 0, fmt.Errorf("append to %q: %w", mailbox, err)
	}
	if data.UID == 0 {
		return 0, fmt.Errorf("append to %q: no APPENDUID in the response", mailbox)
	}
	if err := c.Logout().Wait(); err != nil {
		return 0, fmt.Errorf("logout after append to %q: %w", mailbox, err)
	}
	return uint32(data.UID), nil
}
