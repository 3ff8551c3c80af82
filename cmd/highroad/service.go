package main

import (
	"errors"
	"flag"
	"fmt"
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

func (f *serviceFlags) define(fs *flag.FlagSet, name string) {
	fs.BoolVar(&f.system, "system", false, "a system-wide service instead of one for your user")
	fs.StringVar(&f.executable, "executable", "", "the highroad `BINARY` the service runs (default: this one)")
	fs.StringVar(&f.platform, "platform", "", "force a service `MANAGER`: linux-systemd, darwin-launchd, windows-service")
	if name == "install" {
		fs.BoolVar(&f.noStart, "no-start", false, "install and enable, but do not start now")
	}
}

// serviceCommand makes a service command from what it does.
func serviceCommand(name, summary, help string, do func(e *env, f *serviceFlags) error) *command {
	return &command{
		name: name, noArgs: true, summary: summary, help: help,
		flags: func(fs *flag.FlagSet) func(*env) error {
			f := &serviceFlags{}
			f.define(fs, name)
			return func(e *env) error {
				f.config = e.config
				return do(e, f)
			}
		},
	}
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

var installCommand = serviceCommand("install",
	"run highroad in the background, now and at every login (or boot with -system)",
	`Installs highroad as a service of your user (a systemd user unit, a launchd
agent, a Windows service), enables it and starts it. The service runs
"highroad run" with the absolute paths of this binary and the configuration.
Installing the same service again changes nothing.`,
	installService)

func installService(e *env, f *serviceFlags) error {
	a, err := loadAccounts(f.config)
	if err != nil {
		return err
	}
	svc, err := newService(f)
	if err != nil {
		return err
	}
	did, err := svc.Install()
	for _, d := range did {
		fmt.Fprintln(e.stdout, d)
	}
	if err != nil {
		return err
	}
	if !f.noStart {
		if err := svc.Start(); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "started the service")
	}
	fmt.Fprintf(e.stdout, "logs: %s\n", svc.Logs())
	for _, acc := range a.cfg.Accounts {
		if acc.PasswordEnv != "" {
			fmt.Fprintf(e.stdout, "note: account %q reads its password from $%s, which a service does not inherit from your shell;\n"+
				"  use password_command or password_file instead.\n", acc.Name, acc.PasswordEnv)
		}
	}
	if l := svc.Lingering(); l != "" {
		fmt.Fprintln(e.stdout, l)
	}
	return nil
}

var uninstallCommand = serviceCommand("uninstall", "stop the service and remove it",
	`Stops the service and removes its unit or plist. The configuration and the
state are kept.`,
	func(e *env, f *serviceFlags) error {
		svc, err := newService(f)
		if err != nil {
			return err
		}
		did, err := svc.Uninstall()
		for _, d := range did {
			fmt.Fprintln(e.stdout, d)
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "your configuration and state are kept; delete them by hand if you wish")
		return nil
	})

// controlCommand makes start, stop or restart.
func controlCommand(name, summary string) *command {
	act := map[string]func(*install.Service) error{
		"start": (*install.Service).Start, "stop": (*install.Service).Stop, "restart": (*install.Service).Restart,
	}[name]
	return serviceCommand(name, summary, "", func(e *env, f *serviceFlags) error {
		svc, err := newService(f)
		if err != nil {
			return err
		}
		if err := act(svc); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: the service is %s\n", name, svc.Status())
		return nil
	})
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
