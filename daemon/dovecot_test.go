package daemon_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/daemon"
	"github.com/highroad/highroad/demo"
	"github.com/highroad/highroad/dovecot"
)

// realServer wraps a Dovecot for the checks shared with the in-process
// server.
type realServer struct{ *dovecot.Server }

func (s realServer) Messages(mailbox string) ([]demo.Message, error) {
	c, err := s.Dial()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return demo.ReadMailbox(c, mailbox)
}

func (s realServer) deliver(t testing.TB, raw []byte) {
	t.Helper()
	if _, err := s.Append("INBOX", raw); err != nil {
		t.Fatalf("deliver: %v\n%s", err, s.Log())
	}
}

// configFor returns the configuration text of an account on srv.
func configFor(srv *dovecot.Server, statePath string) string {
	host, port, _ := strings.Cut(srv.Addr, ":")
	return "profile:\n  name: Test User\n  address: test@example.org\n" +
		"state: " + statePath + "\n" +
		"accounts:\n  - name: dovecot\n    server: " + host + "\n    port: " + port + "\n    tls: imaps\n" +
		"    ca_file: " + srv.CAFile + "\n    username: " + srv.User + "\n    password_env: HIGHROAD_TEST_PASSWORD\n" +
		"    first_run_window: 3650d\n    poll_interval: 10s\n"
}

func dovecotDaemon(t testing.TB, srv *dovecot.Server) (*daemon.Daemon, chan daemon.Event) {
	// A buffered channel the size of the first-scan benchmark: the daemon
	// blocks on a full one.
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		tt.Setenv("HIGHROAD_TEST_PASSWORD", srv.Password)
	} else {
		os.Setenv("HIGHROAD_TEST_PASSWORD", srv.Password)
	}
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	tm := daemon.Timeouts{Command: 10 * time.Second, Recheck: 30 * time.Second, BackoffMin: 100 * time.Millisecond, BackoffMax: time.Second}
	return buildDaemon(t, filepath.Join(dir, "config.yaml"), configFor(srv, statePath), statePath, tm, 10000)
}

func TestDovecotMixedMail(t *testing.T) {
	srv := realServer{dovecot.Start(t)}
	d, events := dovecotDaemon(t, srv.Server)
	stop := startDaemon(t, d)
	for _, m := range mixed {
		srv.deliver(t, read(t, m.path))
	}
	await(t, events, len(mixed))
	if err := stop(); err != nil {
		t.Fatalf("Run = %v after cancellation, want nil", err)
	}
	checkMailbox(t, srv, mixed)
}

// TestDovecotReconnect drops the server while highroad idles (killed, then
// restarted) and checks that mail delivered afterwards is handled.
func TestDovecotReconnect(t *testing.T) {
	srv := realServer{dovecot.Start(t)}
	d, events := dovecotDaemon(t, srv.Server)
	stop := startDaemon(t, d)
	srv.deliver(t, read(t, mixed[0].path))
	await(t, events, 1)
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	srv.deliver(t, read(t, mixed[2].path))
	await(t, events, 1)
	if err := srv.Restart(); err != nil { // a clean restart too
		t.Fatal(err)
	}
	srv.deliver(t, read(t, mixed[1].path))
	await(t, events, 1)
	stop()
	checkMailbox(t, srv, []mail{mixed[0], mixed[2], mixed[1]})
}

func TestDovecotWrongPassword(t *testing.T) {
	srv := dovecot.Start(t)
	d, _ := dovecotDaemon(t, srv)
	t.Setenv("HIGHROAD_TEST_PASSWORD", "not-the-password")
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background()) }()
	select {
	case err := <-done:
		if !daemon.IsPermanent(err) || !strings.Contains(err.Error(), "refused") || strings.Contains(err.Error(), "not-the-password") {
			t.Errorf("Run = %v, want a permanent login refusal that does not show the password", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run kept retrying a wrong password")
	}
	if n := strings.Count(srv.Log(), "Password mismatch"); n != 1 {
		t.Errorf("the server saw %d failed logins, want exactly one (no retry storm):\n%s", n, srv.Log())
	}
}

// TestDovecotBadMessages delivers malformed mail and a 25 MB message before
// a rejection: they are passed over, memory stays bounded, the rejection is
// handled.
func TestDovecotBadMessages(t *testing.T) {
	srv := realServer{dovecot.Start(t)}
	var huge bytes.Buffer
	huge.WriteString("From: big@example.com\r\nSubject: big attachment\r\nMessage-ID: <big@example.com>\r\n" +
		"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n" +
		"--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for huge.Len() < 25<<20 {
		huge.WriteString(strings.Repeat("QUJD", 19) + "\r\n")
	}
	huge.WriteString("--B--\r\n")
	srv.deliver(t, []byte("Subject: no sender, no blank line, no body"))
	srv.deliver(t, []byte("From: x@y\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain; charset=x-nonsense\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n"))
	srv.deliver(t, huge.Bytes())
	srv.deliver(t, read(t, mixed[0].path))
	huge.Reset()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	d, events := dovecotDaemon(t, srv.Server)
	stop := startDaemon(t, d)
	got := await(t, events, 4)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	stop()
	if !got[3].Rejection || got[3].DraftID == "" {
		t.Errorf("the rejection after the bad messages was not handled: %+v", got[3])
	}
	if got[2].Bytes > 256<<10 {
		t.Errorf("fetched %d bytes of the 25 MB message, want a bounded prefix", got[2].Bytes)
	}
	if grew := int64(after.TotalAlloc - before.TotalAlloc); grew > 64<<20 {
		t.Errorf("handling a 25 MB message allocated %d MB", grew>>20)
	}
}

// TestDovecotKillAndRestart kills the highroad process with SIGKILL at
// random points while it works, 20 times, and checks that in the end every
// rejection has exactly one draft.
func TestDovecotKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary 20 times")
	}
	srv := realServer{dovecot.Start(t)}
	bin := buildHighroad(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(configFor(srv.Server, filepath.Join(dir, "state.db"))), 0o600)
	pool := []mail{mixed[0], mixed[1], mixed[2], mixed[3], mixed[4], mixed[5],
		{"rej-en/027-direct-after-final-no-offer.eml", true}, {"rej-intl/030-es-reply-after.eml", true}}
	var delivered []mail
	for i := 0; i < 20; i++ {
		for k := 0; k < 3; k++ {
			m := pool[(3*i+k)%len(pool)]
			srv.deliver(t, uniqueID(read(t, m.path), fmt.Sprintf("kill%d-%d", i, k)))
			delivered = append(delivered, m)
		}
		cmd := highroadRun(t, bin, cfgPath, srv.Password)
		// The kill point is the scenario, not synchronisation: anywhere
		// from before the login to the middle of appending.
		time.Sleep(time.Duration(rand.IntN(600)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	cmd, logs := highroadRunLog(t, bin, cfgPath, srv.Password)
	want := 0
	for _, m := range delivered {
		if m.rejection {
			want++
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		// Done when every draft is there and the last run has started,
		// so that SIGTERM tests a clean stop.
		box, err := srv.Messages("Drafts")
		if err == nil && len(box) >= want && strings.Contains(logs.String(), "highroad started") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Drafts has %d drafts after 60 s, want %d", len(box), want)
		}
		time.Sleep(200 * time.Millisecond) // polling the server's state, not ordering goroutines
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("highroad run after SIGTERM: %v", err)
	}
	checkMailbox(t, srv, delivered)
}

// uniqueID gives a corpus message a Message-ID of its own, so that the same
// text can arrive several times as different mail.
func uniqueID(raw []byte, tag string) []byte {
	s := string(raw)
	i := strings.Index(strings.ToLower(s), "\nmessage-id:")
	if i < 0 {
		return []byte("Message-ID: <" + tag + "@test.example>\r\n" + s)
	}
	end := strings.IndexByte(s[i+1:], '\n')
	return []byte(s[:i+1] + "Message-ID: <" + tag + "@test.example>\r" + s[i+1+end:])
}

func buildHighroadB(t testing.TB) string { return buildHighroad(t) }

func highroadRunB(t testing.TB, bin, cfgPath, password string) *exec.Cmd {
	return highroadRun(t, bin, cfgPath, password)
}

func buildHighroad(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "highroad")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/highroad")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func highroadRun(t testing.TB, bin, cfgPath, password string) *exec.Cmd {
	cmd, _ := highroadRunLog(t, bin, cfgPath, password)
	return cmd
}

// highroadRunLog starts `highroad run` and returns its log as it grows.
func highroadRunLog(t testing.TB, bin, cfgPath, password string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, "run", "-config", cfgPath)
	cmd.Env = append(os.Environ(), "HIGHROAD_TEST_PASSWORD="+password)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		if t.Failed() {
			t.Logf("highroad log:\n%s", logs.String())
		}
	})
	return cmd, logs
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reading test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDovecotTLSMismatch swaps Dovecot's two listeners: implicit TLS on the
// plain port, STARTTLS on the IMAPS port. Each must stop at once with the
// fix named, not wait for the command timeout or retry forever; with the
// modes that match, both connect (the sniffed greeting is replayed).
func TestDovecotTLSMismatch(t *testing.T) {
	srv := dovecot.Start(t)
	for _, tt := range []struct{ addr, mode, want string }{
		{srv.PlainAddr, config.TLSImplicit, "set tls: starttls"},
		{srv.Addr, config.TLSStartTLS, "set tls: imaps"},
		{srv.PlainAddr, config.TLSStartTLS, ""},
		{srv.Addr, config.TLSImplicit, ""},
	} {
		d := mismatchDaemon(t, tt.addr, tt.mode, srv.CAFile)
		d.Config.Accounts[0].Username = srv.User
		t.Setenv("HIGHROAD_TEST_PASSWORD", srv.Password) // after mismatchDaemon's
		err := check(t, d)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Check(%s to %s) = %v, want success", tt.mode, tt.addr, err)
		case tt.want != "" && (!daemon.IsPermanent(err) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Check(%s to %s) = %v, want a permanent error that says %q", tt.mode, tt.addr, err, tt.want)
		}
	}
}
