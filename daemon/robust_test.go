package daemon_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// longLine returns a header line "name:" followed by about n bytes of
// words made from format.
func longLine(name, format string, n int) string {
	var b strings.Builder
	b.WriteString(name + ":")
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, " "+format, i)
	}
	return b.String()
}

// TestLongHeaderRejectionDrafted: a rejection whose header has a 100 KB
// tracking line, a 20 KB Subject and a 100 KB References is flagged and
// drafted like any other (issue 9, item 2).
func TestLongHeaderRejectionDrafted(t *testing.T) {
	srv := startServer(t)
	raw := string(read(t, mixed[0].path))
	raw = strings.Replace(raw, "\nSubject: Your application to Lumenfield Robotics\r\n",
		"\n"+longLine("Subject: Your application to Lumenfield Robotics", "and more %d", 20<<10)+"\r\n"+
			longLine("References", "<thread-%d@greenhouse-mail.io>", 100<<10)+"\r\n"+
			longLine("X-Tracking", "t%d", 100<<10)+"\r\n", 1)
	if len(raw) < 220<<10 {
		t.Fatalf("the test message was not built: %d bytes", len(raw))
	}
	if err := srv.Deliver("INBOX", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	stop := startDaemon(t, d)
	ev := await(t, events, 1)[0]
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if !ev.Rejection || ev.DraftID == "" || ev.Skipped != "" {
		t.Errorf("event = %+v; want the rejection drafted", ev)
	}
	checkMailbox(t, srv, mixed[:1])
}

// TestUnreadableIsRecorded: a message that cannot be read even tolerantly
// is kept in the state for status, and the mail after it is handled.
func TestUnreadableIsRecorded(t *testing.T) {
	srv := startServer(t)
	srv.Deliver("INBOX", []byte("\r\n\r\nno header at all"))
	srv.Deliver("INBOX", read(t, mixed[0].path))
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	stop := startDaemon(t, d)
	got := await(t, events, 2)
	stop()
	if got[0].Skipped != "unreadable" || !got[1].Rejection || got[1].DraftID == "" {
		t.Errorf("events = %+v / %+v; want the first unreadable, the second drafted", got[0], got[1])
	}
	list, _, err := d.Store.Unreadables("test")
	if err != nil || len(list) != 1 {
		t.Fatalf("Unreadables = %+v, %v; want the one message", list, err)
	}
	if u := list[0]; u.Mailbox != "INBOX" || u.UID != 1 || u.UIDValidity == 0 || !strings.Contains(u.Reason, "no header") {
		t.Errorf("unreadable record = %+v; want INBOX uid 1 under its UIDVALIDITY, with the reason", u)
	}
}

// TestFailingPasswordCommandKeepsItsOutput: what a failing password_command
// prints on stderr may hold the secret, so it reaches neither the log nor
// the state that status shows (issue 9, item 10).
func TestFailingPasswordCommandKeepsItsOutput(t *testing.T) {
	srv := startServer(t)
	d, _ := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	a := &d.Config.Accounts[0]
	a.PasswordEnv, a.PasswordCommand = "", "echo 'gpg: decryption failed, passphrase hunter2-s3cret' >&2; exit 1"
	logs := make(logRecords, 100)
	d.Log = slog.New(logs)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var logged string
	deadline := time.After(10 * time.Second)
	for logged == "" {
		select {
		case r := <-logs:
			r.Attrs(func(a slog.Attr) bool { logged += r.Message + " " + a.Key + "=" + a.Value.String() + "\n"; return true })
			if r.Level < slog.LevelWarn {
				logged = ""
			}
		case err := <-done:
			t.Fatalf("Run = %v, want it to retry a failing command", err)
		case <-deadline:
			t.Fatal("no failure logged within 10 s")
		}
	}
	cancel()
	<-done
	act, _ := d.Store.Activity("test")
	for what, s := range map[string]string{"log": logged, "state's last_error": act.LastError} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "gpg") {
			t.Errorf("the %s holds the command's stderr: %s", what, s)
		}
		if !strings.Contains(s, "password_command failed (exit status 1); run it yourself to see why") {
			t.Errorf("the %s does not say the command failed: %s", what, s)
		}
	}
}
