// Package demo runs an in-process IMAP server (go-imap's imapmemserver) on
// the loopback interface: highroad's demo runs the daemon against it, and
// the daemon's fast tests use it as a real IMAP peer.
package demo

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Server is a running in-memory IMAP server with one user, whose mailboxes
// are INBOX, Drafts and Sent.
type Server struct {
	Addr     string // host:port on 127.0.0.1
	User     string
	Password string

	srv *imapserver.Server
	ln  net.Listener
}

// Start listens on a free loopback port and serves until Close. The server
// speaks plain IMAP (no TLS) and allows logins over it: loopback only.
func Start(user, password string) (*Server, error) {
	return StartTraced(user, password, nil)
}

// StartOn is Start on a given loopback port; 0 picks a free one.
func StartOn(port int, user, password string) (*Server, error) {
	return start(port, user, password, nil)
}

// StartTraced is Start with the raw IMAP traffic copied to trace (which
// must be safe for concurrent writes), for tests that check what a client
// sent.
func StartTraced(user, password string, trace io.Writer) (*Server, error) {
	return start(0, user, password, trace)
}

func start(port int, user, password string, trace io.Writer) (*Server, error) {
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(user, password)
	for _, mb := range []string{"INBOX", "Drafts", "Sent"} {
		if err := u.Create(mb, nil); err != nil && mb != "INBOX" {
			return nil, fmt.Errorf("create %s: %w", mb, err)
		}
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       log.New(discard{}, "", 0),
		DebugWriter:  trace,
	})
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{Addr: ln.Addr().String(), User: user, Password: password, srv: srv, ln: ln}
	go srv.Serve(ln)
	return s, nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// Close stops the server and closes every connection.
func (s *Server) Close() error { return s.srv.Close() }

// Dial returns a client logged in as the server's user.
func (s *Server) Dial() (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(s.Addr, &imapclient.Options{Dialer: &net.Dialer{Timeout: 5 * time.Second}})
	if err != nil {
		return nil, err
	}
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Deliver appends raw to mailbox as newly arrived mail.
func (s *Server) Deliver(mailbox string, raw []byte) error {
	return s.DeliverAt(mailbox, raw, time.Time{})
}

// DeliverAt appends raw to mailbox as mail that arrived at t (now when t is
// zero).
func (s *Server) DeliverAt(mailbox string, raw []byte, t time.Time) error {
	c, err := s.Dial()
	if err != nil {
		return err
	}
	defer c.Close()
	cmd := c.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Time: t})
	if _, err := cmd.Write(raw); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	if _, err := cmd.Wait(); err != nil {
		return err
	}
	return c.Logout().Wait()
}

// Messages returns the raw messages and flags of a mailbox, for checks.
func (s *Server) Messages(mailbox string) ([]Message, error) {
	c, err := s.Dial()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return ReadMailbox(c, mailbox)
}

// Message is a message as stored on a server.
type Message struct {
	UID   imap.UID
	Flags []imap.Flag
	Raw   []byte
}

// ReadMailbox reads every message of mailbox through c with BODY.PEEK.
func ReadMailbox(c *imapclient.Client, mailbox string) ([]Message, error) {
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, err
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}
	body := &imap.FetchItemBodySection{Peek: true}
	bufs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true,
		BodySection: []*imap.FetchItemBodySection{body}}).Collect()
	if err != nil {
		return nil, err
	}
	var out []Message
	for _, b := range bufs {
		out = append(out, Message{UID: b.UID, Flags: b.Flags, Raw: bytes.Clone(b.FindBodySection(body))})
	}
	return out, nil
}
