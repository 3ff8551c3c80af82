package dovecot

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

// waitGreeting polls addr until it sends an untagged OK over TLS, the
// process exits (exited is closed), fatal reports an error, or startTimeout
// passes. An open port is not enough: the login process may not be serving
// yet, and Dovecot keeps retrying a service that fails to start.
func waitGreeting(addr string, cfg *tls.Config, exited <-chan struct{}, fatal func() error) error {
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
			return fmt.Errorf("dovecot exited before greeting on %s", addr)
		case <-tick.C:
		}
		if ferr := fatal(); ferr != nil {
			return ferr
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
