package daemon_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/demo"
)

// TestNetworkBackSoon keeps the server unreachable for long enough that
// the reconnect backoff would have grown past the test's deadline, then
// brings it up: the daemon must be back within Redial, not the backoff.
func TestNetworkBackSoon(t *testing.T) {
	addr := closedPort(t)
	_, portText, _ := strings.Cut(addr, ":")
	port, _ := strconv.Atoi(portText)
	logs := make(logRecords, 1000)
	d, events := newDaemon(t, &demo.Server{Addr: addr, User: "alex", Password: "s3cret-pass"}, filepath.Join(t.TempDir(), "state.db"),
		func(o *daemon.Options) {
			o.Log = slog.New(logs)
			// Without the cap, 8 failures in a row would wait 0.1 s × 2⁸ ≈ 26 s.
			o.Timeouts.BackoffMin, o.Timeouts.BackoffMax, o.Timeouts.Redial = 100*time.Millisecond, time.Hour, 300*time.Millisecond
		})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.After(20 * time.Second)
	for failures := 0; failures < 8; {
		select {
		case r := <-logs:
			if strings.HasPrefix(r.Message, "cannot connect") {
				failures++
			}
		case <-deadline:
			t.Fatal("fewer than 8 connection attempts within 20 s")
		}
	}
	srv, err := demo.StartOn(port, "alex", "s3cret-pass")
	if err != nil {
		t.Fatalf("start the server on the same port: %v", err)
	}
	defer srv.Close()
	if err := srv.Deliver("INBOX", read(t, mixed[0].path)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-events:
	case err := <-done:
		t.Fatalf("Run ended: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the message was not handled within 5 s of the server coming up")
	}
}
