package daemon_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/demo"
	"github.com/highroad/highroad/drafts"
	"github.com/highroad/highroad/state"
)

const corpus = "../testdata/corpus/"

// mail is a test message: its corpus path and whether it is a rejection.
type mail struct {
	path      string
	rejection bool
}

var mixed = []mail{
	{"rej-en/001-greenhouse-after-onsite.eml", true},
	{"not-en/001-ack-greenhouse-keep-on-file.eml", false},
	{"rej-intl/007-de-konzern-after-replyto.eml", true},
	{"not-en/007-invite-interviewer-unavailable.eml", false},
	{"rej-en/037-direct-team-mailbox-before-interview.eml", true},
	{"not-intl/002-de-interview-verschoben.eml", false},
}

func read(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(corpus + path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startServer starts the in-process IMAP server for the test.
func startServer(t *testing.T) *demo.Server {
	t.Helper()
	srv, err := demo.Start("alex", "s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// deliverAll delivers the corpus messages of mails to srv's INBOX.
func deliverAll(t *testing.T, srv *demo.Server, mails []mail) {
	t.Helper()
	for _, m := range mails {
		if err := srv.Deliver("INBOX", read(t, m.path)); err != nil {
			t.Fatal(err)
		}
	}
}

// newDaemon returns a daemon for one account on the demo server, with an
// events channel the test reads.
func newDaemon(t *testing.T, srv *demo.Server, storePath string, with ...func(*daemon.Options)) (*daemon.Daemon, chan daemon.Event) {
	t.Helper()
	host, port, _ := strings.Cut(srv.Addr, ":")
	t.Setenv("HIGHROAD_TEST_PASSWORD", srv.Password)
	src := "profile:\n  name: Test User\n  address: test@example.org\n" +
		"accounts:\n  - name: test\n    server: " + host + "\n    port: " + port + "\n    tls: plain\n" +
		"    username: " + srv.User + "\n    password_env: HIGHROAD_TEST_PASSWORD\n    first_run_window: 3650d\n"
	tm := daemon.Timeouts{Command: 5 * time.Second, Recheck: 2 * time.Second, BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond}
	return buildDaemon(t, "test.yaml", src, storePath, tm, 100, with...)
}

// buildDaemon parses src (named file in errors) as the configuration and
// returns a daemon for it with its state at statePath (closed when the test
// ends), the default classifier and templates, timeouts tm, a log that
// discards, and an events channel of capacity n. The functions in with
// change the options, in order, before daemon.New.
func buildDaemon(t testing.TB, file, src, statePath string, tm daemon.Timeouts, n int, with ...func(*daemon.Options)) (*daemon.Daemon, chan daemon.Event) {
	t.Helper()
	cfg, err := config.Parse(file, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(statePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, _ := classifier.New(classifier.Default(), "test@example.org")
	tmpls, _ := drafts.LoadTemplates("")
	events := make(chan daemon.Event, n)
	o := daemon.Options{
		Config: cfg, Store: st, Classifier: c, Templates: tmpls, Events: events,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Timeouts: tm,
	}
	for _, f := range with {
		f(&o)
	}
	d, err := daemon.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return d, events
}

// start runs d until the test ends, and returns a function that stops it
// and returns Run's error.
func startDaemon(t *testing.T, d *daemon.Daemon) func() error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10 s of cancellation")
			return nil
		}
	}
	t.Cleanup(func() { cancel() })
	return stop
}

// await collects n events, failing after a deadline.
func await(t *testing.T, events <-chan daemon.Event, n int) []daemon.Event {
	t.Helper()
	var got []daemon.Event
	deadline := time.After(20 * time.Second)
	for len(got) < n {
		select {
		case ev := <-events:
			got = append(got, ev)
		case <-deadline:
			t.Fatalf("got %d events, want %d: %+v", len(got), n, got)
		}
	}
	return got
}

func TestMixedMailWhileRunning(t *testing.T) {
	srv := startServer(t)
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	stop := startDaemon(t, d)
	for _, m := range mixed {
		if err := srv.Deliver("INBOX", read(t, m.path)); err != nil {
			t.Fatal(err)
		}
	}
	await(t, events, len(mixed))
	if err := stop(); err != nil {
		t.Fatalf("Run = %v after cancellation, want nil", err)
	}
	checkMailbox(t, srv, mixed)
}

// checkMailbox asserts the outcome the product promises: exactly the
// rejections carry the keyword and no other flag was added, and Drafts
// holds one threaded draft per rejection.
func checkMailbox(t *testing.T, srv mailboxReader, want []mail) {
	t.Helper()
	checkOutcome(t, srv, want, true)
}

// mailboxReader is a test server whose mailboxes a test can read.
type mailboxReader interface {
	Messages(string) ([]demo.Message, error)
}

// checkOutcome is checkMailbox; keyword says whether the server takes
// custom keywords: where it does not, no flag at all may be added.
func checkOutcome(t *testing.T, srv mailboxReader, want []mail, keyword bool) {
	t.Helper()
	inbox, err := srv.Messages("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if len(inbox) != len(want) {
		t.Fatalf("INBOX has %d messages, want %d", len(inbox), len(want))
	}
	rejectionIDs := map[string]bool{}
	for i, m := range inbox {
		flagged := false
		for _, f := range m.Flags {
			switch {
			case strings.EqualFold(string(f), config.DefaultKeyword) && keyword:
				flagged = true
			case strings.EqualFold(string(f), `\Recent`):
			case keyword:
				t.Errorf("%s: flag %q was added; only the keyword may be", want[i].path, f)
			default:
				t.Errorf("%s: flag %q was added (the server takes no %s keyword)", want[i].path, f, config.DefaultKeyword)
			}
		}
		if keyword && flagged != want[i].rejection {
			t.Errorf("%s: flagged = %v, want %v", want[i].path, flagged, want[i].rejection)
		}
		if want[i].rejection {
			rejectionIDs[messageID(t, m.Raw)] = true
		}
	}
	checkDrafts(t, srv, rejectionIDs)
}

// checkDrafts asserts that Drafts holds one draft, marked \Draft, in reply
// to each of the rejections named by their Message-IDs.
func checkDrafts(t *testing.T, srv mailboxReader, rejectionIDs map[string]bool) {
	t.Helper()
	box, err := srv.Messages("Drafts")
	if err != nil {
		t.Fatal(err)
	}
	if len(box) != len(rejectionIDs) {
		t.Fatalf("Drafts has %d messages, want one per rejection (%d)", len(box), len(rejectionIDs))
	}
	for _, m := range box {
		if !hasFlag(m.Flags, imap.FlagDraft) {
			t.Errorf("draft %d lacks \\Draft: %v", m.UID, m.Flags)
		}
		e, err := gomessage.Read(bytes.NewReader(m.Raw))
		if err != nil {
			t.Fatal(err)
		}
		h := gomail.Header{Header: e.Header}
		irt, _ := h.MsgIDList("In-Reply-To")
		if len(irt) != 1 || !rejectionIDs[irt[0]] {
			t.Errorf("draft In-Reply-To = %v, want one of the rejections %v", irt, rejectionIDs)
			continue
		}
		delete(rejectionIDs, irt[0])
	}
}

func messageID(t *testing.T, raw []byte) string {
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := gomail.Header{Header: e.Header}
	id, _ := h.MessageID()
	return id
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	for _, x := range flags {
		if strings.EqualFold(string(x), string(f)) {
			return true
		}
	}
	return false
}

func TestRestartDoesNotDraftTwice(t *testing.T) {
	srv := startServer(t)
	deliverAll(t, srv, mixed)
	storePath := filepath.Join(t.TempDir(), "state.db")
	d, events := newDaemon(t, srv, storePath)
	stop := startDaemon(t, d)
	await(t, events, len(mixed))
	stop()
	d.Store.Close()

	// A new daemon on the same state sees nothing new.
	d2, events2 := newDaemon(t, srv, storePath)
	stop2 := startDaemon(t, d2)
	srv.Deliver("INBOX", read(t, "rej-en/027-direct-after-final-no-offer.eml"))
	got := await(t, events2, 1)
	stop2()
	if got[0].UID != uint32(len(mixed)+1) {
		t.Errorf("after restart the daemon handled uid %d, want only the new one (%d)", got[0].UID, len(mixed)+1)
	}
	checkMailbox(t, srv, append(mixed, mail{"rej-en/027-direct-after-final-no-offer.eml", true}))
}

// TestCrashAfterAppend covers a crash between APPEND and the state write:
// the draft is in Drafts but neither the state nor the keyword say so.
func TestCrashAfterAppend(t *testing.T) {
	srv := startServer(t)
	raw := read(t, "rej-en/001-greenhouse-after-onsite.eml")
	srv.Deliver("INBOX", raw)
	// The draft a crashed run left behind.
	leftover := "From: test@example.org\r\nSubject: Re: x\r\n" + drafts.HeaderRejection + ": <" +
		messageID(t, raw) + ">\r\nIn-Reply-To: <" + messageID(t, raw) + ">\r\n\r\nHi\r\n"
	srv.Deliver("Drafts", []byte(leftover))
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	stop := startDaemon(t, d)
	ev := await(t, events, 1)[0]
	stop()
	if !ev.Rejection || ev.DraftID == "" {
		t.Errorf("event = %+v, want the rejection answered by the existing draft", ev)
	}
	box, _ := srv.Messages("Drafts")
	if len(box) != 1 {
		t.Errorf("Drafts has %d messages, want the one left behind only", len(box))
	}
}

func TestWrongPasswordStops(t *testing.T) {
	srv := startServer(t)
	d, _ := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	t.Setenv("HIGHROAD_TEST_PASSWORD", "wrong")
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	select {
	case err := <-done:
		if err == nil || !daemon.IsPermanent(err) || !strings.Contains(err.Error(), "refused") {
			t.Errorf("Run with a wrong password = %v, want a permanent login error", err)
		}
		if strings.Contains(err.Error(), "wrong") {
			t.Errorf("the error shows the password: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run kept retrying a wrong password")
	}
	act, _ := d.Store.Activity("test")
	if !strings.Contains(act.LastError, "refused") {
		t.Errorf("state last error = %q, want the refusal recorded", act.LastError)
	}
}

func TestBadMessagesPassedOver(t *testing.T) {
	srv := startServer(t)
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	stop := startDaemon(t, d)
	huge := bytes.Buffer{}
	huge.WriteString("From: big@example.com\r\nSubject: big attachment\r\nMessage-ID: <big@x>\r\n\r\n")
	for huge.Len() < 25<<20 {
		huge.WriteString(strings.Repeat("A", 76) + "\r\n")
	}
	for _, raw := range [][]byte{
		[]byte("\r\n\r\nno header at all"),
		[]byte("From: x@y\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain; charset=x-nonsense\r\n\r\n\xff\xfe\r\n"),
		huge.Bytes(),
		read(t, "rej-en/001-greenhouse-after-onsite.eml"),
	} {
		if err := srv.Deliver("INBOX", raw); err != nil {
			t.Fatal(err)
		}
	}
	got := await(t, events, 4)
	stop()
	if !got[3].Rejection || got[3].DraftID == "" {
		t.Errorf("the message after the bad ones was not handled: %+v", got[3])
	}
	for _, ev := range got[:3] {
		if ev.Rejection {
			t.Errorf("a bad message was taken as a rejection: %+v", ev)
		}
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	srv := startServer(t)
	deliverAll(t, srv, mixed)
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"), func(o *daemon.Options) { o.DryRun = true })
	stop := startDaemon(t, d)
	got := await(t, events, len(mixed))
	stop()
	n := 0
	for _, ev := range got {
		if ev.Rejection {
			n++
		}
	}
	if n != 3 {
		t.Errorf("dry run found %d rejections, want 3", n)
	}
	inbox, _ := srv.Messages("INBOX")
	for _, m := range inbox {
		if len(m.Flags) > 0 && !(len(m.Flags) == 1 && strings.EqualFold(string(m.Flags[0]), `\Recent`)) {
			t.Errorf("dry run changed flags: %v", m.Flags)
		}
	}
	if box, _ := srv.Messages("Drafts"); len(box) != 0 {
		t.Errorf("dry run appended %d drafts", len(box))
	}
}

// TestOneBadMessageDoesNotStopTheAccount: a rejection that cannot be
// answered (no address to write from) is passed over, and the next one is
// handled.
func TestOneBadMessageDoesNotStopTheAccount(t *testing.T) {
	srv := startServer(t)
	raw := string(read(t, mixed[0].path))
	i := strings.Index(raw, "\r\nTo:")
	end := strings.Index(raw[i+2:], "\r\n")
	srv.Deliver("INBOX", []byte(raw[:i]+"\r\nTo: undisclosed-recipients:;"+raw[i+2+end:]))
	srv.Deliver("INBOX", read(t, mixed[2].path))
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	d.Config.Profile.Address = "" // and the username "alex" is no address
	stop := startDaemon(t, d)
	got := await(t, events, 2)
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if !strings.HasPrefix(got[0].Skipped, "no draft") || got[1].DraftID == "" {
		t.Errorf("events = %+v / %+v; want the first passed over and the second drafted", got[0], got[1])
	}
}

func TestPanicIsNotACrash(t *testing.T) {
	srv := startServer(t)
	srv.Deliver("INBOX", read(t, mixed[0].path))
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	d.Classifier = nil // every Classify panics
	stop := startDaemon(t, d)
	ev := await(t, events, 1)[0]
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if ev.Skipped != "internal error" {
		t.Errorf("event = %+v, want the message passed over as an internal error", ev)
	}
}

// TestCancelWhileTheServerIsSilent: a server that accepts and never
// answers must not hold up a stop.
func TestCancelWhileTheServerIsSilent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent
			accepted <- struct{}{}
		}
	}()
	srv := &demo.Server{Addr: ln.Addr().String(), User: "alex", Password: "x"}
	d, _ := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	d.Timeouts.Command = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	<-accepted // it is now waiting for a greeting that never comes
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v after cancellation, want nil", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return within 3 s of cancellation while the server was silent")
	}
}

// TestPolling checks that mail is found by polling, as on servers without
// IDLE (or with idle: false).
func TestPolling(t *testing.T) {
	var trace syncBuffer
	srv, err := demo.StartTraced("alex", "s3cret-pass", &trace)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	d, events := newDaemon(t, srv, filepath.Join(t.TempDir(), "state.db"))
	off := false
	d.Config.Accounts[0].Idle = &off
	d.Config.Accounts[0].PollInterval = config.Duration(100 * time.Millisecond) // below the config's floor, for the test
	d.Timeouts.Recheck = time.Hour                                              // only polling can find the mail
	stop := startDaemon(t, d)
	srv.Deliver("INBOX", read(t, mixed[1].path))
	await(t, events, 1) // the first pass is over; what comes next only polling finds
	srv.Deliver("INBOX", read(t, mixed[0].path))
	ev := await(t, events, 1)[0]
	stop()
	if !ev.Rejection || ev.DraftID == "" {
		t.Errorf("event = %+v, want the rejection drafted", ev)
	}
	if log := trace.String(); strings.Contains(log, " IDLE\r\n") || !strings.Contains(log, " NOOP\r\n") {
		t.Errorf("with idle: false the daemon must poll with NOOP and never IDLE; the server saw:\n%.2000s", log)
	}
}
