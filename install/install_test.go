package install

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var opts = Options{Executable: "/home/alex/go/bin/highroad", Config: "/home/alex/.config/highroad/config.yaml", Home: "/home/alex"}

func TestUnitsGolden(t *testing.T) {
	t.Setenv("SUDO_USER", "alex")
	system := opts
	system.System = true
	spaced := opts
	spaced.Executable = "/home/alex/My Tools/highroad"
	for name, got := range map[string]string{
		"systemd-user.service":   SystemdUnit(opts),
		"systemd-system.service": SystemdUnit(system),
		"systemd-spaces.service": SystemdUnit(spaced),
		"launchd-agent.plist":    LaunchdPlist(opts),
	} {
		path := filepath.Join("testdata", name)
		if *update {
			os.WriteFile(path, []byte(got), 0o644)
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./install -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s:\n%s", name, path, got)
		}
	}
	if u := SystemdUnit(opts); !strings.Contains(u, "WantedBy=default.target") || strings.Contains(u, "multi-user") {
		t.Errorf("the user unit must be wanted by default.target:\n%s", u)
	}
}

// TestUnitsVerify has systemd check the units where systemd-analyze exists.
func TestUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "highroad")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	o := Options{Executable: exe, Config: filepath.Join(dir, "config.yaml"), Home: dir}
	for name, unit := range map[string]string{"user": SystemdUnit(o), "system": SystemdUnit(Options{System: true, Executable: exe, Config: o.Config})} {
		path := filepath.Join(dir, "highroad.service")
		os.WriteFile(path, []byte(unit), 0o644)
		// Verified as a system unit: the user manager cannot start without a
		// login session, and the checks of the unit's syntax are the same.
		out, err := exec.Command(analyze, "verify", path).CombinedOutput()
		if err != nil || strings.Contains(string(out), "highroad.service:") {
			t.Errorf("systemd-analyze verify (%s unit): %v\n%s", name, err, out)
		}
	}
}

func TestRefusesTemporaryBinary(t *testing.T) {
	_, err := New(Options{Executable: filepath.Join(os.TempDir(), "go-build123", "b001", "exe", "highroad"), Config: "/c.yaml", Home: "/h"})
	if err == nil || !strings.Contains(err.Error(), "go install") {
		t.Errorf("New with a go run binary = %v, want a refusal that says to go install", err)
	}
}

// FakeSystemctl installs testdata/fake-systemctl as systemctl on PATH: it
// records its calls and keeps enabled/active state in files, as far as the
// service library needs. It returns the file of recorded calls.
func FakeSystemctl(t *testing.T, script string) string {
	if runtime.GOOS != "linux" {
		t.Skip("the fake systemctl is a shell script for Linux")
	}
	bin, state := t.TempDir(), t.TempDir()
	b, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(bin, "systemctl"), b, 0o755)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_SYSTEMD", state)
	return filepath.Join(state, "calls")
}

func TestUserServiceLifecycle(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	callsFile := FakeSystemctl(t, "testdata/fake-systemctl")
	exe := filepath.Join(home, "bin", "highroad")
	os.MkdirAll(filepath.Dir(exe), 0o755)
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	svc, err := New(Options{Executable: exe, Config: filepath.Join(home, "config.yaml"), Home: home, Platform: "linux-systemd"})
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(home, ".config", "systemd", "user", "highroad.service")
	if svc.File() != unit {
		t.Errorf("File() = %s, want %s", svc.File(), unit)
	}
	if st := svc.Status(); st != "not installed" {
		t.Errorf("Status before install = %q", st)
	}
	did, err := svc.Install()
	if err != nil {
		t.Fatalf("Install: %v (%v)", err, did)
	}
	b, err := os.ReadFile(unit)
	if err != nil || !strings.Contains(string(b), "ExecStart="+exe+" run -config ") || !strings.Contains(string(b), "WantedBy=default.target") {
		t.Errorf("unit file = %q, %v", b, err)
	}
	if again, err := svc.Install(); err != nil || !strings.HasPrefix(again[0], "already installed") {
		t.Errorf("a second Install = %v, %v; want nothing done", again, err)
	}
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	if st := svc.Status(); st != "running" {
		t.Errorf("Status after Start = %q", st)
	}
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	if st := svc.Status(); st != "stopped" {
		t.Errorf("Status after Stop = %q", st)
	}
	if _, err := svc.Uninstall(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(unit); !os.IsNotExist(err) {
		t.Errorf("the unit file is still there after Uninstall: %v", err)
	}
	if st := svc.Status(); st != "not installed" {
		t.Errorf("Status after Uninstall = %q", st)
	}
	calls, _ := os.ReadFile(callsFile)
	for _, want := range []string{"enable --user highroad.service", "daemon-reload --user", "start --user highroad.service",
		"stop --user highroad.service", "disable --user highroad.service"} {
		if !strings.Contains(string(calls), want) {
			t.Errorf("systemctl was not called with %q; calls:\n%s", want, calls)
		}
	}
	if strings.Contains(string(calls), "unexpected") || strings.Contains(string(calls), "is-system-running") {
		t.Errorf("unexpected systemctl calls:\n%s", calls)
	}
}

// TestManagerFailureSaysWhy installs where systemctl fails, as on a
// machine not booted with systemd: the error carries systemd's own words,
// not only "exit status 1", and no half-installed unit is left behind.
func TestManagerFailureSaysWhy(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	FakeSystemctl(t, "testdata/fake-systemctl")
	t.Setenv("FAKE_SYSTEMD_FAIL", "System has not been booted with systemd as init system (PID 1). Can't operate.")
	exe := filepath.Join(home, "bin", "highroad")
	os.MkdirAll(filepath.Dir(exe), 0o755)
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)
	svc, err := New(Options{Executable: exe, Config: filepath.Join(home, "config.yaml"), Home: home, Platform: "linux-systemd"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Install()
	if err == nil || !strings.Contains(err.Error(), "systemctl daemon-reload --user says: System has not been booted with systemd") {
		t.Errorf("Install where systemctl fails = %v; want systemctl's own message", err)
	}
	if _, err := os.Stat(svc.File()); !os.IsNotExist(err) {
		t.Errorf("a failed Install left %s behind: %v", svc.File(), err)
	}
	if err := svc.Start(); err == nil || !strings.Contains(err.Error(), "booted with systemd") {
		t.Errorf("Start where systemctl fails = %v; want systemctl's own message", err)
	}
}
