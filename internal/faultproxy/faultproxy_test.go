package faultproxy_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/highroad/highroad/internal/faultproxy"
)

// echoServer answers every line with itself until the client closes.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func start(t *testing.T) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(echoServer(t))
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

type client struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, p *faultproxy.Proxy) client {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.Addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", p.Addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return client{c, bufio.NewReader(c)}
}

// roundTrip sends line and reads the echo within wait.
func (c client) roundTrip(line string, wait time.Duration) (string, error) {
	c.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	got, err := c.r.ReadString('\n')
	if len(got) > 0 {
		got = got[:len(got)-1]
	}
	return got, err
}

func TestForward(t *testing.T) {
	p := start(t)
	c := dial(t, p)
	for _, line := range []string{"hello", "again"} {
		if got, err := c.roundTrip(line, 5*time.Second); err != nil || got != line {
			t.Errorf("roundTrip(%q) = %q, %v", line, got, err)
		}
	}
	if n := p.Accepted(); n != 1 {
		t.Errorf("Accepted() = %d, want 1", n)
	}
	if n := p.Open(); n != 1 {
		t.Errorf("Open() = %d, want 1", n)
	}
}

func TestCut(t *testing.T) {
	p := start(t)
	c1, c2 := dial(t, p), dial(t, p)
	c1.roundTrip("a", 5*time.Second)
	c2.roundTrip("b", 5*time.Second)
	if n := p.Cut(); n != 2 {
		t.Errorf("Cut() = %d, want 2", n)
	}
	for i, c := range []client{c1, c2} {
		if _, err := c.roundTrip("after", 5*time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("connection %d after Cut: err = %v, want it closed", i, err)
		}
	}
	c3 := dial(t, p)
	if got, err := c3.roundTrip("new", 5*time.Second); err != nil || got != "new" {
		t.Errorf("a connection after Cut: roundTrip = %q, %v", got, err)
	}
	if n := p.Accepted(); n != 3 {
		t.Errorf("Accepted() = %d, want 3", n)
	}
	waitOpen(t, p, 1)
}

func TestStallResume(t *testing.T) {
	p := start(t)
	old := dial(t, p)
	old.roundTrip("before", 5*time.Second)
	if n := p.Stall(); n != 1 {
		t.Errorf("Stall() = %d, want 1", n)
	}
	if got, err := old.roundTrip("held", 300*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a stalled connection answered %q, %v; want nothing", got, err)
	}
	// Connections made after the stall flow.
	if got, err := dial(t, p).roundTrip("new", 5*time.Second); err != nil || got != "new" {
		t.Errorf("a connection made during the stall: roundTrip = %q, %v", got, err)
	}
	if n := p.Open(); n != 2 {
		t.Errorf("Open() during the stall = %d, want 2 (a stall closes nothing)", n)
	}
	p.Resume()
	old.SetDeadline(time.Now().Add(5 * time.Second))
	if got, err := old.r.ReadString('\n'); err != nil || got != "held\n" {
		t.Errorf("after Resume the held line came back as %q, %v", got, err)
	}
	if got, err := old.roundTrip("after", 5*time.Second); err != nil || got != "after" {
		t.Errorf("after Resume: roundTrip = %q, %v", got, err)
	}
}

func TestCutStalled(t *testing.T) {
	p := start(t)
	c := dial(t, p)
	c.roundTrip("a", 5*time.Second)
	p.Stall()
	c.roundTrip("held", 200*time.Millisecond)
	p.Cut()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.r.ReadString('\n'); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("a stalled connection after Cut: err = %v, want it closed", err)
	}
	waitOpen(t, p, 0)
}

func TestCleanClose(t *testing.T) {
	p := start(t)
	c := dial(t, p)
	c.roundTrip("a", 5*time.Second)
	c.Conn.(*net.TCPConn).CloseWrite()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if rest, err := io.ReadAll(c.r); err != nil || len(rest) != 0 {
		t.Errorf("after a half-close: read %q, %v; want a clean EOF", rest, err)
	}
	waitOpen(t, p, 0)
}

func TestClose(t *testing.T) {
	p := start(t)
	c := dial(t, p)
	c.roundTrip("a", 5*time.Second)
	p.Stall()
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close() = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close() with a stalled connection did not return")
	}
	if _, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
		t.Errorf("dial after Close succeeded")
	}
}

func TestUnreachableTarget(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	// Closed only once the proxy has its own port, which could be the same.
	p, err := faultproxy.Start(ln.Addr().String())
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	conn, err := net.DialTimeout("tcp", p.Addr, 5*time.Second)
	if err != nil {
		return // reset so fast that the connect itself failed: fine too
	}
	defer conn.Close()
	c := client{conn, bufio.NewReader(conn)}
	if _, err := c.roundTrip("x", 5*time.Second); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("with the target down: err = %v, want the connection closed", err)
	}
}

// waitOpen waits until p has n open connections: the proxy notices closes
// asynchronously.
func waitOpen(t *testing.T, p *faultproxy.Proxy, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.Open() != n {
		if time.Now().After(deadline) {
			t.Fatalf("Open() = %d after 5 s, want %d", p.Open(), n)
		}
		time.Sleep(10 * time.Millisecond) // polling a counter, not ordering goroutines
	}
}
