package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/highroad/highroad/state"
)

const (
	rejection = "../../testdata/corpus/rej-en/001-greenhouse-after-onsite.eml"
	lookalike = "../../testdata/corpus/not-en/001-ack-greenhouse-keep-on-file.eml"
)

// runCmd runs highroad in-process with an empty configuration file.
func runCmd(t *testing.T, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, nil, 0o600)
	if len(args) > 0 {
		args = append([]string{args[0], "-config", cfg}, args[1:]...)
	}
	var out, errb bytes.Buffer
	status = run(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), status
}

func TestClassifyJSON(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.eml")
	os.WriteFile(bad, []byte("\r\nno header at all\r\n"), 0o644)
	out, errOut, status := runCmd(t, "", "classify", "-json", rejection, bad, lookalike, "/does/not/exist.eml")
	if status != 1 {
		t.Errorf("classify with unreadable files exited %d, want 1", status)
	}
	if !strings.Contains(errOut, "bad.eml") || !strings.Contains(errOut, "exist.eml") {
		t.Errorf("stderr does not name the failed files: %q", errOut)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
		}
		lines = append(lines, v)
	}
	if len(lines) != 4 {
		t.Fatalf("got %d JSON lines, want one per input (4)", len(lines))
	}
	for _, k := range []string{"file", "rejection", "score", "threshold", "rules", "contact_name", "contact_address", "company", "role", "stage", "language"} {
		if _, ok := lines[0][k]; !ok {
			t.Errorf("JSON line lacks %q: %v", k, lines[0])
		}
	}
	if lines[0]["rejection"] != true || lines[2]["rejection"] != false {
		t.Errorf("rejection flags = %v, %v; want true, false", lines[0]["rejection"], lines[2]["rejection"])
	}
	if lines[0]["contact_name"] != "Dana Okafor" || lines[0]["company"] != "Lumenfield Robotics" {
		t.Errorf("extracted fields = %v / %v", lines[0]["contact_name"], lines[0]["company"])
	}
	rules := lines[0]["rules"].([]any)
	if len(rules) == 0 {
		t.Fatal("no rules in the explanation")
	}
	r := rules[0].(map[string]any)
	for _, k := range []string{"id", "weight", "match"} {
		if _, ok := r[k]; !ok {
			t.Errorf("rule lacks %q: %v", k, r)
		}
	}
	if lines[1]["error"] == nil || lines[3]["error"] == nil {
		t.Errorf("failed files have no error field: %v / %v", lines[1], lines[3])
	}
}

func TestClassifyStdinAndText(t *testing.T) {
	raw, _ := os.ReadFile(rejection)
	out, _, status := runCmd(t, string(raw), "classify", "-")
	if status != 0 || !strings.Contains(out, "-: REJECTION") || !strings.Contains(out, "en.decision.other-candidate") {
		t.Errorf("classify - = %d:\n%s", status, out)
	}
}

func TestDraft(t *testing.T) {
	out, _, status := runCmd(t, "", "draft", rejection)
	if status != 0 {
		t.Fatalf("draft exited %d", status)
	}
	for _, want := range []string{"Subject: Re: Your application to Lumenfield Robotics", "To: \"Dana Okafor\" <dana.okafor@lumenfield.io>", "In-Reply-To: <", "X-Highroad-Rejection: <"} {
		if !strings.Contains(out, want) {
			t.Errorf("draft lacks %q:\n%s", want, out)
		}
	}
	_, errOut, status := runCmd(t, "", "draft", lookalike)
	if status != 1 || !strings.Contains(errOut, "not a rejection") {
		t.Errorf("draft of a look-alike = %d %q, want refusal", status, errOut)
	}
	out, _, status = runCmd(t, "", "draft", "-force", lookalike)
	if status != 0 || !strings.Contains(out, "Subject: Re:") {
		t.Errorf("draft -force of a look-alike = %d", status)
	}
}

func TestRulesAndDemo(t *testing.T) {
	out, _, status := runCmd(t, "", "rules")
	if status != 0 || !strings.Contains(out, "en.decision.other-candidate") || !strings.Contains(out, "threshold 6") {
		t.Errorf("rules = %d:\n%.300s", status, out)
	}
}

// TestDemo runs the README's first command and reads it as a newcomer
// would: messages in mailbox order, plain words, the keyword as configured,
// and with -explain scores that are the sum of the weights listed.
func TestDemo(t *testing.T) {
	out, _, status := runCmd(t, "", "demo", "-exit")
	if status != 0 || strings.Count(out, "A rejection") < 2 || !strings.Contains(out, "left alone") || !strings.Contains(out, "Subject: Re:") {
		t.Errorf("demo = %d:\n%.500s", status, out)
	}
	if strings.Contains(out, "en.decision") {
		t.Errorf("demo without -explain lists rule ids:\n%s", out)
	}
	if !strings.Contains(out, "marked $JobRejection") {
		t.Errorf("demo does not name the keyword as configured:\n%.800s", out)
	}
	prev := 0
	for _, m := range regexp.MustCompile(`INBOX message (\d+):`).FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		if n <= prev {
			t.Errorf("demo lists message %d after %d", n, prev)
		}
		prev = n
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	out, _, status = runCmd(t, "", "demo", "-exit", "-explain", "-port", strconv.Itoa(port))
	if !strings.Contains(out, "127.0.0.1:"+strconv.Itoa(port)) {
		t.Errorf("demo -port %d serves elsewhere:\n%.300s", port, out)
	}
	if status != 0 {
		t.Fatalf("demo -explain = %d", status)
	}
	checkSums(t, out)
}

// checkSums adds up the weights listed under each "evidence" heading and
// compares them with the score on the verdict line above.
func checkSums(t *testing.T, out string) {
	t.Helper()
	verdict := regexp.MustCompile(`\(score (-?\d+), threshold \d+\)`)
	weight := regexp.MustCompile(`^\s+([+-]\d+) `)
	score, sum, counting, checked := 0, 0, false, 0
	flush := func() {
		if counting {
			checked++
			if sum != score {
				t.Errorf("a verdict says score %d but its evidence adds up to %d:\n%s", score, sum, out)
			}
		}
		counting, sum = false, 0
	}
	for _, line := range strings.Split(out, "\n") {
		switch m := verdict.FindStringSubmatch(line); {
		case m != nil:
			flush()
			score, _ = strconv.Atoi(m[1])
		case strings.Contains(line, "evidence (adds up to the score)"):
			counting = true
		case strings.Contains(line, "stage cues"), strings.Contains(line, "→"):
			flush()
		case counting:
			if w := weight.FindStringSubmatch(line); w != nil {
				n, _ := strconv.Atoi(w[1])
				sum += n
			}
		}
	}
	flush()
	if checked == 0 {
		t.Errorf("no verdict with evidence found in:\n%s", out)
	}
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if status := run([]string{"frobnicate"}, nil, &out, &errb); status != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Errorf("unknown command = %d %q", status, errb.String())
	}
	if status := run(nil, nil, &out, &errb); status != 2 {
		t.Errorf("no command = %d, want 2", status)
	}
}

func TestConfigChangesRules(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte("classifier:\n  disable: [en.decision.other-candidate, en.decision.regret]\n"), 0o600)
	var out, errb bytes.Buffer
	run([]string{"classify", "-config", cfg, "-json", rejection}, nil, &out, &errb)
	if strings.Contains(out.String(), "en.decision.other-candidate") {
		t.Errorf("a disabled rule still fired: %s", out.String())
	}
	os.WriteFile(cfg, []byte("profile:\n  nmae: typo\n"), 0o600)
	out.Reset()
	errb.Reset()
	if status := run([]string{"classify", "-config", cfg, rejection}, nil, &out, &errb); status != exitConfig || !strings.Contains(errb.String(), cfg+":2:") {
		t.Errorf("config with an unknown key = %d %q, want %d and an error at %s:2", status, errb.String(), exitConfig, cfg)
	}
}

func TestStatus(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("state: "+filepath.Join(dir, "state.db")+"\n"), 0o600)
	var out, errb bytes.Buffer
	if status := run([]string{"status", "-config", cfg}, nil, &out, &errb); status != 0 || !strings.Contains(out.String(), "has not run yet") {
		t.Errorf("status on a new state = %d %q %q", status, out.String(), errb.String())
	}
	st, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Record("work", func(a *state.Activity) { a.Rejections, a.Drafts = 2, 2; a.LastError = "login refused" })
	st.MarkSeen("work", "INBOX", 1, []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	st.MarkSeen("work", "INBOX", 1, []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}) // seen again by a scan
	st.PutRejection(state.Rejection{Account: "work", MessageID: "a@b", Company: "Northwind", Role: "Data Engineer", DraftID: "d@e", Received: time.Now()})
	st.Close()
	out.Reset()
	if status := run([]string{"status", "-config", cfg}, nil, &out, &errb); status != 0 {
		t.Fatalf("status = %d: %s", status, errb.String())
	}
	for _, want := range []string{"account work", "12 seen, 2 rejections, 2 drafts", "login refused", "Northwind", "Data Engineer"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestCheckWithoutAccounts(t *testing.T) {
	_, errOut, status := runCmd(t, "", "check")
	if status != exitConfig || !strings.Contains(errOut, "no accounts configured") {
		t.Errorf("check with no accounts = %d %q", status, errOut)
	}
}

// TestServiceCommands installs, inspects and removes the user service with
// a fake systemctl, as a newcomer would with the real one.
func TestServiceCommands(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the fake systemctl is a shell script for Linux")
	}
	home, bin, sysState := t.TempDir(), t.TempDir(), t.TempDir()
	script, _ := os.ReadFile("../../install/testdata/fake-systemctl")
	os.WriteFile(filepath.Join(bin, "systemctl"), script, 0o755)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_SYSTEMD", sysState)
	t.Setenv("HOME", home)
	exe := filepath.Join(home, "bin", "highroad")
	os.MkdirAll(filepath.Dir(exe), 0o755)
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	cfg := filepath.Join(home, "config.yaml")
	os.WriteFile(cfg, []byte("state: "+filepath.Join(home, "state.db")+"\naccounts:\n  - name: a\n    server: imap.example.org\n    username: a@example.org\n    password_command: echo x\n"), 0o600)
	common := []string{"-config", cfg, "-platform", "linux-systemd", "-executable", exe}
	var out, errb bytes.Buffer
	if status := run(append([]string{"install"}, common...), nil, &out, &errb); status != 0 {
		t.Fatalf("install = %d: %s", status, errb.String())
	}
	unit := filepath.Join(home, ".config", "systemd", "user", "highroad.service")
	for _, want := range []string{"wrote " + unit, "started the service", "journalctl --user -u highroad", "enable-linger"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("install output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	run(append([]string{"stop"}, common...), nil, &out, &errb)
	if !strings.Contains(out.String(), "stopped") {
		t.Errorf("stop output = %q", out.String())
	}
	out.Reset()
	if status := run(append([]string{"uninstall"}, common...), nil, &out, &errb); status != 0 || !strings.Contains(out.String(), "removed "+unit) {
		t.Errorf("uninstall = %d:\n%s%s", status, out.String(), errb.String())
	}
	if _, err := os.Stat(unit); !os.IsNotExist(err) {
		t.Errorf("unit file left behind: %v", err)
	}
	out.Reset()
	if status := run(append([]string{"uninstall"}, common...), nil, &out, &errb); status != 0 || !strings.Contains(out.String(), "nothing to do") {
		t.Errorf("second uninstall = %d: %s", status, out.String())
	}
}
