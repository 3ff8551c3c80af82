package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Preset is the IMAP settings of a well-known mail provider, with what a
// user must know to sign in there.
type Preset struct {
	Name   string // what -provider takes: gmail, outlook...
	Label  string // the provider as people call it
	Server string // empty for "other": the user names the server
	Port   int
	TLS    string // TLSImplicit, TLSStartTLS or TLSNone
	Auth   string // the mechanism most accounts there need
	Note   string // how to get a password or token the server accepts
}

// Presets are the providers highroad init offers, in the order it shows
// them; the last one, "other", has no server.
var Presets = []Preset{
	{Name: "gmail", Label: "Gmail / Google Workspace", Server: "imap.gmail.com", Port: 993, TLS: TLSImplicit, Auth: AuthPassword,
		Note: "needs 2-step verification and an app password (myaccount.google.com/apppasswords), or OAuth2 (auth: xoauth2 with a token_command)"},
	{Name: "outlook", Label: "Outlook.com / Microsoft 365", Server: "outlook.office365.com", Port: 993, TLS: TLSImplicit, Auth: AuthXOAuth2,
		Note: "personal Outlook.com and most Office 365 accounts need OAuth2 (auth: xoauth2 with a token_command); " +
			"Exchange does not accept custom keywords, so drafts come without the $JobRejection flag"},
	{Name: "yahoo", Label: "Yahoo Mail", Server: "imap.mail.yahoo.com", Port: 993, TLS: TLSImplicit, Auth: AuthPassword,
		Note: "needs an app password (Account security > Generate app password)"},
	{Name: "icloud", Label: "iCloud Mail", Server: "imap.mail.me.com", Port: 993, TLS: TLSImplicit, Auth: AuthPassword,
		Note: "needs an app-specific password from appleid.apple.com (Sign-In and Security)"},
	{Name: "fastmail", Label: "Fastmail", Server: "imap.fastmail.com", Port: 993, TLS: TLSImplicit, Auth: AuthPassword,
		Note: "needs an app password (Settings > Privacy & Security > Manage app passwords)"},
	{Name: "proton", Label: "Proton Mail (through Proton Mail Bridge)", Server: "127.0.0.1", Port: 1143, TLS: TLSStartTLS, Auth: AuthPassword,
		Note: "Proton Mail Bridge must be running; use the Bridge's password (not your Proton one), " +
			"and its certificate via ca_file (exported from the Bridge settings)"},
	{Name: "other", Label: "another IMAP server", Auth: AuthPassword,
		Note: "you give the server, port and TLS mode"},
}

// PresetByName returns the preset called name (case-insensitive).
func PresetByName(name string) (Preset, bool) {
	for _, p := range Presets {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Preset{}, false
}

// WriteFile renders c as a commented configuration file and writes it to
// path with mode 0600, creating the parent folder with mode 0700. It refuses
// an existing file unless force is set, and a configuration that would not
// load back with Load. Secrets are never written, only where they come from
// (the Config has no field that could hold one).
func WriteFile(path string, c *Config, force bool) error {
	b, err := render(c)
	if err != nil {
		return err
	}
	if _, err := Parse(path, b); err != nil {
		return fmt.Errorf("the new configuration would not load: %w", err)
	}
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s already exists; use --force to replace it", path)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create config folder: %w", err)
	}
	if force {
		return replaceFile(path, b)
	}
	return createFile(path, b)
}

// createFile writes a new file, failing if one appeared meanwhile.
func createFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; use --force to replace it", path)
	}
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// replaceFile writes beside path and renames, so that a failure leaves the
// old file whole and the new one has mode 0600 whatever the old one had.
func replaceFile(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".config-*.yaml")
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	defer os.Remove(f.Name()) // after a successful rename this finds nothing
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	return nil
}

// render writes c as YAML, with short comments and the settings left at
// their defaults shown commented out.
func render(c *Config) ([]byte, error) {
	var w strings.Builder
	w.WriteString("# highroad configuration, written by highroad init. See the README for every setting.\n")
	w.WriteString("# Passwords never go in this file: each account says where its secret comes from.\n\n")
	renderProfile(&w, c.Profile)
	if err := renderClassifier(&w, c); err != nil {
		return nil, err
	}
	w.WriteString("accounts:\n")
	for i := range c.Accounts {
		if i > 0 {
			w.WriteString("\n")
		}
		renderAccount(&w, &c.Accounts[i])
	}
	w.WriteString("\n")
	optional(&w, "", "state", opt(c.State), "~/.local/state/highroad/state.db", "what highroad has done (default shown)")
	return []byte(w.String()), nil
}

func renderProfile(w *strings.Builder, p Profile) {
	w.WriteString("# Who the drafts come from. Without a name and address, the rejection's To header says.\n")
	w.WriteString("profile:\n")
	optional(w, "  ", "name", opt(p.Name), "Alex Morgan", "")
	optional(w, "  ", "address", opt(p.Address), "alex@example.org", "")
	optional(w, "  ", "linkedin", opt(p.LinkedIn), "https://www.linkedin.com/in/you", "offered in the reply when set")
	if p.Signature == "" {
		w.WriteString("  # signature: |\n  #   Alex Morgan\n")
	} else {
		fmt.Fprintf(w, "  signature: %s\n", block(p.Signature, "    "))
	}
	w.WriteString("\n")
}

// renderClassifier writes the user's rule changes, if any, and templates.
func renderClassifier(w *strings.Builder, c *Config) error {
	ch := c.Classifier
	if ch.Threshold != 0 || len(ch.Disable) > 0 || len(ch.Rules) > 0 {
		b, err := yaml.Marshal(map[string]any{"classifier": ch})
		if err != nil {
			return fmt.Errorf("render classifier: %w", err)
		}
		w.Write(b)
	} else {
		w.WriteString("# classifier:\n")
		commented(w, "#   threshold: 6", "the score a rejection needs")
		commented(w, "#   disable: [en.decision.future]", "rules to turn off, by id")
	}
	optional(w, "", "templates", opt(c.Templates), "~/.config/highroad/templates", "<lang>/<stage>.tmpl files that replace the defaults")
	w.WriteString("\n")
	return nil
}

func renderAccount(w *strings.Builder, a *Account) {
	name := a.Name
	if name == "" {
		name = a.Username
	}
	fmt.Fprintf(w, "  - name: %s\n", scalar(name))
	fmt.Fprintf(w, "    server: %s\n", scalar(a.Server))
	port := ""
	if a.Port != 0 {
		port = strconv.Itoa(a.Port)
	}
	optional(w, "    ", "port", port, "993", "default 993 for imaps, 143 for starttls")
	optional(w, "    ", "tls", opt(a.TLS), TLSImplicit, "imaps, starttls, or plain (only to 127.0.0.1)")
	optional(w, "    ", "ca_file", opt(a.CAFile), "~/bridge.pem", "trust a self-signed server's certificate")
	fmt.Fprintf(w, "    username: %s\n", scalar(a.Username))
	optional(w, "    ", "auth", opt(a.Auth), AuthPassword, "password, xoauth2 or oauthbearer")
	renderSecret(w, a)
	renderWatch(w, a)
}

// renderSecret writes where the secret comes from; never the secret.
func renderSecret(w *strings.Builder, a *Account) {
	for _, s := range []struct{ key, val, comment string }{
		{"password_command", a.PasswordCommand, "its first line of output is the password"},
		{"password_env", a.PasswordEnv, "the environment variable holding the password"},
		{"password_file", a.PasswordFile, "a file only you can read (chmod 600)"},
		{"token_command", a.TokenCommand, "prints an OAuth2 access token"},
	} {
		if s.val != "" {
			commented(w, fmt.Sprintf("    %s: %s", s.key, scalar(s.val)), s.comment)
		}
	}
}

func renderWatch(w *strings.Builder, a *Account) {
	boxes := ""
	if len(a.Mailboxes) > 0 {
		boxes = flowList(a.Mailboxes)
	}
	optional(w, "    ", "mailboxes", boxes, "[INBOX]", "mailboxes to watch")
	optional(w, "    ", "drafts", opt(a.Drafts), DefaultDrafts, "used when no mailbox carries the \\Drafts attribute")
	optional(w, "    ", "keyword", opt(a.Keyword), DefaultKeyword, "the flag set on rejections")
	optional(w, "    ", "poll_interval", opt(durationText(a.PollInterval)), "5m", "for servers without IDLE")
	optional(w, "    ", "first_run_window", opt(durationText(a.FirstRunWindow)), "14d", "how far back the first run looks")
}

// optional writes key: value, or when value is empty the default
// commented out. value and def are YAML already.
func optional(w *strings.Builder, indent, key, value, def, comment string) {
	if value == "" {
		commented(w, fmt.Sprintf("%s# %s: %s", indent, key, def), comment)
		return
	}
	commented(w, fmt.Sprintf("%s%s: %s", indent, key, value), comment)
}

// commented writes a line with its comment, if any, aligned in a column.
func commented(w *strings.Builder, line, comment string) {
	if comment == "" {
		fmt.Fprintln(w, line)
		return
	}
	fmt.Fprintf(w, "%-*s # %s\n", max(commentColumn, len(line)+2), line, comment)
}

const commentColumn = 34

// opt returns s as YAML, or "" for a setting left out.
func opt(s string) string {
	if s == "" {
		return ""
	}
	return scalar(s)
}

func durationText(d Duration) string {
	if d == 0 {
		return ""
	}
	b, _ := d.MarshalText()
	return string(b)
}

func flowList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = jsonString(s) // JSON strings are YAML double-quoted scalars
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// scalar returns s as a one-line YAML scalar: plain when that reads back
// as the same string, quoted otherwise.
func scalar(s string) string {
	b, err := yaml.Marshal(s)
	out := strings.TrimSuffix(string(b), "\n")
	if err != nil || strings.Contains(out, "\n") {
		return jsonString(s)
	}
	return out
}

// block returns a multi-line s as a literal block whose lines carry
// indent, or as a quoted scalar when a literal block could not hold it.
func block(s, indent string) string {
	if !strings.Contains(s, "\n") {
		return scalar(s)
	}
	body, chomp := strings.TrimSuffix(s, "\n"), "|"
	if body == s {
		chomp = "|-"
	}
	if body == "" || strings.HasPrefix(body, "\n") || strings.HasSuffix(body, "\n") || strings.HasPrefix(body, " ") || strings.HasPrefix(body, "\t") ||
		strings.ContainsFunc(body, func(r rune) bool { return r < ' ' && r != '\n' && r != '\t' || r == 0x7f }) {
		return jsonString(s)
	}
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = indent + l
		}
	}
	return chomp + "\n" + strings.Join(lines, "\n")
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
