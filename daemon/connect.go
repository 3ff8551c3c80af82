package daemon

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/highroad/highroad/config"
)

// session is one connection to one account. Only the goroutine that
// created it uses it; server pushes only signal on changed.
type session struct {
	d       *Daemon
	a       *config.Account
	log     *slog.Logger
	c       *imapclient.Client
	changed chan struct{}   // a mailbox grew; buffered, never blocks the reader
	stop    <-chan struct{} // closed when the session's context ends
	drafts  string          // the Drafts mailbox's name
	found   draftsChoice    // how it was found, for check
	keyword imap.Flag
	// keywordOK is false when the selected mailbox refuses custom keywords.
	keywordOK   bool
	keywordNote bool // the refusal has been logged once
	selected    string
	scanning    bool      // a one-off scan: progress is left alone
	passStart   time.Time // when the current catch-up pass began
	// draftIndex maps the Message-ID of each rejection answered in Drafts
	// to its draft's; nil until first needed.
	draftIndex map[string]string
	stopCancel func() bool // unhooks closing the connection on cancellation
	// lastUID is, per mailbox, the highest UID handled; a SELECT that shows
	// more (its EXISTS never reaches the push handler) is a wake-up.
	lastUID map[string]uint32
	// validity is the UIDVALIDITY of the mailbox being caught up on.
	validity uint32
	// cutoff is the account's first-run cutoff (see cutoff.go); allowOld
	// waives it, for a scan the user asked to reach further back.
	cutoff   time.Time
	allowOld bool
	// idling is set while an IDLE is running, so that the push handler can
	// tell a push (pushed) from news that came with another answer.
	idling, pushed atomic.Bool
}

// connect dials, logs in and finds the Drafts mailbox.
func (d *Daemon) connect(ctx context.Context, a *config.Account, log *slog.Logger) (*session, error) {
	s := &session{d: d, a: a, log: log, stop: ctx.Done(), changed: make(chan struct{}, 1), keyword: imap.Flag(a.Keyword),
		lastUID: map[string]uint32{}}
	tlsConfig, err := tlsConfig(a)
	if err != nil {
		return nil, permanent(err)
	}
	opts := &imapclient.Options{
		TLSConfig: tlsConfig,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					s.grew()
				}
			},
		},
	}
	// Keepalive probes after 15 s of silence, 3 at 5 s apart: a link that
	// died without a word (NAT timeout, Wi-Fi change) fails within 30 s,
	// even in the middle of an IDLE.
	dialer := &net.Dialer{Timeout: 30 * time.Second,
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3}}
	conn, err := dialer.DialContext(ctx, "tcp", a.Addr())
	if err != nil {
		return nil, d.explain(a, err)
	}
	// Cancelling the context closes the connection, which ends any wait.
	s.stopCancel = context.AfterFunc(ctx, func() { conn.Close() })
	if err := s.handshake(ctx, conn, opts); err != nil {
		conn.Close()
		s.stopCancel()
		return nil, d.explain(a, err)
	}
	if err := s.login(ctx); err != nil {
		s.close()
		return nil, err
	}
	if s.found, err = s.findDrafts(); err != nil {
		s.close()
		return nil, err
	}
	s.drafts = s.found.Name
	return s, nil
}

// handshake sets up TLS (implicit or STARTTLS) and waits for the greeting,
// all under the watchdog. Where the first bytes show a wrong port or TLS
// mode, the error names the fix.
func (s *session) handshake(ctx context.Context, conn net.Conn, opts *imapclient.Options) error {
	var expired atomic.Bool
	timer := time.AfterFunc(s.d.Timeouts.Command, func() {
		expired.Store(true)
		conn.Close()
	})
	defer timer.Stop()
	err := s.greet(ctx, conn, opts)
	if err != nil && expired.Load() {
		return fmt.Errorf("no greeting from the server within %v: is the port right? (%w)", s.d.Timeouts.Command, err)
	}
	return err
}

func (s *session) greet(ctx context.Context, conn net.Conn, opts *imapclient.Options) error {
	if s.a.TLS != config.TLSImplicit {
		var err error
		if conn, err = s.sniff(ctx, conn); err != nil {
			return err
		}
	}
	switch s.a.TLS {
	case config.TLSStartTLS:
		c, err := imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return err
		}
		s.c = c
	case config.TLSNone:
		s.c = imapclient.New(conn, opts)
	default:
		rc := &recordConn{Conn: conn}
		tc := tls.Client(rc, opts.TLSConfig)
		if err := tc.Handshake(); err != nil {
			var header tls.RecordHeaderError
			if errors.As(err, &header) && !looksTLS(rc.first) {
				return unexpected(rc.first, err)
			}
			return err
		}
		s.c = imapclient.New(tc, opts)
	}
	if err := s.c.WaitGreeting(); err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	return nil
}

func (s *session) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func tlsConfig(a *config.Account) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: a.Server, MinVersion: tls.VersionTLS12}
	if a.CAFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(a.CAFile)
	if err != nil {
		return nil, fmt.Errorf("read ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca_file %s holds no PEM certificate", a.CAFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// login authenticates; a refusal is permanent, so that a wrong password
// never turns into a storm of retries.
func (s *session) login(ctx context.Context) error {
	secret, err := s.a.Secret(ctx)
	if err != nil {
		// A command may fail for a while (a keyring locked at login, a
		// token service offline); a missing variable or file will not fix
		// itself.
		if s.a.PasswordCommand != "" || s.a.TokenCommand != "" {
			return err
		}
		return permanent(err)
	}
	var authErr error
	switch s.a.Auth {
	case config.AuthXOAuth2:
		authErr = s.wait(func() error { return s.c.Authenticate(xoauth2{s.a.Username, secret}) })
	case config.AuthOAuthBearer:
		authErr = s.wait(func() error {
			return s.c.Authenticate(sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: s.a.Username, Token: secret}))
		})
	default:
		authErr = s.wait(s.c.Login(s.a.Username, secret).Wait)
	}
	var imapErr *imap.Error
	if errors.As(authErr, &imapErr) && imapErr.Type == imap.StatusResponseTypeNo {
		// The server's text is safe to show; the secret never is.
		err := fmt.Errorf("login as %s refused by the server: %s (check the username and password; Gmail and others need an app password)", s.a.Username, imapErr.Text)
		switch imapErr.Code {
		case imap.ResponseCodeAuthenticationFailed, imap.ResponseCodeAuthorizationFailed, imap.ResponseCodeExpired:
			return permanent(err)
		case "":
			// Without a code, a refusal is only taken as final for an
			// account that never logged in, in this run or an earlier
			// one: some servers refuse now and then without saying why.
			if !s.d.hasConnected(s.a.Name) {
				return permanent(err)
			}
		}
		// "Too many connections", "unavailable": worth another try later.
		return fmt.Errorf("login as %s: %s", s.a.Username, imapErr.Text)
	}
	if authErr != nil {
		return fmt.Errorf("login: %w", authErr)
	}
	return nil
}

// wait runs f, closing the connection if it has not returned within the
// command timeout: go-imap has no deadlines of its own on responses.
func (s *session) wait(f func() error) error {
	return s.waitWithin(s.d.Timeouts.Command, f)
}

// waitWithin is wait with its own limit, for answers that must be quick.
func (s *session) waitWithin(limit time.Duration, f func() error) error {
	return s.waitLiveWithin(limit, func(func()) error { return f() })
}

// waitLive is wait for long transfers: f calls alive whenever it makes
// progress, which restarts the timeout. A panic in f becomes an error.
func (s *session) waitLive(f func(alive func()) error) error {
	return s.waitLiveWithin(s.d.Timeouts.Command, f)
}

func (s *session) waitLiveWithin(limit time.Duration, f func(alive func()) error) error {
	done := make(chan error, 1)
	kick := make(chan struct{}, 1)
	alive := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	go func() {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("panic while talking to the server", "panic", r, "stack", string(debug.Stack()))
				done <- fmt.Errorf("internal error: %v", r)
			}
		}()
		done <- f(alive)
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-kick:
			timer.Reset(limit)
		case <-timer.C:
			s.c.Close()
			<-done
			return fmt.Errorf("no answer from the server within %v", limit)
		}
	}
}

func (s *session) close() {
	if s.stopCancel != nil {
		defer s.stopCancel()
	}
	if s.c == nil {
		return
	}
	// Log out politely, but never wait long for it.
	done := make(chan struct{})
	go func() {
		s.c.Logout().Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	s.c.Close()
}

// xoauth2 is the SASL XOAUTH2 mechanism of Gmail and Outlook.
type xoauth2 struct{ user, token string }

func (x xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers the server's error challenge with an empty response, after
// which the server fails the exchange with a NO.
func (x xoauth2) Next([]byte) ([]byte, error) { return []byte{}, nil }
