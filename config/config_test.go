package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := `profile:
  name: Alex Morgan
  address: alex@example.org
  linkedin: https://www.linkedin.com/in/alex
  signature: |
    Alex Morgan
    +44 20 7946 0018
classifier:
  threshold: 8
  disable: [en.decision.regret]
  rules:
    - id: en.decision.other-candidate
      weight: 7
    - id: my.rule
      signal: decision
      in: body
      weight: 3
      match: ["we went another way"]
`
	c, err := Parse("c.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile.Name != "Alex Morgan" || !strings.HasPrefix(c.Profile.Signature, "Alex Morgan\n+44") {
		t.Errorf("profile = %+v", c.Profile)
	}
	rs, err := c.Rules()
	if err != nil {
		t.Fatal(err)
	}
	if rs.Threshold != 8 {
		t.Errorf("threshold = %d, want 8", rs.Threshold)
	}
	byID := map[string]int{}
	for _, r := range rs.Rules {
		byID[r.ID] = r.Weight
	}
	if _, ok := byID["en.decision.regret"]; ok {
		t.Error("disabled rule still present")
	}
	if byID["en.decision.other-candidate"] != 7 || byID["my.rule"] != 3 {
		t.Errorf("override/add not applied: %v, %v", byID["en.decision.other-candidate"], byID["my.rule"])
	}
}

// TestParseErrors wants each error at the line of the setting at fault,
// whatever text comes before it.
func TestParseErrors(t *testing.T) {
	tmpl := t.TempDir()
	os.Mkdir(filepath.Join(tmpl, "en"), 0o700)
	os.WriteFile(filepath.Join(tmpl, "en", "unknown.tmpl"), []byte("Dear {{.Nobody}}\n"), 0o600)
	cases := []struct{ name, src, want string }{
		{"unknown key", "profile:\n  name: x\n  nmae: y\n", "c.yaml:3: nmae is not a known setting under Profile"},
		{"bad address", "profile:\n  address: not an address\n",
			`c.yaml:2: profile.address: "not an address" is not an email address (write it bare: you@example.org)`},
		{"bad linkedin", "profile:\n  linkedin: linkedin.com/in/x\n",
			`c.yaml:2: profile.linkedin: "linkedin.com/in/x" is not a URL starting with https://`},
		// A comment, as highroad init writes them, or a signature holding
		// "address:" and "linkedin:" come before the real keys.
		{"address after comments", "# profile:\n#   address: alex@example.org\n#   linkedin: https://x\nprofile:\n  name: x\n  address: alex at example.org\n",
			`c.yaml:6: profile.address: "alex at example.org"`},
		{"linkedin after comments", "# address: a@b\n# linkedin: https://x\nprofile:\n  address: a@example.org\n  linkedin: www.linkedin.com/in/a\n",
			`c.yaml:5: profile.linkedin: "www.linkedin.com/in/a"`},
		{"address after signature", "profile:\n  signature: |\n    address: 1 Main St\n    linkedin: in/alex\n  linkedin: in/alex\n  address: x\n",
			`c.yaml:6: profile.address: "x"`},
		{"address in flow style", "profile: {name: x,\n  address: x}\n", `c.yaml:2: profile.address: "x"`},
		{"unknown rule", "# classifier:\n#   disable: [en.decision.future]\nclassifier:\n  disable: [no.such.rule]\n",
			`c.yaml:4: classifier: disable "no.such.rule": no such rule`},
		{"not yaml", "profile: [\n", "c.yaml:"},
		{"missing templates", "# templates: ~/t\nstate: '/tmp/templates: x'\ntemplates: /does/not/exist\n",
			"c.yaml:3: templates: /does/not/exist is not a folder"},
		{"bad template", "# templates: ~/t\ntemplates: " + tmpl + "\n", "c.yaml:2: templates: template " + tmpl},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(c.src))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("Parse(%q) = %v, want an error starting %q", c.src, err, c.want)
			}
		})
	}
}

// TestClassifierErrors wants a bad change at the line of the very rule,
// id or threshold at fault.
func TestClassifierErrors(t *testing.T) {
	const good = "    - id: my.good\n      signal: decision\n      in: body\n      weight: 3\n      match: [went another way]\n"
	head := "# classifier:\n#   rules:\nprofile:\n  name: x\nclassifier:\n  threshold: 7\n" // 6 lines
	cases := []struct{ name, src, want string }{
		{"bad signal in the second rule", head + "  rules:\n" + good +
			"    - id: my.bad\n      signal: maybe\n      in: body\n      weight: 1\n      match: [a]\n",
			`c.yaml:13: classifier: rule "my.bad": signal "maybe" is not one of`},
		{"bad override", head + "  rules:\n" + good + "    - id: en.decision.regret\n      weight: -3\n",
			`c.yaml:13: classifier: rule "en.decision.regret": a decision rule needs a positive weight`},
		{"bad pattern", head + "  rules:\n    - id: my.paren\n      signal: decision\n      in: body\n      weight: 2\n      match: ['(']\n",
			`c.yaml:8: classifier: rule "my.paren": pattern "("`},
		{"id used twice", head + "  rules:\n" + good + good, `c.yaml:13: classifier: rule "my.good": id used twice`},
		{"second disabled id unknown", head + "  disable:\n    - en.decision.regret\n    - en.no.such\n",
			`c.yaml:9: classifier: disable "en.no.such": no such rule`},
		{"negative threshold", "classifier:\n  disable: [en.decision.regret]\n  threshold: -2\n",
			"c.yaml:3: classifier: threshold must be a positive number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(c.src))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("Parse(%q) = %v, want an error starting %q", c.src, err, c.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(p, nil, 0o600)
	if c, err := Load(p); err != nil || c.Profile.Address != "" || !c.Found || c.Path != p {
		t.Errorf("Load(empty) = %+v, %v; want an empty configuration found at %s", c, err, p)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	c, err := Load("")
	if err != nil || c.Found || len(c.Accounts) != 0 {
		t.Errorf("Load(\"\") with no config anywhere = %+v, %v; want an empty configuration, not found", c, err)
	}
}

// TestMissingConfig wants every way of having no account to say what to
// run.
func TestMissingConfig(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	def := DefaultPath()
	dir := t.TempDir()
	missing, spaced, empty := filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "my config.yaml"), filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, []byte("# accounts:\nprofile:\n  name: x\n"), 0o600)
	cases := []struct{ name, path, want string }{
		{"explicit missing", missing, `no configuration at ` + missing + `: create one with "highroad init -config ` + missing + `"`},
		{"explicit missing with a space", spaced, `no configuration at ` + spaced + `: create one with "highroad init -config '` + spaced + `'"`},
		{"explicit default missing", def, `no configuration at ` + def + `: create one with "highroad init"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.path)
			if err == nil || err.Error() != c.want || !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Load(%q) = %v, want %q (an fs.ErrNotExist)", c.path, err, c.want)
			}
		})
	}
	cases = []struct{ name, path, want string }{
		{"default missing", "", `no configuration at ` + def + `: create one with "highroad init"`},
		{"file without accounts", empty, empty + `: no accounts configured: add one under accounts: (see the README), ` +
			`or write a new file with "highroad init -config ` + empty + ` --force"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Load(c.path)
			if err != nil {
				t.Fatalf("Load(%q) = %v", c.path, err)
			}
			if err := cfg.NeedAccounts(); err == nil || err.Error() != c.want {
				t.Errorf("Load(%q).NeedAccounts() = %v, want %q", c.path, err, c.want)
			}
		})
	}
	os.MkdirAll(filepath.Dir(def), 0o700)
	os.WriteFile(def, nil, 0o600)
	cfg, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	want := def + `: no accounts configured: add one under accounts: (see the README), or write a new file with "highroad init --force"`
	if err := cfg.NeedAccounts(); err == nil || err.Error() != want {
		t.Errorf("Load(\"\").NeedAccounts() with an empty default file = %v, want %q", err, want)
	}
}
