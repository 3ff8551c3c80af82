// Package dovecot starts a private, real Dovecot IMAP server for end-to-end
// tests: its own config, ports, certificate, user and Maildir in a temporary
// folder, with nothing shared with a system-wide Dovecot.
package dovecot

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/highroad/highroad/internal/serverproc"
)

const (
	// startTimeout bounds the wait for the first "* OK" greeting.
	startTimeout = 15 * time.Second
	// stopTimeout bounds a graceful stop; after it the processes are killed.
	stopTimeout = 15 * time.Second
	// opTimeout bounds every client round trip made by this package.
	opTimeout = 10 * time.Second
)

// Server is a running private Dovecot. Its exported fields are set by Start
// and never change, not even across Restart.
//
// The server listens on 127.0.0.1 only, accepts LOGIN and AUTHENTICATE PLAIN
// on both listeners (plaintext logins are allowed without STARTTLS), answers
// a failed login within about half a second with no growing per-IP penalty,
// supports IDLE, SPECIAL-USE, UIDPLUS, CONDSTORE, MOVE and custom keywords,
// and has the mailboxes INBOX, Drafts (\Drafts), Sent (\Sent), Trash
// (\Trash) and Junk (\Junk), all subscribed, with "/" as the hierarchy
// separator (StartWith's Options change the layout and add a quota). The
// mail is a Maildir under Dir/home. A user may hold 100 connections per IP
// at once.
//
// The methods are safe for concurrent use; Stop, Restart and Kill are
// serialised with each other.
type Server struct {
	Addr      string // "127.0.0.1:PORT" of the IMAPS (implicit TLS) listener
	PlainAddr string // "127.0.0.1:PORT" of the plain/STARTTLS listener
	User      string // the one account's login name
	Password  string // its password, random for each server
	// CAPool trusts the server's self-signed certificate
	// (SAN DNS:localhost, IP:127.0.0.1).
	CAPool *x509.CertPool
	CAFile string // the same certificate as a PEM file
	// Dir is the server's private folder: config, certificate, passwd-file,
	// the user's home with its Maildir, runtime sockets and the log. Start
	// removes it in tb.Cleanup.
	Dir string

	opts    Options
	bin     string  // path of the dovecot binary
	acct    account // owner of the mail
	conf    string  // path of dovecot.conf
	logPath string  // where log_path and the master's stdout/stderr go

	mu   sync.Mutex
	proc *serverproc.Proc // the master's run; nil while stopped
}

// Available reports whether a dovecot binary is installed, and why not: the
// string is empty when it is, and otherwise says what is missing and how to
// install it.
func Available() (bool, string) {
	if _, err := binary(); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// binary finds dovecot on PATH or in the sbin folders that a non-root PATH
// often lacks.
func binary() (string, error) {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot", "/opt/homebrew/sbin/dovecot"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("no dovecot binary on PATH or in /usr/sbin (install it: apt-get install dovecot-imapd)")
}

// Start starts a server for tb, and stops it in tb.Cleanup. When Dovecot is
// not installed it calls tb.Skip, unless the environment variable CI is set
// to "true", in which case it calls tb.Fatal (the end-to-end suite is
// mandatory in CI). Any other failure to start calls tb.Fatal with the
// server's log. When Start returns, the server has sent its IMAPS greeting
// and accepts logins.
//
// The cleanup stops the server, reports an error if it had died on its own,
// prints its log if tb failed, and removes Dir.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartWith(tb, Options{})
}

// Options are the ways StartWith's server differs from Start's. The zero
// value is Start's server.
type Options struct {
	// Quota, when set to a Dovecot size ("10K", "2M"), turns on the quota
	// plugin (count backend, virtual sizes) with that storage limit for
	// the user, counted over every mailbox but INBOX, which is ignored so
	// that deliveries always succeed. An APPEND that would go over the
	// limit, to Drafts say, is answered "NO [OVERQUOTA] Quota exceeded";
	// deleting mail frees room at once, in every session. The limit is a
	// userdb field: SetQuota changes it for the logins that follow.
	Quota string
	// Courier lays the personal namespace out as Courier-IMAP does: "." as
	// the separator and every mailbox under the prefix "INBOX."
	// (INBOX.Drafts, INBOX.Sent, INBOX.Trash, INBOX.Junk), and leaves
	// INBOX.Drafts without the \Drafts attribute, so that a client must
	// find it by name. The others keep theirs.
	Courier bool
}

// StartWith is Start for a server with opts.
func StartWith(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if ok, why := Available(); !ok {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("dovecot: %s; the end-to-end suite is mandatory in CI", why)
		}
		tb.Skipf("dovecot: %s", why)
	}
	s, err := start(opts)
	if err != nil {
		tb.Fatalf("dovecot: %v", err)
	}
	tb.Cleanup(func() { s.cleanup(tb) })
	return s
}

func (s *Server) cleanup(tb testing.TB) {
	if err := s.Stop(); err != nil {
		tb.Errorf("dovecot: stop: %v", err)
	}
	if tb.Failed() {
		tb.Logf("dovecot log (%s):\n%s", s.logPath, s.Log())
	}
	if err := os.RemoveAll(s.Dir); err != nil {
		tb.Errorf("dovecot: remove %s: %v", s.Dir, err)
	}
}

// start sets up Dir and runs the server, retrying with new ports when another
// process took one between choosing and binding it.
func start(opts Options) (*Server, error) {
	s, err := setup(opts)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		err = s.choosePorts()
		if err == nil {
			err = s.writeConfig()
		}
		if err == nil {
			err = s.launch()
		}
		if err == nil || !errors.Is(err, errPortTaken) || attempt == 3 {
			break
		}
	}
	if err != nil {
		err = fmt.Errorf("start: %w\n%s", err, s.Log())
		os.RemoveAll(s.Dir)
		return nil, err
	}
	return s, nil
}

var errPortTaken = errors.New("port taken")

// launch runs the master in the foreground as a child and waits for the
// greeting. s.mu must be held or s not yet shared.
func (s *Server) launch() error {
	logf, logStart, err := serverproc.OpenLog(s.logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(s.bin, "-F", "-c", s.conf)
	cmd.Dir = s.Dir
	// A file, not a pipe: Dovecot's children inherit it, and a pipe would
	// keep the reader waiting for them.
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := serverproc.Spawn("dovecot", cmd)
	if err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	// An open port is not enough: the login process may not be serving
	// yet, and Dovecot keeps retrying a service that fails to start.
	fatal := func() error { return fatalLine(serverproc.LogSince(s.logPath, logStart)) }
	if err := p.WaitGreeting(s.Addr, s.tlsConfig(), startTimeout, fatal); err != nil {
		p.Kill()
		if bytes.Contains(serverproc.LogSince(s.logPath, logStart), []byte("Address already in use")) {
			return fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return err
	}
	s.proc = p
	return nil
}

// Stop stops the server: SIGTERM to the master, then it waits until the
// master has exited (under a second here). Clients see their connections
// end with "* BYE". Stopping a stopped server does nothing. It returns an
// error if the server had exited on its own before, or did not stop within
// 15 s (its processes are then killed).
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stop()
}

func (s *Server) stop() error {
	p := s.proc
	if p == nil {
		return nil
	}
	s.proc = nil
	// The whole group, not only the master: on their own, imap processes
	// of connected clients linger up to 10 s after the master has gone.
	if err := p.Stop(stopTimeout); err != nil {
		return err
	}
	if err := p.Err(); err != nil && !serverproc.ExitedBy(err, syscall.SIGTERM) {
		return fmt.Errorf("dovecot stop: %v", err)
	}
	return nil
}

// Restart stops the server as Stop does, if it is running, and starts it
// again on the same ports with the same mail, returning once it greets
// again. Clients connected before must reconnect. The error joins any from
// stopping (such as the server having died on its own) with any from
// starting; the server is running unless starting failed.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	stopErr := s.stop()
	startErr := s.launch()
	if startErr != nil {
		startErr = fmt.Errorf("restart: %w\n%s", startErr, s.Log())
	}
	return errors.Join(stopErr, startErr)
}

// Kill sends SIGKILL to the master and every process it started, and waits
// for the master to exit: a crash, so clients see their connections drop
// with no "* BYE". Mail already delivered stays; Restart brings the server
// back. Killing a stopped server does nothing.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.Kill()
		s.proc = nil
	}
	return nil
}

// Log returns the server's log so far (for failure messages): Dovecot's
// log_path and the master's own output, which share one file.
func (s *Server) Log() string { return serverproc.ReadLog(s.logPath, "dovecot") }

// fatalLine returns the first line of log that reports a fatal error.
func fatalLine(log []byte) error {
	for line := range bytes.Lines(log) {
		if bytes.Contains(line, []byte(": Fatal: ")) {
			return fmt.Errorf("dovecot: %s", bytes.TrimSpace(line))
		}
	}
	return nil
}

func (s *Server) path(name string) string { return filepath.Join(s.Dir, name) }
