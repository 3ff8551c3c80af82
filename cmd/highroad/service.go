package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/highroad/highroad/config"
	"github.com/highroad/highroad/install"
)

// serviceFlags are the flags of the service commands.
type serviceFlags struct {
	config, executable, platform string
	system, noStart              bool
}

func parseServiceFlags(name string, args []string, stderr io.Writer) (*serviceFlags, bool) {
	f := &serviceFlags{}
	fs := newFlags(name, stderr, &f.config)
	fs.BoolVar(&f.system, "system", false, "a system-wide service instead of one for your user")
	fs.StringVar(&f.executable, "executable", "", "the highroad binary the service runs (default: this one)")
	fs.StringVar(&f.platform, "platform", "", "force a service manager: linux-systemd, darwin-launchd, windows-service")
	if name == "install" {
		fs.BoolVar(&f.noStart, "no-start", false, "install and enable, but do not start now")
	}
	return f, fs.Parse(args) == nil && fs.NArg() == 0
}

// newService resolves the paths and prepares the service.
func newService(f *serviceFlags) (*install.Service, error) {
	exe := f.executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	exe, err := filepath.Abs(exe)
	if err != nil {
		return nil, err
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	cfg := f.config
	if cfg == "" {
		cfg = config.DefaultPath()
	}
	if cfg, err = filepath.Abs(cfg); err != nil {
		return nil, err
	}
	return install.New(install.Options{System: f.system, Executable: exe, Config: cfg, Platform: f.platform})
}

func runInstall(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f, ok := parseServiceFlags("install", args, stderr)
	if !ok {
		return 2
	}
	cfgPath := f.config
	if cfgPath == "" {
		cfgPath = config.DefaultPath()
	}
	cfg, err := config.Load(cfgPath)
	if err == nil {
		err = cfg.NeedAccounts()
	}
	if err != nil {
		fmt.Fprintf(stderr, "highroad install: %v\n(create the configuration first: highroad init)\n", err)
		return 1
	}
	svc, err := newService(f)
	if err != nil {
		fmt.Fprintln(stderr, "highroad install:", err)
		return 1
	}
	did, err := svc.Install()
	for _, d := range did {
		fmt.Fprintln(stdout, d)
	}
	if err != nil {
		fmt.Fprintln(stderr, "highroad install:", err)
		return 1
	}
	if !f.noStart {
		if err := svc.Start(); err != nil {
			fmt.Fprintln(stderr, "highroad install:", err)
			return 1
		}
		fmt.Fprintln(stdout, "started the service")
	}
	fmt.Fprintf(stdout, "logs: %s\n", svc.Logs())
	for _, a := range cfg.Accounts {
		if a.PasswordEnv != "" {
			fmt.Fprintf(stdout, "note: account %q reads its password from $%s, which a service does not inherit from your shell;\n"+
				"  use password_command or password_file instead.\n", a.Name, a.PasswordEnv)
		}
	}
	if l := svc.Lingering(); l != "" {
		fmt.Fprintln(stdout, l)
	}
	return 0
}

func runUninstall(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f, ok := parseServiceFlags("uninstall", args, stderr)
	if !ok {
		return 2
	}
	svc, err := newService(f)
	if err != nil {
		fmt.Fprintln(stderr, "highroad uninstall:", err)
		return 1
	}
	did, err := svc.Uninstall()
	for _, d := range did {
		fmt.Fprintln(stdout, d)
	}
	if err != nil {
		fmt.Fprintln(stderr, "highroad uninstall:", err)
		return 1
	}
	fmt.Fprintln(stdout, "your configuration and state are kept; delete them by hand if you wish")
	return 0
}

// control returns a command that starts, stops or restarts the service.
func control(name string, act func(*install.Service) error) command {
	return func(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		f, ok := parseServiceFlags(name, args, stderr)
		if !ok {
			return 2
		}
		svc, err := newService(f)
		if err == nil {
			err = act(svc)
		}
		if err != nil {
			fmt.Fprintf(stderr, "highroad %s: %v\n", name, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: the service is %s\n", name, svc.Status())
		return 0
	}
}

// serviceState describes the installed service, user or system-wide.
func serviceState(cfgPath string) string {
	for _, system := range []bool{false, true} {
		svc, err := newService(&serviceFlags{config: cfgPath, system: system})
		if errors.Is(err, install.ErrUnsupported) {
			return "not installed (no systemd, launchd or Windows services here)"
		}
		if err != nil {
			return "unknown (" + err.Error() + ")"
		}
		if st := svc.Status(); st != "not installed" {
			kind := "user service"
			if system {
				kind = "system service"
			}
			return fmt.Sprintf("%s (%s, %s; logs: %s)", st, kind, strings.TrimSpace(svc.File()), svc.Logs())
		}
	}
	return "not installed (run: highroad install)"
}
