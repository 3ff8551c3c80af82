package config

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// TLS modes of an account.
const (
	TLSImplicit = "imaps"    // TLS from the first byte (port 993)
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 143)
	TLSNone     = "plain"    // no TLS: only to a loopback address, and only when asked for
)

// Authentication mechanisms of an account.
const (
	AuthPassword    = "password"    // LOGIN with a password
	AuthXOAuth2     = "xoauth2"     // SASL XOAUTH2 with a token (Gmail, Outlook)
	AuthOAuthBearer = "oauthbearer" // SASL OAUTHBEARER with a token
)

// Account is one mailbox highroad watches.
type Account struct {
	Name     string `yaml:"name"`
	Server   string `yaml:"server"`
	Port     int    `yaml:"port"`
	TLS      string `yaml:"tls"`
	CAFile   string `yaml:"ca_file"`
	Username string `yaml:"username"`
	Auth     string `yaml:"auth"`

	// Exactly one of these supplies the secret: a password, or for the
	// OAuth mechanisms a token.
	PasswordEnv     string `yaml:"password_env"`
	PasswordFile    string `yaml:"password_file"`
	PasswordCommand string `yaml:"password_command"`
	TokenCommand    string `yaml:"token_command"`

	Mailboxes      []string `yaml:"mailboxes"`
	Drafts         string   `yaml:"drafts"`
	Keyword        string   `yaml:"keyword"`
	PollInterval   Duration `yaml:"poll_interval"`
	FirstRunWindow Duration `yaml:"first_run_window"`
	// Idle, when false, polls even where the server offers IDLE (for
	// servers whose IDLE stops reporting mail).
	Idle *bool `yaml:"idle"`
}

// UseIdle reports whether to wait with IDLE where the server has it.
func (a *Account) UseIdle() bool { return a.Idle == nil || *a.Idle }

// Defaults for an account.
const (
	DefaultKeyword        = "$JobRejection"
	DefaultDrafts         = "Drafts"
	DefaultPollInterval   = 5 * time.Minute
	DefaultFirstRunWindow = 14 * 24 * time.Hour
)

// Duration is a time.Duration written as "90s", "5m", "36h" or "14d".
type Duration time.Duration

// UnmarshalText parses a duration, with "d" for days.
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a duration (write 14d, 36h, 5m or 90s)", s)
		}
		*d = Duration(time.Duration(n) * 24 * time.Hour)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration (write 14d, 36h, 5m or 90s)", s)
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML parses a duration and says on which line a bad one is.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if err := d.UnmarshalText([]byte(n.Value)); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// MarshalText writes the duration back in the form UnmarshalText reads.
func (d Duration) MarshalText() ([]byte, error) {
	if v := time.Duration(d); v%(24*time.Hour) == 0 && v > 0 {
		return []byte(strconv.Itoa(int(v/(24*time.Hour))) + "d"), nil
	}
	return []byte(time.Duration(d).String()), nil
}

// Addr returns host:port.
func (a *Account) Addr() string { return net.JoinHostPort(a.Server, strconv.Itoa(a.Port)) }

// setDefaults fills in what the user left out.
func (a *Account) setDefaults() {
	if a.TLS == "" {
		a.TLS = TLSImplicit
	}
	if a.Port == 0 {
		a.Port = 993
		if a.TLS != TLSImplicit {
			a.Port = 143
		}
	}
	if a.Auth == "" {
		a.Auth = AuthPassword
	}
	if len(a.Mailboxes) == 0 {
		a.Mailboxes = []string{"INBOX"}
	}
	if a.Drafts == "" {
		a.Drafts = DefaultDrafts
	}
	if a.Keyword == "" {
		a.Keyword = DefaultKeyword
	}
	if a.PollInterval == 0 {
		a.PollInterval = Duration(DefaultPollInterval)
	}
	if a.FirstRunWindow == 0 {
		a.FirstRunWindow = Duration(DefaultFirstRunWindow)
	}
	if a.Name == "" {
		a.Name = a.Username
	}
}

// validate checks one account after setDefaults. at says where a key of
// the account is in the file: the key's line, or the account's first line
// for a key it lacks.
func (a *Account) validate(at func(key string) string) error {
	fail := func(key, format string, args ...any) error {
		return fmt.Errorf("%s: account %q: "+format, append([]any{at(key), a.Name}, args...)...)
	}
	for _, check := range []func(failer) error{a.checkConnection, a.checkAuth, a.checkSecret, a.checkMail} {
		if err := check(fail); err != nil {
			return err
		}
	}
	return nil
}

// failer makes the error for a bad key of an account.
type failer func(key, format string, args ...any) error

func (a *Account) checkConnection(fail failer) error {
	if a.Server == "" {
		return fail("", "no server (add server: imap.example.org)")
	}
	if err := CheckServer(a.Server); err != nil {
		return fail("server", "server: %w", err)
	}
	if a.Username == "" {
		return fail("", "no username (add username: with the IMAP login, usually your email address)")
	}
	if err := CheckTLS(a.TLS); err != nil {
		return fail("tls", "tls: %w", err)
	}
	if a.TLS == TLSNone && !loopback(a.Server) {
		return fail("tls", "tls: plain sends your password unencrypted; it is only allowed to a loopback address such as 127.0.0.1")
	}
	if err := CheckPort(a.Port); err != nil {
		return fail("port", "port: %w", err)
	}
	if a.CAFile != "" {
		a.CAFile = expandHome(a.CAFile)
		if err := CheckCAFile(a.CAFile); err != nil {
			return fail("ca_file", "ca_file: %w", err)
		}
	}
	return nil
}

func (a *Account) checkAuth(fail failer) error {
	if err := CheckAuth(a.Auth); err != nil {
		return fail("auth", "auth: %w", err)
	}
	if a.Auth == AuthPassword && a.TokenCommand != "" {
		return fail("token_command", "token_command is for auth: xoauth2 or oauthbearer; with a password use password_env, password_file or password_command")
	}
	if a.Auth != AuthPassword && a.TokenCommand == "" {
		return fail("auth", "auth: %s needs token_command: a command that prints an access token", a.Auth)
	}
	return nil
}

// checkSecret wants exactly one source of the secret, and a good one.
func (a *Account) checkSecret(fail failer) error {
	var given []string
	for _, s := range [][2]string{{"password_env", a.PasswordEnv}, {"password_file", a.PasswordFile},
		{"password_command", a.PasswordCommand}, {"token_command", a.TokenCommand}} {
		if s[1] != "" {
			given = append(given, s[0])
		}
	}
	const one = "give exactly one of password_env, password_file, password_command (or token_command for OAuth); passwords never go in this file"
	switch {
	case len(given) == 0:
		return fail("", "no secret: %s", one)
	case len(given) > 1:
		return fail(given[1], "both %s and %s: %s", given[0], given[1], one)
	}
	if a.PasswordEnv != "" {
		if err := CheckEnv(a.PasswordEnv); err != nil {
			return fail("password_env", "password_env: %w", err)
		}
	}
	if a.PasswordFile != "" {
		a.PasswordFile = expandHome(a.PasswordFile)
		if err := CheckSecretFile(a.PasswordFile); err != nil {
			return fail("password_file", "password_file: %w", err)
		}
	}
	return nil
}

func (a *Account) checkMail(fail failer) error {
	for _, m := range a.Mailboxes {
		if strings.TrimSpace(m) == "" {
			return fail("mailboxes", "mailboxes: an empty name; write each mailbox's name, e.g. INBOX")
		}
	}
	if strings.TrimSpace(a.Drafts) == "" {
		return fail("drafts", "drafts: an empty name; write the drafts mailbox's name, or leave drafts out for %s", DefaultDrafts)
	}
	if !validKeyword(a.Keyword) {
		return fail("keyword", "keyword %q is not a valid IMAP keyword (letters, digits and $ _ - . only)", a.Keyword)
	}
	if time.Duration(a.PollInterval) < 10*time.Second {
		return fail("poll_interval", "poll_interval %v is shorter than 10s; servers throttle such clients", time.Duration(a.PollInterval))
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validKeyword(k string) bool {
	if k == "" || strings.HasPrefix(k, "\\") {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("$_-.", r)) {
			return false
		}
	}
	return true
}

// secretTimeout bounds a password or token command.
const secretTimeout = 30 * time.Second

// Secret returns the account's password or token. The value is never
// logged; errors say where it was looked for, not what it is.
func (a *Account) Secret(ctx context.Context) (string, error) {
	switch {
	case a.PasswordEnv != "":
		v, ok := os.LookupEnv(a.PasswordEnv)
		if !ok || v == "" {
			return "", fmt.Errorf("account %q: environment variable %s is not set", a.Name, a.PasswordEnv)
		}
		return v, nil
	case a.PasswordFile != "":
		if err := CheckSecretFile(a.PasswordFile); err != nil {
			return "", fmt.Errorf("account %q: password_file: %w", a.Name, err)
		}
		b, err := os.ReadFile(a.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("account %q: read password_file: %w", a.Name, err)
		}
		return firstLine(b), nil
	case a.PasswordCommand != "":
		return runSecret(ctx, a.Name, "password_command", a.PasswordCommand)
	case a.TokenCommand != "":
		return runSecret(ctx, a.Name, "token_command", a.TokenCommand)
	}
	return "", fmt.Errorf("account %q: no secret configured", a.Name)
}

// runSecret runs a password or token command and returns the first line
// it printed. Neither its output nor its error output ever goes into an
// error: a failing command may well print the secret, or part of it, on
// either (gpg, pass and keyring helpers echo their input on some errors),
// and errors end up in the log, the state and status.
func runSecret(parent context.Context, account, key, command string) (string, error) {
	ctx, cancel := context.WithTimeout(parent, secretTimeout)
	defer cancel()
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd", "/C", command)
	} else {
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", command)
	}
	// Stderr stays nil (the null device): not even kept in memory, since
	// Output would keep it in the ExitError. A child that keeps stdout
	// open after the shell is killed must not hold up the stop.
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	switch {
	case parent.Err() != nil:
		return "", fmt.Errorf("account %q: %s interrupted: %w", account, key, parent.Err())
	case ctx.Err() == context.DeadlineExceeded:
		return "", fmt.Errorf("account %q: %s did not finish within %v; run it yourself to see why", account, key, secretTimeout)
	case err != nil:
		return "", fmt.Errorf("account %q: %s failed (%s); run it yourself to see why", account, key, exitReason(err))
	}
	s := firstLine(out)
	if s == "" {
		return "", fmt.Errorf("account %q: %s printed nothing", account, key)
	}
	return s, nil
}

// exitReason says how a command ended ("exit status 1", "signal: killed")
// or why it could not start, without anything it printed.
func exitReason(err error) string {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ProcessState.String()
	}
	return err.Error()
}

func firstLine(b []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	if sc.Scan() {
		return strings.TrimRight(sc.Text(), "\r")
	}
	return ""
}

// errNoAccounts reports a configuration without accounts to a command
// that needs one.
var errNoAccounts = errors.New("no accounts configured: add one under accounts: (see the README)")
