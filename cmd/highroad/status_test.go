package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/highroad/highroad/demo"
	"github.com/highroad/highroad/samples"
	"github.com/highroad/highroad/state"
)

// demoAccount starts an in-process IMAP server holding the samples, then
// extra, and writes a configuration for it; it returns the configuration's
// path and the state file's.
func demoAccount(t *testing.T, extra ...[]byte) (cfg, statePath string) {
	t.Helper()
	srv, err := demo.Start("alex", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var mail [][]byte
	for _, s := range samples.All() {
		mail = append(mail, s.Raw)
	}
	for _, raw := range append(mail, extra...) {
		if err := srv.Deliver("INBOX", raw); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HIGHROAD_TEST_PASSWORD", "s3cret")
	host, port, _ := net.SplitHostPort(srv.Addr)
	dir := t.TempDir()
	statePath = filepath.Join(dir, "state.db")
	cfg = filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("profile:\n  name: Alex Doe\n  address: alex@example.org\nstate: "+statePath+"\n"+
		"accounts:\n  - name: work\n    server: "+host+"\n    port: "+port+"\n    tls: plain\n    username: alex\n"+
		"    password_env: HIGHROAD_TEST_PASSWORD\n    first_run_window: 3650d\n"), 0o600)
	return cfg, statePath
}

func runWith(t *testing.T, cfg string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	status := run(append([]string{args[0], "-config", cfg}, args[1:]...), nil, &out, &errb)
	return out.String(), errb.String(), status
}

// TestScanAndStatusTellTheTruth scans the same mailbox twice and checks
// that the counts are of distinct messages, that mail handled before is
// counted and named, and that a success clears an old error.
func TestScanAndStatusTellTheTruth(t *testing.T) {
	cfg, statePath := demoAccount(t)
	out, errOut, status := runWith(t, cfg, "scan", "-since", "2000-01-01")
	if status != 0 {
		t.Fatalf("first scan = %d: %s", status, errOut)
	}
	if !strings.Contains(out, "5 messages received since 2000-01-01: 3 rejections (3 drafted now, 0 handled before)") {
		t.Errorf("first scan's summary:\n%s", out)
	}
	// Each line names the mail as a person knows it: date, sender, subject.
	for _, want := range []string{"2026-03-12", "Lumenfield Robotics <no-reply@greenhouse-mail.io>", "Your application to Lumenfield Robotics", "drafted, marked"} {
		if !strings.Contains(out, want) {
			t.Errorf("first scan lacks %q:\n%s", want, out)
		}
	}
	out, _, status = runWith(t, cfg, "scan", "-since", "2000-01-01")
	if status != 0 || !strings.Contains(out, "3 rejections (0 drafted now, 3 handled before)") || !strings.Contains(out, "handled before") {
		t.Errorf("second scan = %d:\n%s", status, out)
	}

	st, err := state.Open(statePath)
	if err != nil {
		t.Fatal(err)
	}
	st.Record("work", func(a *state.Activity) { a.LastError, a.LastErrorAt = "login refused", time.Now() })
	st.Close()
	if _, errOut, status := runWith(t, cfg, "check"); status != 0 {
		t.Fatalf("check = %d: %s", status, errOut)
	}
	out, errOut, status = runWith(t, cfg, "status", "-offline")
	if status != 0 {
		t.Fatalf("status = %d: %s", status, errOut)
	}
	if !strings.Contains(out, "5 seen, 3 rejections, 3 drafts") {
		t.Errorf("status after two scans of 5 messages:\n%s", out)
	}
	if strings.Contains(out, "login refused") {
		t.Errorf("status still shows an error that a successful check cleared:\n%s", out)
	}
	if !strings.Contains(out, "highroad is not running") {
		t.Errorf("status does not say highroad is not running:\n%s", out)
	}
}

// TestStatusSeesAForegroundRun holds the claim a running highroad holds
// and asks status.
func TestStatusSeesAForegroundRun(t *testing.T) {
	cfg, statePath := demoAccount(t)
	c, err := state.Acquire(statePath, state.Runner{PID: os.Getpid(), Started: time.Now(), How: "foreground"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	out, _, _ := runWith(t, cfg, "status", "-offline")
	if !strings.Contains(out, "highroad is running (foreground, pid") {
		t.Errorf("status while a run holds the state:\n%s", out)
	}
	// And a second daemon on the same state is refused at once.
	_, errOut, status := runWith(t, cfg, "run")
	if status == 0 || !strings.Contains(errOut, "already running") {
		t.Errorf("a second run = %d %q; want a refusal", status, errOut)
	}
}

// TestWrongTLSModeNamesTheFix points an imaps account at a plain IMAP
// port: check and run both stop at once and say which setting to change.
func TestWrongTLSModeNamesTheFix(t *testing.T) {
	cfg, _ := demoAccount(t)
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "tls: plain", "tls: imaps", 1)), 0o600)
	out, _, status := runWith(t, cfg, "check")
	if status != exitConfig || !strings.Contains(out, "the server speaks plain IMAP on this port, not TLS: set tls: starttls") {
		t.Errorf("check with imaps on a plain port = %d:\n%s", status, out)
	}
	done := make(chan int, 1)
	var errOut string
	go func() {
		var s int
		_, errOut, s = runWith(t, cfg, "run")
		done <- s
	}()
	select {
	case s := <-done:
		if s != exitConfig || !strings.Contains(errOut, "set tls: starttls") {
			t.Errorf("run with imaps on a plain port = %d:\n%s", s, errOut)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run with a setting that never worked is still retrying after 30 s")
	}
}

// TestStatusShowsWaitingDrafts: drafts the server refused are counted
// with the server's words, and their rejections say so.
func TestStatusShowsWaitingDrafts(t *testing.T) {
	st, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Record("work", func(a *state.Activity) { a.LastContact = time.Now() })
	for _, id := range []string{"a@x", "b@x", "c@x"} {
		st.PutRejection(state.Rejection{Account: "work", MessageID: id, Company: "Northwind", Received: time.Now(),
			Refused: "[OVERQUOTA] quota exceeded", Attempts: 1, NextTry: time.Now().Add(time.Minute)})
	}
	st.PutRejection(state.Rejection{Account: "work", MessageID: "d@x", DraftID: "<d@y>", Received: time.Now()})
	var out bytes.Buffer
	if err := printStatus(&out, st, 10, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3 drafts waiting: the server refused them: [OVERQUOTA] quota exceeded (next try ",
		"draft refused by the server; highroad will try again"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printStatus lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "refused by the server"); n != 3 {
		t.Errorf("printStatus marks %d rejections as refused, want 3:\n%s", n, out.String())
	}
}
