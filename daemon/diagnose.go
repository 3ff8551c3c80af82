package daemon

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/highroad/highroad/config"
)

// diagnosis explains a failure to connect in the user's terms: what is
// wrong and what to do. The cause stays reachable with errors.Is and As.
type diagnosis struct {
	text string
	// setting is true when the failure is a setting to fix (a port or TLS
	// mode that does not match the server, an untrusted certificate)
	// rather than a passing state of the network.
	setting bool
	err     error
}

func (e *diagnosis) Error() string { return e.text }
func (e *diagnosis) Unwrap() error { return e.err }

// Hints shared by the diagnoses of a wrong port or TLS mode.
const (
	hintPlainPort = "the server speaks plain IMAP on this port, not TLS: set tls: starttls (usual port 143) or use port 993 with tls: imaps"
	hintTLSPort   = "the server expects TLS from the first byte on this port: set tls: imaps (port 993), or use port 143 with tls: starttls"
	hintPorts     = "check port: (IMAP is 993 with tls: imaps, or 143 with tls: starttls)"
)

// explain turns a failure to connect into an error that names the address
// and the fix. A setting error is permanent while the account has never
// connected; one that worked before may be behind a passing fault (a
// captive portal, a proxy restarting), so it is retried.
func (d *Daemon) explain(a *config.Account, err error) error {
	err = fmt.Errorf("connect to %s: %w", a.Addr(), describe(err))
	var diag *diagnosis
	if errors.As(err, &diag) && diag.setting && !d.hasConnected(a.Name) {
		return permanent(err)
	}
	return err
}

// describe recognises the failures a user can act on.
func describe(err error) error {
	var diag *diagnosis
	if errors.As(err, &diag) {
		return err
	}
	var cert *tls.CertificateVerificationError
	if errors.As(err, &cert) {
		return &diagnosis{text: fmt.Sprintf("the server's certificate is not trusted (%v); for a self-signed server set ca_file", cert.Err), setting: true, err: err}
	}
	return describeDial(err)
}

// describeDial says what a failed dial means. None of these is permanent:
// at boot the network or a local bridge (Proton Bridge) may not be up yet.
func describeDial(err error) error {
	var dns *net.DNSError
	var netErr net.Error
	text := ""
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		text = fmt.Sprintf("no such host %s: check server: (or is the network up?)", dns.Name)
	case errors.As(err, &dns):
		text = fmt.Sprintf("cannot look up %s (%s): is the network up?", dns.Name, dns.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		text = "connection refused: is the server running and the port right?"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		text = "network unreachable: is the network up?"
	case errors.As(err, &netErr) && netErr.Timeout():
		text = "no answer: is the network up, and is the port open (a firewall may drop it)?"
	default:
		return err
	}
	return &diagnosis{text: text, err: err}
}

// unexpected diagnoses a server whose first bytes were not what the TLS
// mode expects: plain IMAP where TLS was expected, or not IMAP at all.
func unexpected(first []byte, err error) error {
	switch {
	case looksIMAP(first):
		return &diagnosis{text: hintPlainPort, setting: true, err: err}
	case looksTLS(first):
		return &diagnosis{text: hintTLSPort, setting: true, err: err}
	}
	text := fmt.Sprintf("the server does not speak IMAP: it answered %q%s; %s", firstLine(first), kind(first), hintPorts)
	return &diagnosis{text: text, setting: true, err: err}
}

// looksIMAP reports whether b starts like an IMAP greeting ("* OK",
// "* PREAUTH", "* BYE"), or could still become one.
func looksIMAP(b []byte) bool {
	n := min(len(b), 2)
	return n > 0 && bytes.Equal(b[:n], []byte("* ")[:n])
}

// looksTLS reports whether b starts like a TLS handshake or alert record.
func looksTLS(b []byte) bool {
	return len(b) >= 2 && (b[0] == 0x15 || b[0] == 0x16) && b[1] == 0x03
}

// kind names the protocols that a wrong port most often reaches.
func kind(first []byte) string {
	s := string(first)
	switch {
	case strings.HasPrefix(s, "220") || strings.HasPrefix(s, "554"):
		return ", like an SMTP (mail sending) server"
	case strings.HasPrefix(s, "+OK"):
		return ", like a POP3 server"
	case strings.HasPrefix(s, "HTTP/"):
		return ", like a web server"
	case strings.HasPrefix(s, "SSH-"):
		return ", like an SSH server"
	}
	return ""
}

func firstLine(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	return string(b[:min(len(b), 60)])
}

// sniff reads the server's first bytes on a connection that is not yet
// TLS, and returns a connection that replays them to the IMAP client. When
// the server stays silent or hangs up before greeting, a second connection
// asks whether the port expects TLS: such a server waits for the client to
// speak first, and a plain client would otherwise wait for the command
// timeout and retry forever.
func (s *session) sniff(ctx context.Context, conn net.Conn) (net.Conn, error) {
	first, err := readFirst(conn, s.d.Timeouts.Greeting)
	if len(first) == 0 {
		if answer := s.probe(ctx); len(answer) > 0 && !looksIMAP(answer) {
			return nil, unexpected(answer, err)
		}
		if isTimeout(err) { // a slow server: wait on under the watchdog
			first, err = readFirst(conn, 0)
		}
	}
	if len(first) == 0 {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if !looksIMAP(first) {
		return nil, unexpected(first, err)
	}
	return &replayConn{Conn: conn, buf: first}, nil
}

// readFirst reads until a line, a few bytes, an error or the wait (none
// when zero) is over.
func readFirst(conn net.Conn, wait time.Duration) ([]byte, error) {
	if wait > 0 {
		conn.SetReadDeadline(time.Now().Add(wait))
		defer conn.SetReadDeadline(time.Time{})
	}
	buf := make([]byte, 0, 64)
	for {
		n, err := conn.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil || len(buf) >= 5 || bytes.IndexByte(buf, '\n') >= 0 {
			return buf, err
		}
	}
}

// probe dials the account's port again, starts a TLS handshake and
// returns the first bytes the server sent in answer, if any. The
// certificate is not checked: nothing is sent over this connection, which
// only tells the protocol.
func (s *session) probe(ctx context.Context) []byte {
	ctx, cancel := context.WithTimeout(ctx, s.d.Timeouts.Greeting)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.a.Addr())
	if err != nil {
		return nil
	}
	defer conn.Close()
	rc := &recordConn{Conn: conn}
	tls.Client(rc, &tls.Config{ServerName: s.a.Server, InsecureSkipVerify: true}).HandshakeContext(ctx)
	return rc.first
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}

// replayConn returns the bytes sniffed from the server before reading on.
// Only the IMAP client's reader goroutine reads it.
type replayConn struct {
	net.Conn
	buf []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.buf) > 0 {
		n := copy(p, c.buf)
		c.buf = c.buf[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// recordConn keeps the first bytes read, to diagnose a TLS handshake that
// fails on them (tls.RecordHeaderError holds only five).
type recordConn struct {
	net.Conn
	first []byte
}

func (c *recordConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if room := 64 - len(c.first); room > 0 {
		c.first = append(c.first, p[:min(n, room)]...)
	}
	return n, err
}
