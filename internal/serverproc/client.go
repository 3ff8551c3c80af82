package serverproc

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// Dial returns a go-imap v2 client connected to addr over implicit TLS with
// cfg and logged in as user. The caller closes it. The connection and the
// login are bounded by timeout; later commands have no watchdog.
func Dial(addr string, cfg *tls.Config, user, password string, timeout time.Duration) (*imapclient.Client, error) {
	c, err := imapclient.DialTLS(addr, &imapclient.Options{
		TLSConfig: cfg,
		Dialer:    &net.Dialer{Timeout: timeout},
	})
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	watchdog := time.AfterFunc(timeout, func() { c.Close() })
	defer watchdog.Stop()
	if err := c.Login(user, password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("login to %s as %q: %w", addr, user, err)
	}
	return c, nil
}
