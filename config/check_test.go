package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestChecks(t *testing.T) {
	dir := t.TempDir()
	secret, open := filepath.Join(dir, "pw"), filepath.Join(dir, "open")
	os.WriteFile(secret, []byte("x\n"), 0o600)
	os.WriteFile(open, []byte("x\n"), 0o644)
	cases := []struct {
		check    string
		f        func(string) error
		ok, fail []string
		want     string // in the error for fail[0]
	}{
		{"CheckServer", CheckServer, []string{"imap.example.org", "127.0.0.1", "::1"},
			[]string{"imaps://imap.example.org", "", "imap example.org", "imap.example.org/x", "imap.example.org:993"}, "is not a host name; write it bare"},
		{"CheckTLS", CheckTLS, []string{"imaps", "starttls", "plain"}, []string{"ssl", "", "IMAPS"}, `"ssl" is not one of imaps, starttls, plain`},
		{"CheckAuth", CheckAuth, []string{"password", "xoauth2", "oauthbearer"}, []string{"cram-md5", ""}, `"cram-md5" is not one of password`},
		{"CheckAddress", CheckAddress, []string{"", "a@example.org"}, []string{"Alex <a@example.org>", "example.org", "a @b"}, "write it bare: you@example.org"},
		{"CheckLinkedIn", CheckLinkedIn, []string{"", "https://www.linkedin.com/in/a", "http://x"}, []string{"linkedin.com/in/a"}, "is not a URL starting with https://"},
		{"CheckEnv", CheckEnv, []string{"HR_PW", "_x1"}, []string{"HR-PW", "", "1X"}, `"HR-PW" is not an environment variable name`},
		{"CheckSecretFile", CheckSecretFile, []string{secret}, []string{filepath.Join(dir, "none"), ""}, "create it first, readable only by you (chmod 600)"},
		{"CheckCAFile", CheckCAFile, []string{"", secret, open}, []string{filepath.Join(dir, "none"), dir}, "give the server's certificate file, or none"},
		{"ParsePort", func(s string) error { _, err := ParsePort(s); return err }, []string{"1", "993", "65535"},
			[]string{"993x", "0", "65536", "-1", ""}, `"993x" is not a port number (1-65535)`},
	}
	if runtime.GOOS != "windows" {
		cases[6].fail = append(cases[6].fail, open)
	}
	for _, c := range cases {
		t.Run(c.check, func(t *testing.T) {
			for _, s := range c.ok {
				if err := c.f(s); err != nil {
					t.Errorf("%s(%q) = %v, want nil", c.check, s, err)
				}
			}
			for i, s := range c.fail {
				err := c.f(s)
				if err == nil || i == 0 && !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s(%q) = %v, want an error containing %q", c.check, s, err, c.want)
				}
			}
		})
	}
}

// TestChecksMatchFile wants the configuration file to refuse, at the
// value's line, with the same words, each value that the checks highroad
// init uses refuse.
func TestChecksMatchFile(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte("x\n"), 0o644)
	acct := func(key, v string) string {
		return "accounts:\n  - name: w\n    server: imap.example.org\n    username: u\n" +
			"    " + key + ": " + strconv.Quote(v) + "\n" // line 5
	}
	cases := []struct {
		key, value string
		check      func(string) error
		src        string
	}{
		{"server", "imaps://x.org", CheckServer, "accounts:\n  - name: w\n    username: u\n    password_env: A\n    server: \"imaps://x.org\"\n"},
		{"tls", "ssl", CheckTLS, acct("tls", "ssl") + "    password_env: A\n"},
		{"port", "70000", func(s string) error { _, err := ParsePort(s); return err }, "accounts:\n  - name: w\n    server: imap.example.org\n    username: u\n    port: 70000\n    password_env: A\n"},
		{"auth", "cram-md5", CheckAuth, acct("auth", "cram-md5") + "    password_env: A\n"},
		{"password_env", "HR-PW", CheckEnv, acct("password_env", "HR-PW")},
		{"password_file", open, CheckSecretFile, acct("password_file", open)},
		{"ca_file", filepath.Join(dir, "none"), CheckCAFile, acct("ca_file", filepath.Join(dir, "none")) + "    password_env: A\n"},
		{"profile.address", "Alex <a@b.org>", CheckAddress, "profile:\n  name: x\n  linkedin: https://x\n  # address: a@b.org\n  address: \"Alex <a@b.org>\"\n"},
		{"profile.linkedin", "in/alex", CheckLinkedIn, "profile:\n  name: x\n  address: a@b.org\n  # linkedin: https://x\n  linkedin: in/alex\n"},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			cerr := c.check(c.value)
			if cerr == nil {
				t.Fatalf("check(%q) = nil, want an error", c.value)
			}
			_, err := Parse("c.yaml", []byte(c.src))
			if err == nil || !strings.HasPrefix(err.Error(), "c.yaml:5: ") || !strings.HasSuffix(err.Error(), c.key+": "+cerr.Error()) {
				t.Errorf("Parse(%q) = %v, want an error at c.yaml:5 ending %q", c.src, err, c.key+": "+cerr.Error())
			}
		})
	}
}
