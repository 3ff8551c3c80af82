package config

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func account(extra string) string {
	return "accounts:\n  - name: work\n    server: imap.example.org\n    username: alex@example.org\n" + extra
}

func TestAccountDefaults(t *testing.T) {
	c, err := Parse("c.yaml", []byte(account("    password_env: HR_PW\n")))
	if err != nil {
		t.Fatal(err)
	}
	a := c.Accounts[0]
	if a.TLS != TLSImplicit || a.Port != 993 || a.Keyword != "$JobRejection" || a.Mailboxes[0] != "INBOX" ||
		time.Duration(a.FirstRunWindow) != 14*24*time.Hour || a.Drafts != "Drafts" || a.Auth != AuthPassword {
		t.Errorf("defaults = %+v", a)
	}
	c, _ = Parse("c.yaml", []byte(account("    tls: starttls\n    password_env: HR_PW\n    poll_interval: 2m\n")))
	if c.Accounts[0].Port != 143 || time.Duration(c.Accounts[0].PollInterval) != 2*time.Minute {
		t.Errorf("starttls defaults = %+v", c.Accounts[0])
	}
}

func TestAccountErrors(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte("pw\n"), 0o644)
	cases := []struct{ name, src, want string }{
		{"no secret", account(""), "exactly one of"},
		{"two secrets", account("    password_env: A\n    password_command: pass x\n"), "exactly one of"},
		{"plain remote", account("    tls: plain\n    password_env: A\n"), "only allowed to a loopback"},
		{"bad tls", account("    tls: ssl\n    password_env: A\n"), `tls: "ssl"`},
		{"readable secret file", account("    password_file: " + open + "\n"), "chmod 600"},
		{"oauth without token", account("    auth: xoauth2\n    password_env: A\n"), "token_command"},
		{"bad keyword", account("    keyword: Job Rejection\n    password_env: A\n"), "not a valid IMAP keyword"},
		{"bad duration", account("    first_run_window: two weeks\n    password_env: A\n"), "c.yaml:5: \"two weeks\" is not a duration"},
		{"fast poll", account("    poll_interval: 1s\n    password_env: A\n"), "shorter than 10s"},
		{"unknown key", account("    pasword_env: A\n"), "c.yaml:5: pasword_env is not a known setting"},
		{"line of account", "profile:\n  name: x\n" + account(""), "c.yaml:4: account \"work\""},
	}
	for _, c := range cases {
		_, err := Parse("c.yaml", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", c.name, err, c.want)
		}
	}
	if _, err := Parse("c.yaml", []byte("accounts:\n  - name: a\n    server: 127.0.0.1\n    tls: plain\n    username: u\n    password_env: A\n")); err != nil {
		t.Errorf("plain to loopback refused: %v", err)
	}
}

func TestSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	os.WriteFile(file, []byte("from-file\nsecond line\n"), 0o600)
	t.Setenv("HR_TEST_PW", "from-env")
	cases := []struct {
		a    Account
		want string
	}{
		{Account{Name: "e", PasswordEnv: "HR_TEST_PW"}, "from-env"},
		{Account{Name: "f", PasswordFile: file}, "from-file"},
		{Account{Name: "c", PasswordCommand: "printf 'from-command\\nignored'"}, "from-command"},
		{Account{Name: "t", TokenCommand: "echo tok-123"}, "tok-123"},
	}
	for _, c := range cases {
		got, err := c.a.Secret(context.Background())
		if err != nil || got != c.want {
			t.Errorf("Secret(%s) = %q, %v; want %q", c.a.Name, got, err, c.want)
		}
	}
	// Failures name the source but never print what the command wrote.
	_, err := (&Account{Name: "x", PasswordCommand: "echo hunter2; exit 3"}).Secret(context.Background())
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "password_command") {
		t.Errorf("failed command error = %v", err)
	}
	_, err = (&Account{Name: "x", PasswordEnv: "HR_TEST_UNSET"}).Secret(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HR_TEST_UNSET is not set") {
		t.Errorf("unset variable error = %v", err)
	}
}
