package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/highroad/highroad/config"
)

// initOptions are highroad init's flags, and in interactive mode the
// answers that fill in what the flags left out.
type initOptions struct {
	cfgPath                      string
	force, noCheck, yes          bool
	provider, server, tls        string
	port                         int
	username, auth, caFile       string
	name, address, linkedin, sig string
	pwEnv, pwFile, pwCmd, token  string
	set                          map[string]bool // flags given on the command line
}

var initCommand = &command{
	name: "init", noArgs: true,
	summary: "write a configuration file, asking what the flags leave out (-yes asks nothing)",
	help: `Writes the configuration file (mode 600) from the flags and, without -yes, from
answers to questions: the provider, the server, the login and where highroad
finds the password (a command, a file or an environment variable; the password
itself is never stored). Then it checks the account as highroad check does.`,
	flags: func(fs *flag.FlagSet) func(*env) error {
		o := &initOptions{set: map[string]bool{}}
		o.define(fs)
		return func(e *env) error {
			o.cfgPath = e.config
			fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
			return o.run(e)
		}
	},
}

// run writes a configuration file from flags or, without -yes, from
// answers to questions on stdout read line by line from stdin. It never
// asks for a password, only where highroad will find it.
func (o *initOptions) run(e *env) error {
	path := o.cfgPath
	if path == "" {
		if path = config.DefaultPath(); path == "" {
			return usagef("no user configuration folder; give -config FILE")
		}
	}
	if _, err := os.Lstat(path); err == nil && !o.force {
		return fmt.Errorf("%s already exists; use -force to replace it, or -config to write elsewhere", path)
	}
	cfg, err := o.configure(e.stdin, e.stdout)
	if err != nil {
		return err
	}
	if err := config.WriteFile(path, cfg, o.force); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nWrote %s (readable only by you).\n", path)
	if p := o.chosen(); p.Server != "" {
		fmt.Fprintf(e.stdout, "%s\n", wrap(p.Label+": "+p.Note+".", 80, ""))
	}
	return o.finish(e, path)
}

func (o *initOptions) define(fs *flag.FlagSet) {
	fs.BoolVar(&o.force, "force", false, "replace an existing configuration file")
	fs.BoolVar(&o.yes, "yes", false, "ask nothing: take every value from the flags (missing required ones are an error)")
	fs.BoolVar(&o.noCheck, "no-check", false, "do not connect to the server after writing the file")
	fs.StringVar(&o.provider, "provider", "", "mail `PROVIDER`: "+presetNames()+" (default other when -server is given)")
	fs.StringVar(&o.server, "server", "", "IMAP server `HOST` (default: the provider's)")
	fs.IntVar(&o.port, "port", 0, "IMAP `PORT` (default: the provider's, or 993 for imaps and 143 otherwise)")
	fs.StringVar(&o.tls, "tls", "", "TLS `MODE`: imaps, starttls, or plain (only to 127.0.0.1)")
	fs.StringVar(&o.caFile, "ca-file", "", "trust the server certificate in `FILE` (Proton Mail Bridge's, a self-signed one)")
	fs.StringVar(&o.username, "username", "", "IMAP `LOGIN`, usually your email address")
	fs.StringVar(&o.auth, "auth", "", "`MECHANISM`: password, xoauth2 or oauthbearer (default: xoauth2 with -token-command, else password)")
	fs.StringVar(&o.pwCmd, "password-command", "", "`COMMAND` that prints the password, e.g. \"pass show mail\"")
	fs.StringVar(&o.pwEnv, "password-env", "", "environment `VARIABLE` holding the password")
	fs.StringVar(&o.pwFile, "password-file", "", "`FILE` holding the password (mode 600)")
	fs.StringVar(&o.token, "token-command", "", "`COMMAND` that prints an OAuth2 access token (auth xoauth2 or oauthbearer)")
	fs.StringVar(&o.name, "name", "", "your `NAME`, as replies are signed")
	fs.StringVar(&o.address, "address", "", "your email `ADDRESS` (default: the username when it is one)")
	fs.StringVar(&o.linkedin, "linkedin", "", "your LinkedIn profile `URL`, offered in replies")
	fs.StringVar(&o.sig, "signature", "", "your `SIGNATURE`; \\n starts a new line")
}

func presetNames() string {
	var names []string
	for _, p := range config.Presets {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// configure returns the configuration to write: from the flags alone with
// -yes, otherwise after asking for what the flags left out.
func (o *initOptions) configure(stdin io.Reader, stdout io.Writer) (*config.Config, error) {
	if !o.yes {
		if err := o.interview(newPrompter(stdin, stdout)); err != nil {
			return nil, err
		}
	}
	return o.build()
}

// build turns the options into a configuration; errors name the flag.
func (o *initOptions) build() (*config.Config, error) {
	p, err := o.preset()
	if err != nil {
		return nil, err
	}
	a, err := o.account(p)
	if err != nil {
		return nil, err
	}
	prof, err := o.profile()
	if err != nil {
		return nil, err
	}
	return &config.Config{Profile: prof, Accounts: []config.Account{a}}, nil
}

func (o *initOptions) preset() (config.Preset, error) {
	name := o.provider
	if name == "" && o.server != "" {
		name = "other"
	}
	if name == "" {
		return config.Preset{}, usagef("-provider is required (one of %s), or -server", presetNames())
	}
	p, ok := config.PresetByName(name)
	if !ok {
		return config.Preset{}, usagef("-provider %q is not one of %s", name, presetNames())
	}
	return p, nil
}

func (o *initOptions) account(p config.Preset) (config.Account, error) {
	a := config.Account{Name: p.Name, Server: p.Server, Port: p.Port, TLS: p.TLS, CAFile: o.caFile, Username: o.username}
	if p.Server == "" {
		a.Name = "" // the username names it
	}
	if err := o.connection(&a); err != nil {
		return a, err
	}
	if a.Username == "" {
		return a, usagef("-username is required (the IMAP login, usually your email address)")
	}
	a.Auth = o.resolveAuth(p)
	return a, o.secret(&a)
}

// connection applies -server, -tls and -port over the preset's.
func (o *initOptions) connection(a *config.Account) error {
	if o.server != "" {
		a.Server = o.server
	}
	if err := checkServer(a.Server); err != nil {
		return usageError{fmt.Errorf("-server: %w", err)}
	}
	if o.tls != "" && o.tls != a.TLS {
		if err := checkTLS(o.tls); err != nil {
			return usageError{fmt.Errorf("-tls: %w", err)}
		}
		a.TLS, a.Port = o.tls, defaultPort(o.tls)
	}
	if a.TLS == "" {
		a.TLS, a.Port = config.TLSImplicit, defaultPort(config.TLSImplicit)
	}
	if o.port != 0 {
		if err := checkPort(strconv.Itoa(o.port)); err != nil {
			return usageError{fmt.Errorf("-port: %w", err)}
		}
		a.Port = o.port
	}
	return nil
}

func defaultPort(tls string) int {
	if tls == config.TLSImplicit {
		return 993
	}
	return 143
}

// resolveAuth picks the mechanism: -auth, else what the secret flags imply,
// else the provider's.
func (o *initOptions) resolveAuth(p config.Preset) string {
	switch {
	case o.auth != "":
		return o.auth
	case o.token != "" && oauth(p.Auth):
		return p.Auth
	case o.token != "":
		return config.AuthXOAuth2
	case o.pwCmd != "" || o.pwEnv != "" || o.pwFile != "":
		return config.AuthPassword
	}
	return p.Auth
}

func oauth(auth string) bool { return auth == config.AuthXOAuth2 || auth == config.AuthOAuthBearer }

// secret checks that exactly the right one of the secret flags is given.
func (o *initOptions) secret(a *config.Account) error {
	a.PasswordCommand, a.PasswordEnv, a.PasswordFile, a.TokenCommand = o.pwCmd, o.pwEnv, o.pwFile, o.token
	passwords := 0
	for _, s := range []string{o.pwCmd, o.pwEnv, o.pwFile} {
		if s != "" {
			passwords++
		}
	}
	switch {
	case a.Auth != config.AuthPassword && !oauth(a.Auth):
		return usagef("-auth %q is not one of password, xoauth2, oauthbearer", a.Auth)
	case oauth(a.Auth) && passwords > 0:
		return usagef("-auth %s takes -token-command, not a password flag", a.Auth)
	case oauth(a.Auth) && o.token == "":
		return usagef("-token-command is required with -auth %s (a command that prints an access token)", a.Auth)
	case !oauth(a.Auth) && o.token != "":
		return usagef("-token-command is for -auth xoauth2 or oauthbearer; for a password use -password-command, -password-env or -password-file")
	case !oauth(a.Auth) && passwords == 0:
		return usagef("one of -password-command, -password-env or -password-file is required (the password itself is never stored)")
	case passwords > 1:
		return usagef("give only one of -password-command, -password-env, -password-file")
	}
	return nil
}

func (o *initOptions) profile() (config.Profile, error) {
	p := config.Profile{Name: o.name, Address: o.address, LinkedIn: o.linkedin, Signature: unescape(o.sig)}
	if p.Address == "" && !o.set["address"] && checkAddress(o.username) == nil {
		p.Address = o.username
	}
	if err := checkAddress(p.Address); p.Address != "" && err != nil {
		return p, usageError{fmt.Errorf("-address: %w", err)}
	}
	if err := checkLinkedIn(p.LinkedIn); err != nil {
		return p, usageError{fmt.Errorf("-linkedin: %w", err)}
	}
	return p, nil
}

// unescape turns the two characters \n into a line break.
func unescape(s string) string { return strings.ReplaceAll(s, `\n`, "\n") }

// finish runs the checks of highroad check, unless -no-check, and says
// what to do next.
func (o *initOptions) finish(e *env, path string) error {
	flagPart := ""
	if o.cfgPath != "" && o.cfgPath != config.DefaultPath() {
		flagPart = " -config " + quoteArg(path)
	}
	if !o.noCheck {
		fmt.Fprintf(e.stdout, "\nChecking the account (as highroad check does)...\n")
		ce := *e
		ce.config = path
		if err := check(&ce); err != nil {
			fmt.Fprintf(e.stderr, "\nhighroad init: the check failed. Fix the account or %s, then run: highroad check%s\n", path, flagPart)
			return err
		}
	}
	steps := [][2]string{
		{"highroad scan -dry-run" + flagPart, "see what highroad would flag and draft in recent mail"},
		{"highroad install" + flagPart, "run highroad as a service that starts at login"},
	}
	if o.noCheck {
		steps = append([][2]string{{"highroad check" + flagPart, "connect and check the account"}}, steps...)
	}
	width := 0
	for _, s := range steps {
		width = max(width, len(s[0]))
	}
	fmt.Fprintf(e.stdout, "\nNext:\n")
	for _, s := range steps {
		fmt.Fprintf(e.stdout, "  %-*s  %s\n", width, s[0], s[1])
	}
	return nil
}

func quoteArg(s string) string {
	if strings.ContainsAny(s, " \t'\"$\\") {
		return strconv.Quote(s)
	}
	return s
}
