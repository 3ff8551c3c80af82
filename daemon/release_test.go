package daemon_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/state"
)

// TestStateFreeBetweenBatches holds a running pass in the middle of its
// second batch and opens the state file from outside, as `highroad status`
// does: the pass must not hold the file for its whole length.
func TestStateFreeBetweenBatches(t *testing.T) {
	srv := startServer(t)
	const n = 250 // two FETCH batches
	for i := range n {
		raw := fmt.Sprintf("From: News <news@example.com>\r\nTo: test@example.org\r\nSubject: Issue %d\r\n"+
			"Message-ID: <issue-%d@example.com>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\nThis week's news.\r\n", i, i)
		if err := srv.Deliver("INBOX", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "state.db")
	events := make(chan daemon.Event) // unbuffered: the daemon waits for each read
	d, _ := newDaemon(t, srv, path, func(o *daemon.Options) { o.Events = events })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() {
		cancel()
		for { // the daemon may be waiting to report a message
			select {
			case <-events:
			case <-done:
				return
			}
		}
	}()
	next := func() {
		t.Helper()
		select {
		case <-events:
		case err := <-done:
			t.Fatalf("Run ended early: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatal("no event within 20 s")
		}
	}
	for range 201 {
		next() // the first batch, and the first message of the second
	}
	// The daemon now waits to report the second batch's next message.
	st, err := state.Open(path)
	if err != nil {
		t.Fatalf("opening the state during a pass: %v", err)
	}
	seen, err := st.Seen("test")
	st.Close()
	if err != nil || seen != 200 {
		t.Errorf("Seen during the second batch = %d, %v; want the first batch's 200", seen, err)
	}
	for range n - 201 {
		next()
	}
}

// TestStopWithAnUnreadEvent cancels a daemon whose Events reader has
// stopped reading: Run must still return.
func TestStopWithAnUnreadEvent(t *testing.T) {
	srv := startServer(t)
	var others []mail
	for _, m := range mixed {
		if !m.rejection {
			others = append(others, m) // reported together, after their FETCH
		}
	}
	deliverAll(t, srv, others[:2])
	events := make(chan daemon.Event) // nobody reads after the first
	d, _ := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"), func(o *daemon.Options) { o.Events = events })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case <-events: // the daemon now waits to report the second message
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20 s")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v after cancellation, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of cancellation while an event was unread")
	}
}
