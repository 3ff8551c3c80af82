package serverproc

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"
)

// WaitGreeting polls addr until it sends an untagged OK over TLS with cfg,
// the master exits, fatal (if not nil) reports an error, or timeout passes.
// An open port is not enough: the greeting shows that TLS and the server
// are set up and serving.
func (p *Proc) WaitGreeting(addr string, cfg *tls.Config, timeout time.Duration, fatal func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var err error
	for {
		if err = greeting(addr, cfg, deadline); err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before greeting on %s", p.name, addr)
		case <-tick.C:
		}
		if fatal != nil {
			if ferr := fatal(); ferr != nil {
				return ferr
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no greeting on %s within %v: %w", addr, timeout, err)
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
