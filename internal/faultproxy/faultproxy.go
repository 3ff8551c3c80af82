// Package faultproxy is a TCP proxy on loopback for tests that inject
// network faults between a client and a server: it cuts connections,
// stalls them (stops forwarding without closing, as a dead NAT entry or a
// suspended laptop does), resumes them, and counts them.
package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Proxy forwards every connection made to Addr to a target address. Its
// methods are safe for concurrent use.
type Proxy struct {
	// Addr is the "127.0.0.1:PORT" clients connect to.
	Addr   string
	target string
	ln     net.Listener

	mu       sync.Mutex
	conns    map[*link]bool
	accepted int
	closed   bool
	wg       sync.WaitGroup
}

// link is one proxied connection: the client's side and the server's.
type link struct {
	client, server net.Conn
	once           sync.Once
	done           chan struct{} // closed when the link is cut or ends

	mu      sync.Mutex
	stalled bool
	thaw    chan struct{} // closed by Resume; replaced by each Stall
}

// Start listens on 127.0.0.1 on a free port and forwards every connection
// to target, dialled when the client connects. Close stops it.
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[*link]bool{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		p.mu.Unlock()
		p.wg.Add(1)
		go p.handle(c)
	}
}

func (p *Proxy) handle(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, 10*time.Second)
	if err != nil {
		resetClose(client)
		return
	}
	l := &link{client: client, server: server, done: make(chan struct{})}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		l.cut()
		return
	}
	p.conns[l] = true
	p.mu.Unlock()
	var pumps sync.WaitGroup
	pumps.Add(2)
	go func() { defer pumps.Done(); l.pump(server, client) }()
	go func() { defer pumps.Done(); l.pump(client, server) }()
	pumps.Wait()
	l.end(false)
	p.mu.Lock()
	delete(p.conns, l)
	p.mu.Unlock()
}

// pump copies from src to dst, holding what it read while the link is
// stalled. A half-close is passed on, so that a clean close stays clean.
func (l *link) pump(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !l.wait() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				l.cut()
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) && l.wait() {
				if tc, ok := dst.(*net.TCPConn); ok {
					tc.CloseWrite()
					return
				}
			}
			l.cut()
			return
		}
	}
}

// wait returns true once the link is not stalled, false if it was cut.
func (l *link) wait() bool {
	l.mu.Lock()
	stalled, thaw := l.stalled, l.thaw
	l.mu.Unlock()
	if !stalled {
		return true
	}
	select {
	case <-thaw:
		return true
	case <-l.done:
		return false
	}
}

// cut closes both sides with a reset, as a crash or a dropped route does.
func (l *link) cut() { l.end(true) }

// end closes both sides, with a reset or after both have closed cleanly.
func (l *link) end(reset bool) {
	l.once.Do(func() {
		close(l.done)
		if reset {
			resetClose(l.client)
			resetClose(l.server)
			return
		}
		l.client.Close()
		l.server.Close()
	})
}

func resetClose(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

func (l *link) stall() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stalled {
		l.stalled, l.thaw = true, make(chan struct{})
	}
}

func (l *link) resume() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stalled {
		l.stalled = false
		close(l.thaw)
	}
}

func (p *Proxy) links() []*link {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*link, 0, len(p.conns))
	for l := range p.conns {
		out = append(out, l)
	}
	return out
}

// Cut closes every open connection at once, both the client's side and
// the server's, with a TCP reset: each side sees an error, not a clean
// end. It returns how many were cut. New connections are still accepted.
func (p *Proxy) Cut() int {
	ls := p.links()
	for _, l := range ls {
		l.cut()
	}
	return len(ls)
}

// Stall stops forwarding on every open connection, in both directions,
// without closing it: bytes sent by either side are held, as on a link
// whose route died silently. Connections made after Stall are forwarded
// normally (the network is back, the old flows are not). It returns how
// many were stalled.
func (p *Proxy) Stall() int {
	ls := p.links()
	for _, l := range ls {
		l.stall()
	}
	return len(ls)
}

// Resume forwards again on every stalled connection still open, held
// bytes first.
func (p *Proxy) Resume() {
	for _, l := range p.links() {
		l.resume()
	}
}

// Accepted returns how many connections the proxy has accepted so far.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Open returns how many connections are open now.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Close stops listening, cuts every connection and waits for the proxy's
// goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	p.Cut()
	p.wg.Wait()
	return err
}
