package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/highroad/highroad/config"
)

// prompter asks questions on out and reads one answer a line from in.
type prompter struct {
	sc  *bufio.Scanner
	out io.Writer
}

func newPrompter(in io.Reader, out io.Writer) *prompter {
	return &prompter{sc: bufio.NewScanner(in), out: out}
}

// ask returns the answer to q, or def for an empty one. It fails when the
// input ends.
func (p *prompter) ask(q, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(p.out, "%s [%s]: ", q, def)
	} else {
		fmt.Fprintf(p.out, "%s: ", q)
	}
	if !p.sc.Scan() {
		fmt.Fprintln(p.out)
		if err := p.sc.Err(); err != nil {
			return "", fmt.Errorf("read answer: %w", err)
		}
		return "", fmt.Errorf("input ended before %q was answered; run highroad init in a terminal, or give every value as a flag with -yes", q)
	}
	if ans := strings.TrimSpace(p.sc.Text()); ans != "" {
		return ans, nil
	}
	return def, nil
}

// askValid asks q until check accepts the answer.
func (p *prompter) askValid(q, def string, check func(string) error) (string, error) {
	for {
		ans, err := p.ask(q, def)
		if err != nil {
			return "", err
		}
		if err := check(ans); err != nil {
			fmt.Fprintf(p.out, "  %v\n", err)
			continue
		}
		return ans, nil
	}
}

// Checks of single answers and flags. The configuration is validated as a
// whole before it is written; these let a question be asked again.

func required(s string) error {
	if s == "" {
		return errors.New("an answer is required")
	}
	return nil
}

// The checks of single values are config's, so that init accepts and
// refuses exactly what the configuration file does.
var (
	checkServer     = config.CheckServer
	checkTLS        = config.CheckTLS
	checkAuth       = config.CheckAuth
	checkAddress    = config.CheckAddress
	checkLinkedIn   = config.CheckLinkedIn
	checkEnv        = config.CheckEnv
	checkSecretFile = config.CheckSecretFile
	checkCAFile     = config.CheckCAFile
)

func checkPort(s string) error {
	_, err := config.ParsePort(s)
	return err
}

// interview asks for what the flags left out, in the order of the file:
// the provider and server, the login and where its secret comes from, then
// the profile.
func (o *initOptions) interview(p *prompter) error {
	fmt.Fprintln(p.out, "highroad init writes a configuration file. Press Enter to take the [default].")
	steps := []func(*prompter) error{o.askProvider, o.askServer, o.askLogin, o.askSecret, o.askCAFile, o.askProfile}
	for _, step := range steps {
		if err := step(p); err != nil {
			return err
		}
	}
	return nil
}

func (o *initOptions) chosen() config.Preset {
	p, _ := o.preset()
	return p
}

func (o *initOptions) askProvider(p *prompter) error {
	if o.set["provider"] || o.set["server"] {
		_, err := o.preset() // an unknown -provider is a usage error
		return err
	}
	fmt.Fprintln(p.out, "\nWhich provider is your mailbox with?")
	for i, pr := range config.Presets {
		fmt.Fprintf(p.out, "  %d  %-9s %s\n     %s\n", i+1, pr.Name, pr.Label, wrap(pr.Note, 80, "     "))
	}
	ans, err := p.askValid("Provider (number or name)", "", func(s string) error {
		_, ok := presetAnswer(s)
		if !ok {
			return fmt.Errorf("%q is neither 1-%d nor one of %s", s, len(config.Presets), presetNames())
		}
		return nil
	})
	if err != nil {
		return err
	}
	pr, _ := presetAnswer(ans)
	o.provider = pr.Name
	return nil
}

// presetAnswer reads a preset's number or name.
func presetAnswer(s string) (config.Preset, bool) {
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(config.Presets) {
		return config.Presets[n-1], true
	}
	return config.PresetByName(s)
}

// askServer asks where the server is, unless the provider says so.
func (o *initOptions) askServer(p *prompter) (err error) {
	pr := o.chosen()
	if pr.Server != "" && !o.set["server"] {
		fmt.Fprintf(p.out, "\n%s: %s, port %d, %s.\n", pr.Label, pr.Server, pr.Port, pr.TLS)
		return nil
	}
	if !o.set["server"] {
		if o.server, err = p.askValid("\nIMAP server (e.g. imap.example.org)", "", checkServer); err != nil {
			return err
		}
	}
	if !o.set["tls"] {
		if o.tls, err = p.askValid("TLS: imaps, starttls, or plain (only to 127.0.0.1)", config.TLSImplicit, checkTLS); err != nil {
			return err
		}
	}
	if !o.set["port"] {
		port, err := p.askValid("Port", strconv.Itoa(defaultPort(o.tls)), checkPort)
		if err != nil {
			return err
		}
		o.port, _ = strconv.Atoi(port)
	}
	return nil
}

func (o *initOptions) askLogin(p *prompter) (err error) {
	if !o.set["username"] {
		if o.username, err = p.askValid("Username (usually your email address)", "", required); err != nil {
			return err
		}
	}
	if o.set["auth"] || o.pwCmd != "" || o.pwEnv != "" || o.pwFile != "" || o.token != "" {
		return nil // given, or implied by the secret flag
	}
	o.auth, err = p.askValid("Sign in with: password (or an app password), xoauth2 or oauthbearer", o.chosen().Auth, checkAuth)
	return err
}

// askSecret asks where the password or token comes from: never for it.
func (o *initOptions) askSecret(p *prompter) (err error) {
	if o.pwCmd != "" || o.pwEnv != "" || o.pwFile != "" || o.token != "" {
		return nil
	}
	if oauth(o.resolveAuth(o.chosen())) {
		o.token, err = p.askValid("Command that prints an access token (e.g. oama access you@example.org)", "", required)
		return err
	}
	fmt.Fprintln(p.out, "\nhighroad never stores your password. Where should it get it?")
	fmt.Fprintln(p.out, "  1  a command that prints it (e.g. pass show mail)")
	fmt.Fprintln(p.out, "  2  an environment variable")
	fmt.Fprintln(p.out, "  3  a file only you can read (chmod 600)")
	how, err := p.askValid("Choice", "1", func(s string) error {
		if s != "1" && s != "2" && s != "3" {
			return fmt.Errorf("%q is not 1, 2 or 3", s)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return o.askSecretSource(p, how)
}

func (o *initOptions) askSecretSource(p *prompter, how string) (err error) {
	switch how {
	case "1":
		o.pwCmd, err = p.askValid("Command", "", required)
	case "2":
		if o.pwEnv, err = p.askValid("Variable name", "HIGHROAD_PASSWORD", checkEnv); err == nil {
			if _, ok := os.LookupEnv(o.pwEnv); !ok {
				fmt.Fprintf(p.out, "  %s is not set here; set it wherever highroad runs.\n", o.pwEnv)
			}
		}
	case "3":
		o.pwFile, err = p.askValid("File", "", checkSecretFile)
	}
	return err
}

// askCAFile asks for a certificate to trust where one is usual: Proton
// Mail Bridge's, or a server of one's own.
func (o *initOptions) askCAFile(p *prompter) (err error) {
	name := o.chosen().Name
	if o.set["ca-file"] || name != "proton" && name != "other" {
		return nil
	}
	q := "Certificate file to trust (ca_file; empty for none)"
	if name == "proton" {
		q = "The Bridge's certificate file (export it from the Bridge settings; empty to skip)"
	}
	o.caFile, err = p.askValid(q, "", checkCAFile)
	return err
}

func (o *initOptions) askProfile(p *prompter) (err error) {
	fmt.Fprintln(p.out, "\nYour profile, for the drafts (empty to skip).")
	def := ""
	if checkAddress(o.username) == nil {
		def = o.username
	}
	qs := []struct {
		flag, q, def string
		dst          *string
		check        func(string) error
	}{
		{"name", "Your name", "", &o.name, func(string) error { return nil }},
		{"address", "Your email address", def, &o.address, checkAddress},
		{"linkedin", "LinkedIn profile URL", "", &o.linkedin, checkLinkedIn},
		{"signature", `Signature, one line (\n for a line break)`, "", &o.sig, func(string) error { return nil }},
	}
	for _, q := range qs {
		if o.set[q.flag] {
			continue
		}
		if *q.dst, err = p.askValid(q.q, q.def, q.check); err != nil {
			return err
		}
	}
	return nil
}

// wrap breaks s into lines of at most width, continued with indent.
func wrap(s string, width int, indent string) string {
	var b strings.Builder
	n := len(indent)
	for i, w := range strings.Fields(s) {
		if i > 0 && n+1+len(w) > width {
			b.WriteString("\n" + indent)
			n = len(indent)
		} else if i > 0 {
			b.WriteString(" ")
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
