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

// second is a configuration whose second account, named name, starts on
// line 8 and goes on with lines from line 9. A comment before it holds the
// keys of an account.
func second(name, lines string) string {
	return "# accounts:\n#   - port: 993\naccounts:\n" +
		"  - name: home\n    server: imap.example.org\n    username: a@example.org\n    password_env: HR_PW\n" +
		"  - name: " + name + "\n" + lines
}

// TestAccountErrors wants each error at the line of the bad key, or at the
// account's first line for a key it lacks.
func TestAccountErrors(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte("pw\n"), 0o644)
	const (
		srv  = "    server: imap.example.org\n"   // line 9 when first
		user = "    username: alex@example.org\n" // line 10 after srv
		pw   = "    password_env: HR_PW\n"        // line 11 after srv and user
	)
	w := func(s string) string { return second("work", s) }
	cases := []struct{ name, src, want string }{
		{"bad port in the second account", w(srv + user + pw + "    port: 70000\n"),
			`c.yaml:12: account "work": port: 70000 is not a port number (1-65535)`},
		{"no server", w(user + pw), `c.yaml:8: account "work": no server (add server: imap.example.org)`},
		{"server as URL", w(user + "    server: imaps://imap.example.org\n" + pw),
			`c.yaml:10: account "work": server: "imaps://imap.example.org" is not a host name`},
		{"server with port", w(user + pw + "    server: imap.example.org:993\n"),
			`c.yaml:11: account "work": server: "imap.example.org:993" holds a port`},
		{"no username", w(srv + pw), `c.yaml:8: account "work": no username`},
		{"bad tls", w(srv + user + "    tls: ssl\n" + pw), `c.yaml:11: account "work": tls: "ssl" is not one of imaps, starttls, plain`},
		{"plain remote", w(srv + "    tls: plain\n" + user + pw), `c.yaml:10: account "work": tls: plain sends your password unencrypted`},
		{"missing ca_file", w(srv + user + pw + "    ca_file: " + filepath.Join(dir, "none.pem") + "\n"),
			`c.yaml:12: account "work": ca_file: stat ` + filepath.Join(dir, "none.pem") + ": no such file"},
		{"ca_file a folder", w(srv + user + pw + "    ca_file: " + dir + "\n"), `c.yaml:12: account "work": ca_file: ` + dir + " is a folder"},
		{"bad auth", w(srv + user + "    auth: cram-md5\n" + pw), `c.yaml:11: account "work": auth: "cram-md5" is not one of password, xoauth2, oauthbearer`},
		{"oauth without token", w(srv + user + "    auth: xoauth2\n" + pw), `c.yaml:11: account "work": auth: xoauth2 needs token_command`},
		{"token with password auth", w(srv + user + "    token_command: oama\n"), `c.yaml:11: account "work": token_command is for auth: xoauth2 or oauthbearer`},
		{"no secret", w(srv + user), `c.yaml:8: account "work": no secret: give exactly one of`},
		{"two secrets", w(srv + user + pw + "    password_command: pass x\n"),
			`c.yaml:12: account "work": both password_env and password_command: give exactly one of`},
		{"bad variable", w(srv + user + "    password_env: HR-PW\n"), `c.yaml:11: account "work": password_env: "HR-PW" is not an environment variable name`},
		{"readable secret file", w(srv + user + "    password_file: " + open + "\n"),
			`c.yaml:11: account "work": password_file: ` + open + " can be read by others (mode -rw-r--r--); run: chmod 600 " + open},
		{"missing secret file", w(srv + user + "    password_file: " + open + "x\n"), `c.yaml:11: account "work": password_file: stat ` + open + "x: no such file"},
		{"empty mailbox", w(srv + user + pw + "    mailboxes:\n      - INBOX\n      - \"\"\n"), `c.yaml:12: account "work": mailboxes: an empty name`},
		{"bad keyword", w(srv + user + "    keyword: Job Rejection\n" + pw), `c.yaml:11: account "work": keyword "Job Rejection" is not a valid IMAP keyword`},
		{"bad duration", w(srv + user + pw + "    first_run_window: two weeks\n"), `c.yaml:12: "two weeks" is not a duration`},
		{"fast poll", w(srv + user + pw + "    poll_interval: 1s\n"), `c.yaml:12: account "work": poll_interval 1s is shorter than 10s`},
		{"unknown key", w(srv + user + "    pasword_env: A\n"), "c.yaml:11: pasword_env is not a known setting under Account"},
		{"name used twice", second("home", srv+user+pw), `c.yaml:8: two accounts are named "home"`},
		{"unnamed, username used twice", "accounts:\n  - server: a.example.org\n    username: u\n    password_env: A\n" +
			"  - server: b.example.org\n    username: u\n    password_env: A\n", `c.yaml:5: two accounts are named "u"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(c.src))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("Parse(%q) = %v, want an error starting %q", c.src, err, c.want)
			}
		})
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
	// Nor what it wrote on stderr, which may hold the secret too.
	_, err = (&Account{Name: "x", PasswordCommand: "echo 'gpg: bad passphrase hunter2-s3cret' >&2; exit 1"}).Secret(context.Background())
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "gpg") ||
		!strings.Contains(err.Error(), "password_command failed (exit status 1); run it yourself to see why") {
		t.Errorf("failed command with stderr: error = %v", err)
	}
	_, err = (&Account{Name: "x", PasswordEnv: "HR_TEST_UNSET"}).Secret(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HR_TEST_UNSET is not set") {
		t.Errorf("unset variable error = %v", err)
	}
}
