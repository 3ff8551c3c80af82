package config

import (
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

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown key", "profile:\n  name: x\n  nmae: y\n", "c.yaml:3: nmae is not a known setting under Profile"},
		{"bad address", "profile:\n  address: not an address\n", "c.yaml:2: profile.address"},
		{"bad linkedin", "profile:\n  linkedin: linkedin.com/in/x\n", "c.yaml:2: profile.linkedin"},
		{"unknown rule", "classifier:\n  disable: [no.such.rule]\n", "no such rule"},
		{"bad signal", "classifier:\n  rules:\n    - id: x\n      signal: maybe\n      in: body\n      weight: 1\n      match: [a]\n", "signal \"maybe\""},
		{"not yaml", "profile: [\n", "c.yaml:"},
		{"missing templates", "templates: /does/not/exist\n", "c.yaml:1: templates: /does/not/exist is not a folder"},
	}
	for _, c := range cases {
		_, err := Parse("c.yaml", []byte(c.src))
		if c.want == "" {
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestLoad(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("Load of a named missing file succeeded")
	}
	p := filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(p, nil, 0o600)
	if c, err := Load(p); err != nil || c.Profile.Address != "" {
		t.Errorf("Load(empty) = %+v, %v", c, err)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	if _, err := Load(""); err != nil {
		t.Errorf("Load with no config anywhere = %v, want defaults", err)
	}
}
