package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/demo"
)

// initCmd runs highroad init in-process.
func initCmd(t *testing.T, stdin string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	status = run(append([]string{"init"}, args...), strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), status
}

// loadWritten loads the file init wrote and wants it readable only by its
// owner.
func loadWritten(t *testing.T, path string) *config.Config {
	t.Helper()
	c, err := config.Load(path)
	if err != nil {
		t.Fatalf("config.Load of the file init wrote: %v", err)
	}
	if st, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("mode of %s = %v, want 0600", path, st.Mode().Perm())
	}
	if len(c.Accounts) != 1 {
		t.Fatalf("init wrote %d accounts, want 1", len(c.Accounts))
	}
	return c
}

// presetArgs are the flags that make init with preset p need no answers.
func presetArgs(t *testing.T, p config.Preset) []string {
	args := []string{"-yes", "-no-check", "-provider", p.Name, "-username", "alex@example.org"}
	switch p.Name {
	case "other":
		args = append(args, "-server", "imap.example.org")
	case "proton":
		ca := filepath.Join(t.TempDir(), "bridge.pem")
		os.WriteFile(ca, []byte("not checked until connecting\n"), 0o600)
		args = append(args, "-ca-file", ca)
	}
	if p.Auth == config.AuthPassword {
		return append(args, "-password-env", "HIGHROAD_TEST_PASSWORD")
	}
	return append(args, "-token-command", "oama access alex@example.org")
}

func TestInitPresets(t *testing.T) {
	for _, p := range config.Presets {
		t.Run(p.Name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "highroad", "config.yaml")
			out, errOut, status := initCmd(t, "", append([]string{"-config", path}, presetArgs(t, p)...)...)
			if status != 0 {
				t.Fatalf("init -provider %s exited %d: %s", p.Name, status, errOut)
			}
			a := loadWritten(t, path).Accounts[0]
			server, port, tls := p.Server, p.Port, p.TLS
			if p.Name == "other" {
				server, port, tls = "imap.example.org", 993, config.TLSImplicit
			}
			if a.Server != server || a.Port != port || a.TLS != tls || a.Auth != p.Auth {
				t.Errorf("init -provider %s wrote %s:%d %s auth %s; want %s:%d %s auth %s",
					p.Name, a.Server, a.Port, a.TLS, a.Auth, server, port, tls, p.Auth)
			}
			if !strings.Contains(out, "highroad scan -dry-run") || !strings.Contains(out, "highroad install") {
				t.Errorf("init does not print the next steps:\n%s", out)
			}
		})
	}
}

func TestInitProfileFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	_, errOut, status := initCmd(t, "", "-config", path, "-yes", "-no-check", "-provider", "fastmail",
		"-username", "alex@example.org", "-password-command", "pass show mail", "-name", "Alex Morgan",
		"-linkedin", "https://www.linkedin.com/in/alexmorgan", "-signature", `Alex Morgan\n+44 20 7946 0018`)
	if status != 0 {
		t.Fatalf("init exited %d: %s", status, errOut)
	}
	c := loadWritten(t, path)
	want := config.Profile{Name: "Alex Morgan", Address: "alex@example.org",
		LinkedIn: "https://www.linkedin.com/in/alexmorgan", Signature: "Alex Morgan\n+44 20 7946 0018"}
	if c.Profile != want {
		t.Errorf("profile = %+v, want %+v", c.Profile, want)
	}
	if c.Accounts[0].PasswordCommand != "pass show mail" {
		t.Errorf("password_command = %q", c.Accounts[0].PasswordCommand)
	}
}

func TestInitOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	args := append([]string{"-config", path}, presetArgs(t, config.Presets[0])...)
	if _, errOut, status := initCmd(t, "", args...); status != 0 {
		t.Fatalf("first init exited %d: %s", status, errOut)
	}
	os.WriteFile(path, []byte("# edited by hand\n"), 0o600)
	_, errOut, status := initCmd(t, "", args...)
	if status != 1 || !strings.Contains(errOut, "already exists") || !strings.Contains(errOut, "use -force") {
		t.Errorf("init over an existing file exited %d, %q; want 1 and a hint to use -force", status, errOut)
	}
	if b, _ := os.ReadFile(path); string(b) != "# edited by hand\n" {
		t.Errorf("init without -force changed the file: %q", b)
	}
	// Without -force nothing is asked either: the refusal comes first.
	if out, _, status := initCmd(t, "1\n", "-config", path); status != 1 || strings.Contains(out, "Provider") {
		t.Errorf("interactive init over an existing file exited %d after asking:\n%s", status, out)
	}
	if _, errOut, status := initCmd(t, "", append(args, "-force")...); status != 0 {
		t.Fatalf("init -force exited %d: %s", status, errOut)
	}
	loadWritten(t, path)
}

func TestInitInteractive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	answers := strings.Join([]string{
		"aol",             // provider: not offered, asked again
		"1",               // gmail
		"alex@gmail.com",  // username
		"",                // auth: password
		"2",               // secret from an environment variable
		"GMAIL_PASSWORD",  // its name
		"Alex Morgan",     // name
		"",                // address: the username
		"linkedin.com/in", // not a URL: asked again
		"https://www.linkedin.com/in/alexmorgan",
		`Alex Morgan\n+44 20 7946 0018`,
	}, "\n") + "\n"
	out, errOut, status := initCmd(t, answers, "-config", path, "-no-check")
	if status != 0 {
		t.Fatalf("interactive init exited %d: %s\n%s", status, errOut, out)
	}
	c := loadWritten(t, path)
	a := c.Accounts[0]
	if a.Server != "imap.gmail.com" || a.Port != 993 || a.TLS != "imaps" || a.Username != "alex@gmail.com" ||
		a.Auth != "password" || a.PasswordEnv != "GMAIL_PASSWORD" {
		t.Errorf("account = %+v", a)
	}
	want := config.Profile{Name: "Alex Morgan", Address: "alex@gmail.com",
		LinkedIn: "https://www.linkedin.com/in/alexmorgan", Signature: "Alex Morgan\n+44 20 7946 0018"}
	if c.Profile != want {
		t.Errorf("profile = %+v, want %+v", c.Profile, want)
	}
	prompts := []string{"needs 2-step verification", "Provider (number or name):", `"aol" is neither`,
		"Username", "Sign in with", "[password]", "never stores your password", "Choice [1]:",
		"Variable name [HIGHROAD_PASSWORD]:", "Your name:", "Your email address [alex@gmail.com]:",
		"LinkedIn profile URL:", "is not a URL", "LinkedIn profile URL:", "Signature", "Wrote " + path}
	rest := out
	for _, p := range prompts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Fatalf("output lacks %q after the earlier prompts:\n%s", p, out)
		}
		rest = rest[i+len(p):]
	}
}

func TestInitInteractiveOther(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("not read by init\n"), 0o600)
	path := filepath.Join(dir, "config.yaml")
	answers := strings.Join([]string{"other", "imap.example.org", "starttls", "", "alex", "", "3", pwFile, "", "", "", "", ""}, "\n") + "\n"
	out, errOut, status := initCmd(t, answers, "-config", path, "-no-check")
	if status != 0 {
		t.Fatalf("interactive init exited %d: %s\n%s", status, errOut, out)
	}
	a := loadWritten(t, path).Accounts[0]
	if a.Server != "imap.example.org" || a.Port != 143 || a.TLS != "starttls" || a.PasswordFile != pwFile || a.Name != "alex" {
		t.Errorf("account = %+v", a)
	}
	if !strings.Contains(out, "Port [143]:") {
		t.Errorf("the port question does not offer 143 for starttls:\n%s", out)
	}
}

// TestInitInteractiveFlags asks only what the flags left out.
func TestInitInteractiveFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	out, errOut, status := initCmd(t, "\noama access alex@outlook.com\nAlex\n\n\n\n", "-config", path, "-no-check",
		"-provider", "outlook", "-username", "alex@outlook.com")
	if status != 0 {
		t.Fatalf("init exited %d: %s\n%s", status, errOut, out)
	}
	a := loadWritten(t, path).Accounts[0]
	if a.Auth != "xoauth2" || a.TokenCommand != "oama access alex@outlook.com" {
		t.Errorf("account = %+v", a)
	}
	if !strings.Contains(out, "Sign in with: password (or an app password), xoauth2 or oauthbearer [xoauth2]:") {
		t.Errorf("init does not offer Outlook's xoauth2:\n%s", out)
	}
	for _, asked := range []string{"Provider", "Username"} {
		if strings.Contains(out, asked) {
			t.Errorf("init asked %q although a flag answered it:\n%s", asked, out)
		}
	}
	if !strings.Contains(out, "$JobRejection flag") {
		t.Errorf("init does not pass on the Outlook note:\n%s", out)
	}
}

func TestInitInputEnds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	_, errOut, status := initCmd(t, "1\nalex@gmail.com\n", "-config", path, "-no-check")
	if status != 1 || !strings.Contains(errOut, "input ended") {
		t.Errorf("init with too few answers exited %d, %q; want 1 and input ended", status, errOut)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("init wrote a file from half the answers")
	}
}

// TestInitNeverWritesSecret gives the password in the environment and wants
// it nowhere in the file or the output.
func TestInitNeverWritesSecret(t *testing.T) {
	const secret = "correct-horse-battery-staple"
	t.Setenv("HIGHROAD_TEST_PASSWORD", secret)
	for _, p := range config.Presets {
		path := filepath.Join(t.TempDir(), "config.yaml")
		out, errOut, status := initCmd(t, "", append([]string{"-config", path}, presetArgs(t, p)...)...)
		if status != 0 {
			t.Fatalf("init -provider %s exited %d: %s", p.Name, status, errOut)
		}
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b)+out+errOut, secret) {
			t.Errorf("init -provider %s wrote or printed the password", p.Name)
		}
		if regexp.MustCompile(`(?m)^\s*password\s*:`).Match(b) {
			t.Errorf("init -provider %s wrote a password: key:\n%s", p.Name, b)
		}
	}
}

func TestInitUsageErrors(t *testing.T) {
	base := []string{"-yes", "-no-check", "-username", "alex@example.org"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no provider", []string{"-yes", "-password-env", "PW", "-username", "u"}, "-provider is required"},
		{"unknown provider", append(base, "-provider", "aol", "-password-env", "PW"), `-provider "aol"`},
		{"no username", []string{"-yes", "-provider", "gmail", "-password-env", "PW"}, "-username is required"},
		{"no secret", append(base, "-provider", "gmail"), "-password-command, -password-env or -password-file is required"},
		{"two secrets", append(base, "-provider", "gmail", "-password-env", "PW", "-password-file", "f"), "only one of"},
		{"oauth without token", append(base, "-provider", "outlook"), "-token-command is required"},
		{"oauth with password", append(base, "-provider", "gmail", "-auth", "xoauth2", "-password-env", "PW"), "takes -token-command"},
		{"token with password auth", append(base, "-provider", "gmail", "-auth", "password", "-token-command", "x"), "-token-command is for"},
		{"bad auth", append(base, "-provider", "gmail", "-auth", "cram-md5", "-password-env", "PW"), `-auth "cram-md5"`},
		{"bad tls", append(base, "-server", "imap.example.org", "-tls", "ssl", "-password-env", "PW"), "-tls"},
		{"bad port", append(base, "-server", "imap.example.org", "-port", "70000", "-password-env", "PW"), "-port"},
		{"url as server", append(base, "-server", "imaps://imap.example.org", "-password-env", "PW"), "-server"},
		{"bad address", append(base, "-provider", "gmail", "-password-env", "PW", "-address", "Alex <a@b>"), "-address"},
		{"bad linkedin", append(base, "-provider", "gmail", "-password-env", "PW", "-linkedin", "linkedin.com/in/a"), "-linkedin"},
		{"argument", append(base, "gmail"), "unexpected argument"},
		{"unknown flag", append(base, "-pasword-env", "PW"), "-pasword-env"},
	}
	for _, c := range cases {
		path := filepath.Join(t.TempDir(), "config.yaml")
		_, errOut, status := initCmd(t, "", append([]string{"-config", path}, c.args...)...)
		if status != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("init (%s) exited %d, %q; want 2 and %q", c.name, status, errOut, c.want)
		}
		if _, err := os.Stat(path); err == nil {
			t.Errorf("init (%s) wrote a file", c.name)
		}
	}
}

// TestInitCheck runs the checks of highroad check at the end, against an
// in-process IMAP server, and fails when the server cannot be reached.
func TestInitCheck(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("HIGHROAD_TEST_PASSWORD", "s3cret")
	srv, err := demo.Start("alex", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	host, port, _ := net.SplitHostPort(srv.Addr)
	args := []string{"-yes", "-server", host, "-port", port, "-tls", "plain", "-username", "alex", "-password-env", "HIGHROAD_TEST_PASSWORD"}

	path := filepath.Join(t.TempDir(), "config.yaml")
	out, errOut, status := initCmd(t, "", append([]string{"-config", path}, args...)...)
	if status != 0 || !strings.Contains(out, "login        ok") || !strings.Contains(out, "highroad install") {
		t.Errorf("init with a reachable server exited %d: %s\n%s", status, errOut, out)
	}

	srv.Close()
	out, errOut, status = initCmd(t, "", append([]string{"-config", path, "-force"}, args...)...)
	if status != 1 || !strings.Contains(out, "problem") || !strings.Contains(errOut, "highroad check -config") {
		t.Errorf("init with the server gone exited %d: %s\n%s", status, errOut, out)
	}
	loadWritten(t, path) // the file stays, to be fixed by hand
}
