package dovecot_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/highroad/highroad/dovecot"
	"github.com/highroad/highroad/samples"
)

func TestWalkServer(t *testing.T) {
	if os.Getenv("WALK") == "" {
		t.Skip()
	}
	s := dovecot.Start(t)
	for _, m := range samples.All() {
		s.Append("INBOX", m.Raw)
	}
	os.WriteFile("/tmp/walk/info", []byte(fmt.Sprintf("%s %s %s %s %s\n", s.Addr, s.PlainAddr, s.User, s.Password, s.CAFile)), 0o600)
	for {
		if _, err := os.Stat("/tmp/walk/stop"); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}
