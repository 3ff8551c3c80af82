// Package mailutils starts a private GNU Mailutils imap4d for end-to-end
// tests: its own config, ports, certificate, user and mailboxes in a
// temporary folder, nothing read from /etc. It is the second server
// implementation the daemon is tested against, beside Dovecot, and behaves
// differently where real servers do: no SPECIAL-USE, no UIDPLUS, no custom
// keywords, an IDLE that does not push, and (in 3.15) a UID SEARCH that
// answers nothing for "UID n:*".
package mailutils

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
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

// Server is a running private imap4d. Its exported fields are set by Start
// and never change, not even across Restart.
//
// The server listens on 127.0.0.1 only and runs as the current user (root
// in CI), forking one process per connection. It accepts LOGIN and
// AUTHENTICATE PLAIN for one virtual user whose mail is in mbox files under
// Dir/home: INBOX, and Drafts, Sent and Trash, created by Start, with "/"
// as the hierarchy separator. PERMANENTFLAGS lists the system flags only:
// a STORE of a custom keyword is refused with BAD.
//
// The methods are safe for concurrent use; Stop, Restart and Kill are
// serialised with each other.
type Server struct {
	Addr      string // "127.0.0.1:PORT" of the IMAPS (implicit TLS) listener
	PlainAddr string // "127.0.0.1:PORT" of the plain listener (STARTTLS on demand)
	User      string // the one account's login name
	// Password is the account's password. It is the same for every server
	// (imap4d checks it with crypt(3), which Go's library lacks, so its hash
	// is written in this package); the server listens on loopback only.
	Password string
	// CAPool trusts the server's self-signed certificate
	// (SAN DNS:localhost, IP:127.0.0.1).
	CAPool *x509.CertPool
	CAFile string // the same certificate as a PEM file
	// Dir is the server's private folder: config, certificate, password
	// file, the user's home with its mailboxes, and the log. Start removes
	// it in tb.Cleanup.
	Dir string

	bin     string // path of the imap4d binary
	conf    string // path of imap4d.conf
	logPath string // the daemon's stderr, where its log goes

	mu   sync.Mutex
	proc *serverproc.Proc // the master's run; nil while stopped
}

// Available reports whether an imap4d binary is installed, and why not: the
// string is empty when it is, and otherwise says what is missing and how to
// install it.
func Available() (bool, string) {
	if _, err := binary(); err != nil {
		return false, err.Error()
	}
	return true, ""
}

func binary() (string, error) {
	if p, err := exec.LookPath("imap4d"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/imap4d", "/usr/local/sbin/imap4d"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("no imap4d binary on PATH or in /usr/sbin (install it: apt-get install mailutils-imap4d)")
}

// Start starts a server for tb, and stops it in tb.Cleanup. When imap4d is
// not installed it calls tb.Skip, unless the environment variable CI is set
// to "true", in which case it calls tb.Fatal (the end-to-end suite is
// mandatory in CI). Any other failure to start calls tb.Fatal with the
// server's log. When Start returns, the server has sent its IMAPS greeting,
// accepts logins and has the mailboxes listed on Server.
//
// The cleanup stops the server, reports an error if it had died on its own,
// prints its log if tb failed, and removes Dir.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if ok, why := Available(); !ok {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("mailutils: %s; the end-to-end suite is mandatory in CI", why)
		}
		tb.Skipf("mailutils: %s", why)
	}
	s, err := start()
	if err != nil {
		tb.Fatalf("mailutils: %v", err)
	}
	tb.Cleanup(func() { s.cleanup(tb) })
	return s
}

func (s *Server) cleanup(tb testing.TB) {
	if err := s.Stop(); err != nil {
		tb.Errorf("mailutils: stop: %v", err)
	}
	if tb.Failed() {
		tb.Logf("imap4d log (%s):\n%s", s.logPath, s.Log())
	}
	// imap4d's per-connection children may still be writing their last
	// bytes after the master has gone: give them a moment.
	var err error
	for range 50 {
		if err = os.RemoveAll(s.Dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Errorf("mailutils: remove %s: %v", s.Dir, err)
}

// start sets up Dir and runs the server, retrying with new ports when another
// process took one between choosing and binding it.
func start() (*Server, error) {
	s, err := setup()
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
	if err == nil {
		err = s.createMailboxes()
		if err != nil {
			s.Stop()
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
	// --config-file implies --no-config: nothing from /etc/mailutils.conf.
	cmd := exec.Command(s.bin, "--config-file="+s.conf, "--foreground")
	cmd.Dir = s.Dir
	// A file, not a pipe: the per-connection children inherit it, and a
	// pipe would keep the reader waiting for them.
	cmd.Stdout, cmd.Stderr = logf, logf
	p, err := serverproc.Spawn("imap4d", cmd)
	if err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	if err := p.WaitGreeting(s.Addr, s.tlsConfig(), startTimeout, nil); err != nil {
		p.Kill()
		if bytes.Contains(serverproc.LogSince(s.logPath, logStart), []byte("in use")) {
			return fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return err
	}
	s.proc = p
	return nil
}

// Stop stops the server: SIGTERM to the master and its per-connection
// children, then it waits until the master has exited. Clients see their
// connections close. Stopping a stopped server does nothing. It returns an
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
	// Children still serving a connection get the same SIGTERM; the
	// master's exit status after it says nothing useful.
	return p.Stop(stopTimeout)
}

// Restart stops the server as Stop does, if it is running, and starts it
// again on the same ports with the same mail, returning once it greets
// again. Clients connected before must reconnect.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	stopErr := s.stop()
	// A per-connection child can hold the listening sockets for a moment
	// after the master has gone: try the same ports again for a while.
	var startErr error
	for deadline := time.Now().Add(startTimeout); ; {
		startErr = s.launch()
		if !errors.Is(startErr, errPortTaken) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // waiting for another process to let go, not ordering goroutines
	}
	if startErr != nil {
		startErr = fmt.Errorf("restart: %w\n%s", startErr, s.Log())
	}
	return errors.Join(stopErr, startErr)
}

// Kill sends SIGKILL to the master and every process it started, and waits
// for the master to exit: a crash. Restart brings the server back.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		s.proc.Kill()
		s.proc = nil
	}
	return nil
}

// Log returns the server's log so far (for failure messages).
func (s *Server) Log() string { return serverproc.ReadLog(s.logPath, "imap4d") }

func (s *Server) path(name string) string { return filepath.Join(s.Dir, name) }
