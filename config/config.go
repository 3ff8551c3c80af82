// Package config reads highroad's configuration file: the user's profile,
// changes to the classifier's rules and the reply templates. Every value is
// decoded, defaulted and validated; unknown keys and bad values are errors
// that name the file and line and say what to do.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/highroad/highroad/classifier"
	"github.com/highroad/highroad/drafts"
)

// Config is a decoded configuration file.
type Config struct {
	// Path is the file the configuration came from; empty for defaults.
	Path string `yaml:"-"`
	// Found is whether a file was read. Load("") returns an empty
	// configuration with Found false when the default file does not exist.
	Found bool `yaml:"-"`

	Profile    Profile            `yaml:"profile"`
	Classifier classifier.Changes `yaml:"classifier"`
	// Templates is a folder of <lang>/<stage>.tmpl files that replace the
	// embedded reply templates.
	Templates string `yaml:"templates"`
	// State is the file where highroad records what it has done; by
	// default highroad/state.db in the user's state folder.
	State    string    `yaml:"state"`
	Accounts []Account `yaml:"accounts"`
}

// NeedAccounts returns an error when no account is configured. The error
// says what to do: create the file with highroad init when none was read,
// add an account when the file has none.
func (c *Config) NeedAccounts() error {
	switch {
	case len(c.Accounts) > 0:
		return nil
	case !c.Found:
		path := c.Path
		if path == "" {
			path = DefaultPath()
		}
		return &missingError{path: path, err: fs.ErrNotExist}
	}
	return fmt.Errorf("%s: %w, or write a new file with \"%s --force\"", c.Path, errNoAccounts, initCommand(c.Path))
}

// missingError reports that no configuration file exists at path (empty
// when there is no default path either). It unwraps to an fs.ErrNotExist.
type missingError struct {
	path string
	err  error
}

func (e *missingError) Error() string {
	where := e.path
	if where == "" {
		where = "the default path (there is no user configuration folder)"
	}
	return fmt.Sprintf("no configuration at %s: create one with \"%s\"", where, initCommand(e.path))
}

func (e *missingError) Unwrap() error { return e.err }

// initCommand is the highroad init command that writes the file at path.
func initCommand(path string) string {
	switch {
	case path == "":
		return "highroad init -config FILE"
	case path == DefaultPath():
		return "highroad init"
	case strings.ContainsAny(path, " \t'\"$\\`"):
		return "highroad init -config '" + strings.ReplaceAll(path, "'", `'\''`) + "'"
	}
	return "highroad init -config " + path
}

// StatePath returns the state file to use.
func (c *Config) StatePath() string {
	if c.State != "" {
		return expandHome(c.State)
	}
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".local", "state")
		}
	}
	return filepath.Join(dir, "highroad", "state.db")
}

// Profile is the user, as the drafts are written from.
type Profile struct {
	Name      string `yaml:"name"`
	Address   string `yaml:"address"`
	Signature string `yaml:"signature"`
	LinkedIn  string `yaml:"linkedin"`
}

// Drafts returns the profile in the form the drafts package takes.
func (p Profile) Drafts() drafts.Profile {
	return drafts.Profile{Name: p.Name, Address: p.Address, Signature: p.Signature, LinkedIn: p.LinkedIn}
}

// DefaultPath is where highroad looks for its configuration when none is
// named: highroad/config.yaml in the platform's user configuration folder.
func DefaultPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "highroad", "config.yaml")
}

// Load reads the configuration at path. When path is empty, the default
// path is read if it exists, and an empty configuration with Found false is
// returned if not, for the commands that work without an account. A named
// path that does not exist is an error (matching fs.ErrNotExist) that names
// it and says to create it with highroad init.
func Load(path string) (*Config, error) {
	explicit := path != ""
	if !explicit {
		path = DefaultPath()
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !explicit {
			return &Config{}, nil
		}
		return nil, &missingError{path: path, err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, b)
}

// Parse decodes and validates a configuration read from path. Errors name
// the path and the line of the setting at fault.
func Parse(path string, b []byte) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
		return nil, located(path, err)
	}
	c.Path, c.Found = path, true
	f, err := parseFile(path, b)
	if err != nil {
		return nil, located(path, err)
	}
	if err := c.validate(f); err != nil {
		return nil, err
	}
	return c, nil
}

var notFound = regexp.MustCompile(`field (\S+) not found in type \S+\.(\w+)`)

var yamlLine = regexp.MustCompile(`(?m)^\s*(?:yaml: )?line (\d+): `)

// located rewrites yaml's "line N: msg" errors as "path:N: msg".
func located(path string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var lines []string
		for _, e := range te.Errors {
			e = yamlLine.ReplaceAllString(e, path+":$1: ")
			e = notFound.ReplaceAllString(e, "$1 is not a known setting under $2 (check the spelling)")
			lines = append(lines, e)
		}
		return errors.New(strings.Join(lines, "\n"))
	}
	msg := yamlLine.ReplaceAllString(err.Error(), path+":$1: ")
	if !strings.HasPrefix(msg, path) {
		msg = path + ": " + msg
	}
	return errors.New(msg)
}

func (c *Config) validate(f *file) error {
	profile := f.value(f.root, "profile")
	if err := CheckAddress(c.Profile.Address); err != nil {
		return fmt.Errorf("%s: profile.address: %w", f.at(f.key(profile, "address"), profile), err)
	}
	if err := CheckLinkedIn(c.Profile.LinkedIn); err != nil {
		return fmt.Errorf("%s: profile.linkedin: %w", f.at(f.key(profile, "linkedin"), profile), err)
	}
	if err := c.validateClassifier(f); err != nil {
		return err
	}
	if err := c.validateAccounts(f); err != nil {
		return err
	}
	return c.validateTemplates(f)
}

func (c *Config) validateAccounts(f *file) error {
	list := f.value(f.root, "accounts")
	seen := map[string]bool{}
	for i := range c.Accounts {
		a, n := &c.Accounts[i], f.item(list, i)
		a.setDefaults()
		at := func(key string) string { return f.at(f.key(n, key), n, list) }
		if err := a.validate(at); err != nil {
			return err
		}
		if seen[a.Name] {
			return fmt.Errorf("%s: two accounts are named %q; give each a distinct name", at("name"), a.Name)
		}
		seen[a.Name] = true
	}
	return nil
}

func (c *Config) validateTemplates(f *file) error {
	if c.Templates == "" {
		return nil
	}
	where := f.at(f.key(f.root, "templates"))
	c.Templates = expandHome(c.Templates)
	if !filepath.IsAbs(c.Templates) {
		c.Templates = filepath.Join(filepath.Dir(c.Path), c.Templates)
	}
	if st, err := os.Stat(c.Templates); err != nil || !st.IsDir() {
		return fmt.Errorf("%s: templates: %s is not a folder (it should hold <lang>/<stage>.tmpl files)", where, c.Templates)
	}
	if _, err := drafts.LoadTemplates(c.Templates); err != nil {
		return fmt.Errorf("%s: templates: %w", where, err)
	}
	return nil
}

// Rules returns the default rule set with the user's changes applied.
func (c *Config) Rules() (*classifier.RuleSet, error) {
	return classifier.Default().Apply(c.Classifier)
}

// LoadTemplates returns the reply templates with the user's overrides.
func (c *Config) LoadTemplates() (*drafts.Templates, error) {
	return drafts.LoadTemplates(c.Templates)
}
