package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/highroad/highroad/classifier"
)

func TestPresets(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Presets {
		if seen[p.Name] {
			t.Errorf("two presets are named %q", p.Name)
		}
		seen[p.Name] = true
		got, ok := PresetByName(strings.ToUpper(p.Name))
		if !ok || got != p {
			t.Errorf("PresetByName(%q) = %v, %v; want %v", strings.ToUpper(p.Name), got, ok, p)
		}
		if p.Label == "" || p.Note == "" {
			t.Errorf("preset %s has no label or note", p.Name)
		}
		if p.Name == "other" {
			if p.Server != "" {
				t.Errorf("preset other has server %q, want none", p.Server)
			}
			continue
		}
		a := Account{Name: p.Name, Server: p.Server, Port: p.Port, TLS: p.TLS, Auth: p.Auth, Username: "u", PasswordEnv: "PW"}
		if oauth := p.Auth != AuthPassword; oauth {
			a.PasswordEnv, a.TokenCommand = "", "printf token"
		}
		a.setDefaults()
		if err := a.validate(func(string) string { return p.Name }); err != nil {
			t.Errorf("preset %s is not a valid account: %v", p.Name, err)
		}
	}
	if _, ok := PresetByName("aol"); ok {
		t.Error(`PresetByName("aol") found a preset`)
	}
}

// presetConfig is a configuration with one account at preset p.
func presetConfig(p Preset) *Config {
	a := Account{Name: p.Name, Server: p.Server, Port: p.Port, TLS: p.TLS, Auth: p.Auth, Username: "alex@example.org"}
	if a.Server == "" {
		a.Server, a.Name = "imap.example.org", ""
	}
	if p.Auth == AuthPassword {
		a.PasswordEnv = "HIGHROAD_TEST_PASSWORD"
	} else {
		a.TokenCommand = "oama access alex@example.org"
	}
	return &Config{Profile: Profile{Name: "Alex Morgan", Address: "alex@example.org"}, Accounts: []Account{a}}
}

func TestWriteFilePresets(t *testing.T) {
	for _, p := range Presets {
		t.Run(p.Name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "new", "highroad", "config.yaml")
			if err := WriteFile(path, presetConfig(p), false); err != nil {
				t.Fatalf("WriteFile(%s) = %v", p.Name, err)
			}
			c, err := Load(path)
			if err != nil {
				t.Fatalf("Load of the written file: %v", err)
			}
			a := c.Accounts[0]
			want := presetConfig(p).Accounts[0]
			if a.Server != want.Server || a.Username != want.Username || a.Auth != p.Auth ||
				p.Server != "" && (a.Port != p.Port || a.TLS != p.TLS) {
				t.Errorf("read back %+v, want the settings of %+v", a, p)
			}
			wantMode(t, path, 0o600)
			wantMode(t, filepath.Dir(path), 0o700)
		})
	}
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != want {
		t.Errorf("mode of %s = %v, want %v", path, st.Mode().Perm(), want)
	}
}

func TestWriteFileExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte("# mine\n"), 0o644)
	c := presetConfig(Presets[0])
	err := WriteFile(path, c, false)
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("WriteFile over an existing file = %v, want an error that mentions --force", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "# mine\n" {
		t.Errorf("the existing file was changed: %q", b)
	}
	if err := WriteFile(path, c, true); err != nil {
		t.Fatalf("WriteFile(force) = %v", err)
	}
	if _, err := Load(path); err != nil {
		t.Errorf("Load after a forced write: %v", err)
	}
	wantMode(t, path, 0o600)
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".config-*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestWriteFileRefusesInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	c := presetConfig(Presets[0])
	c.Accounts[0].PasswordEnv = "" // no secret at all
	if err := WriteFile(path, c, false); err == nil || !strings.Contains(err.Error(), "exactly one of") {
		t.Errorf("WriteFile without a secret = %v, want the validation error", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("an invalid configuration was written")
	}
}

var passwordKey = regexp.MustCompile(`(?m)^\s*#?\s*password\s*:`)

func TestRenderHasNoPassword(t *testing.T) {
	for _, p := range Presets {
		b, err := render(presetConfig(p))
		if err != nil {
			t.Fatal(err)
		}
		if passwordKey.Match(b) {
			t.Errorf("render(%s) has a password: key:\n%s", p.Name, b)
		}
	}
}

// TestWriteFileRoundTrip writes values that need quoting or block style
// and every setting, and wants them back unchanged.
func TestWriteFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "pw")
	os.WriteFile(secret, []byte("x\n"), 0o600)
	os.Mkdir(filepath.Join(dir, "templates"), 0o700)
	for i, sig := range []string{"Alex", "Alex\n+44 20", "Alex\n+44 20\n", "Alex\n\n-- \nx", " indented\nsecond", "\nfirst empty",
		"a\r\nb", "tab\there\nyes", "ends\n\n", "# hash\n- dash\n: colon"} {
		want := &Config{
			Profile: Profile{Name: "yes", Address: "a.b+jobs@example.org", LinkedIn: "https://www.linkedin.com/in/a#b", Signature: sig},
			Classifier: classifier.Changes{Threshold: 7, Disable: []string{"en.decision.future"},
				Rules: []classifier.Rule{{ID: "my.x", Signal: "decision", In: "body", Weight: 6, Match: []string{"went * another way"}}}},
			Templates: filepath.Join(dir, "templates"),
			State:     filepath.Join(dir, "state: db"),
			Accounts: []Account{{Name: "work #1", Server: "127.0.0.1", Port: 1143, TLS: TLSNone, CAFile: secret,
				Username: "@me", Auth: AuthPassword, PasswordFile: secret,
				Mailboxes: []string{"INBOX", "Jobs, applied"}, Drafts: "[Gmail]/Drafts", Keyword: "$Job",
				PollInterval: Duration(90 * time.Second), FirstRunWindow: Duration(30 * 24 * time.Hour)}},
		}
		path := filepath.Join(dir, "c", strings.Repeat("x", i+1)+".yaml")
		if err := WriteFile(path, want, false); err != nil {
			t.Fatalf("WriteFile(signature %q) = %v", sig, err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatalf("Load(signature %q) = %v", sig, err)
		}
		want.Path, want.Found = path, true
		if !reflect.DeepEqual(got, want) {
			b, _ := os.ReadFile(path)
			t.Errorf("signature %q: read back\n%+v\nwant\n%+v\nfile:\n%s", sig, got, want, b)
		}
	}
}
