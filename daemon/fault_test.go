package daemon_test

import (
	"bufio"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/highroad/highroad/demo"
)

// faults are the server misbehaviours a faultSession injects. The
// refusals can be switched on and off while the server runs.
type faults struct {
	// noUIDSearch answers UID SEARCH UID n:* with nothing, as GNU
	// Mailutils imap4d 3.15 does.
	noUIDSearch bool
	// quietIdle never pushes during IDLE, as Cyrus without idled or
	// Courier without FAM; news still comes with the next command's answer.
	quietIdle bool
	// refuseAppend says NO [OVERQUOTA] to APPEND to Drafts, as a server
	// over quota does.
	refuseAppend atomic.Bool
	// refuseStore says NO to STORE.
	refuseStore atomic.Bool
}

// faultSession is an imapmemserver session that misbehaves as f says, and
// otherwise does what the server does.
type faultSession struct {
	imapserver.SessionIMAP4rev2
	f *faults
}

func (s *faultSession) Search(kind imapserver.NumKind, c *imap.SearchCriteria, o *imap.SearchOptions) (*imap.SearchData, error) {
	if s.f.noUIDSearch && len(c.UID) > 0 {
		return &imap.SearchData{}, nil
	}
	return s.SessionIMAP4rev2.Search(kind, c, o)
}

func (s *faultSession) Append(mailbox string, r imap.LiteralReader, opts *imap.AppendOptions) (*imap.AppendData, error) {
	if mailbox == "Drafts" && s.f.refuseAppend.Load() {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: "OVERQUOTA", Text: "quota exceeded"}
	}
	return s.SessionIMAP4rev2.Append(mailbox, r, opts)
}

func (s *faultSession) Store(w *imapserver.FetchWriter, set imap.NumSet, flags *imap.StoreFlags, opts *imap.StoreOptions) error {
	if s.f.refuseStore.Load() {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Text: "keywords are read-only today"}
	}
	return s.SessionIMAP4rev2.Store(w, set, flags, opts)
}

func (s *faultSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if s.f.quietIdle {
		<-stop
		return nil
	}
	return s.SessionIMAP4rev2.Idle(w, stop)
}

// startFaultServer starts the in-memory server of demo.Start with every
// session obeying f. The demo.Server returned has what Deliver and
// Messages need, but must not be closed: the test's cleanup does it.
func startFaultServer(t *testing.T, f *faults) *demo.Server {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser("alex", "s3cret-pass")
	for _, mb := range []string{"INBOX", "Drafts", "Sent"} {
		if err := u.Create(mb, nil); err != nil && mb != "INBOX" {
			t.Fatal(err)
		}
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &faultSession{SessionIMAP4rev2: mem.NewSession().(imapserver.SessionIMAP4rev2), f: f}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &demo.Server{Addr: ln.Addr().String(), User: "alex", Password: "s3cret-pass"}
}

// proxy forwards TCP connections to a server and watches what clients
// send. Stall makes the connections open at that moment stop forwarding
// without closing, as a NAT that dropped its mapping or a hung middlebox;
// later connections work.
type proxy struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu      sync.Mutex
	stalls  []*atomic.Bool // one per connection
	cmds    []string       // the verbs clients sent, in order ("UID FETCH", "DONE")
	waiters []waiter
}

type waiter struct {
	verb string
	n    int // the count of verb to wait for
	ch   chan struct{}
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close() })
	return p
}

// server returns the address to give highroad, with srv's user.
func (p *proxy) server(srv *demo.Server) *demo.Server {
	return &demo.Server{Addr: p.ln.Addr().String(), User: srv.User, Password: srv.Password}
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.t.Cleanup(func() { c.Close(); s.Close() })
		stalled := &atomic.Bool{}
		p.mu.Lock()
		p.stalls = append(p.stalls, stalled)
		p.mu.Unlock()
		pr, pw := io.Pipe()
		go p.watch(pr)
		go func() {
			forward(s, io.TeeReader(c, pw), stalled)
			pw.Close()
		}()
		go forward(c, s, stalled)
	}
}

// forward copies until either side closes; once stalled, what arrives is
// dropped.
func forward(dst io.Writer, src io.Reader, stalled *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !stalled.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if c, ok := dst.(net.Conn); ok {
				c.Close()
			}
			return
		}
	}
}

// watch records the command verbs in a client's stream.
func (p *proxy) watch(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if verb := commandVerb(sc.Text()); verb != "" {
			p.record(verb)
		}
	}
	io.Copy(io.Discard, r)
}

var verbs = map[string]bool{"CAPABILITY": true, "NOOP": true, "LOGOUT": true, "LOGIN": true,
	"AUTHENTICATE": true, "SELECT": true, "EXAMINE": true, "LIST": true, "STATUS": true, "APPEND": true,
	"IDLE": true, "UID": true, "FETCH": true, "SEARCH": true, "STORE": true, "EXPUNGE": true,
	"CLOSE": true, "UNSELECT": true, "ENABLE": true, "NAMESPACE": true, "ID": true, "CHECK": true}

// commandVerb returns the verb of a command line ("UID FETCH"), "DONE" for
// the end of an IDLE, or "" for anything else (literal data).
func commandVerb(line string) string {
	f := strings.Fields(strings.TrimSpace(line))
	switch {
	case len(f) == 1 && f[0] == "DONE":
		return "DONE"
	case len(f) < 2 || !verbs[strings.ToUpper(f[1])]:
		return ""
	case strings.EqualFold(f[1], "UID") && len(f) > 2:
		return "UID " + strings.ToUpper(f[2])
	}
	return strings.ToUpper(f[1])
}

func (p *proxy) record(verb string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cmds = append(p.cmds, verb)
	n := p.countLocked(verb)
	kept := p.waiters[:0]
	for _, w := range p.waiters {
		if w.verb == verb && n >= w.n {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	p.waiters = kept
}

func (p *proxy) countLocked(verb string) int {
	n := 0
	for _, c := range p.cmds {
		if c == verb {
			n++
		}
	}
	return n
}

// sent returns every verb sent so far, in order.
func (p *proxy) sent() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.cmds...)
}

// await waits until clients have sent verb n times in all, failing after
// the deadline.
func (p *proxy) await(verb string, n int, within time.Duration) {
	p.t.Helper()
	ch := make(chan struct{})
	p.mu.Lock()
	if p.countLocked(verb) >= n {
		close(ch)
	} else {
		p.waiters = append(p.waiters, waiter{verb, n, ch})
	}
	p.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(within):
		p.t.Fatalf("the client sent %s %d times within %v, want %d: %v", verb, p.count(verb), within, n, p.sent())
	}
}

func (p *proxy) count(verb string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.countLocked(verb)
}

// connections returns how many connections were made through the proxy.
func (p *proxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.stalls)
}

// stall stops every open connection from forwarding, without closing it.
func (p *proxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.stalls {
		s.Store(true)
	}
}
