// Package install runs highroad as a background service: a systemd user
// (or system) unit on Linux, a launchd agent on macOS, a Windows service. It
// is a thin adapter over github.com/kardianos/service that supplies the
// unit files that library gets wrong for per-user services, and says what
// it did and where the logs go.
package install

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/kardianos/service"
)

// Name is the service's name: highroad.service, highroad.plist.
const Name = "highroad"

// Options say what to install.
type Options struct {
	// System installs a system-wide service instead of a per-user one.
	System bool
	// Executable and Config are absolute paths; the service runs
	// "Executable run -config Config".
	Executable string
	Config     string
	// Platform forces a service manager ("linux-systemd", "darwin-launchd",
	// "windows-service"); empty detects the one in use.
	Platform string
	// Home is the user's home folder; empty means the current user's.
	Home string
}

// Service is highroad's service on this machine.
type Service struct {
	opts     Options
	svc      service.Service
	platform string
}

// New prepares the service described by opts. It refuses an executable in
// a temporary folder, such as the one `go run` builds into.
func New(opts Options) (*Service, error) {
	if !filepath.IsAbs(opts.Executable) || !filepath.IsAbs(opts.Config) {
		return nil, errors.New("the executable and the config must be absolute paths")
	}
	if temporary(opts.Executable) {
		return nil, fmt.Errorf("%s is a temporary build (go run deletes it when it exits); install a lasting one first:\n"+
			"  go install ./cmd/highroad   (then run: $(go env GOPATH)/bin/highroad install)", opts.Executable)
	}
	if opts.Home == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("find your home folder: %w", err)
		}
		opts.Home = home
	}
	if opts.Platform != "" {
		if err := choose(opts.Platform); err != nil {
			return nil, err
		}
	}
	platform := service.ChosenSystem()
	if platform == nil || !supported(platform.String()) {
		return nil, ErrUnsupported
	}
	s := &Service{opts: opts, platform: platform.String()}
	svc, err := service.New(manager{}, s.config())
	if err != nil {
		return nil, fmt.Errorf("prepare service: %w", err)
	}
	s.svc = svc
	return s, nil
}

// ErrUnsupported reports a machine without a service manager highroad
// installs into.
var ErrUnsupported = errors.New("no supported service manager is running here (systemd, launchd or Windows services); " +
	"start `highroad run` from your own startup script instead")

func supported(platform string) bool {
	return strings.Contains(platform, "systemd") || strings.Contains(platform, "launchd") || strings.Contains(platform, "windows")
}

// temporary reports whether path lies in a temporary build folder.
func temporary(path string) bool {
	tmp := filepath.Clean(os.TempDir()) + string(filepath.Separator)
	return strings.HasPrefix(path, tmp) && strings.Contains(path, "go-build") ||
		strings.Contains(path, string(filepath.Separator)+"go-build")
}

// manager satisfies kardianos/service for installing and controlling the
// service, which never starts or stops a program in this process; Run's
// program is what the service runs.
type manager struct{}

func (manager) Start(service.Service) error { return nil }
func (manager) Stop(service.Service) error  { return nil }

func (s *Service) config() *service.Config {
	opt := service.KeyValue{
		"UserService":   !s.opts.System,
		"Restart":       "on-failure",
		"RunAtLoad":     true,
		"KeepAlive":     true,
		"SystemdScript": SystemdUnit(s.opts),
		"LaunchdConfig": LaunchdPlist(s.opts),
	}
	c := &service.Config{
		Name:        Name,
		DisplayName: "highroad",
		Description: "highroad: marks job-application rejections and drafts replies in Drafts",
		Executable:  s.opts.Executable,
		Arguments:   []string{"run", "-config", s.opts.Config},
		Option:      opt,
	}
	if s.opts.System && runtime.GOOS != "windows" {
		c.UserName = serviceUser()
	}
	return c
}

// serviceUser is the user a system-wide service runs as: the one who ran
// sudo, else the current user. highroad needs no privileges.
func serviceUser() string {
	if u := os.Getenv("SUDO_USER"); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// forced is a service manager chosen by name, used even where it does not
// detect itself (tests run with a fake systemctl and no systemd).
type forced struct{ service.System }

func (forced) Detect() bool { return true }

func choose(name string) error {
	for _, sys := range service.AvailableSystems() {
		if sys.String() == name {
			service.ChooseSystem(forced{sys})
			return nil
		}
	}
	var names []string
	for _, sys := range service.AvailableSystems() {
		names = append(names, sys.String())
	}
	return fmt.Errorf("service manager %q is not available here (have: %s)", name, strings.Join(names, ", "))
}

// Platform names the service manager in use, such as "linux-systemd".
func (s *Service) Platform() string { return s.platform }

// File returns where the unit or plist file lives ("" on Windows).
func (s *Service) File() string {
	switch {
	case strings.Contains(s.platform, "systemd") && s.opts.System:
		return "/etc/systemd/system/" + Name + ".service"
	case strings.Contains(s.platform, "systemd"):
		return filepath.Join(s.opts.Home, ".config", "systemd", "user", Name+".service")
	case strings.Contains(s.platform, "launchd") && s.opts.System:
		return "/Library/LaunchDaemons/" + Name + ".plist"
	case strings.Contains(s.platform, "launchd"):
		return filepath.Join(s.opts.Home, "Library", "LaunchAgents", Name+".plist")
	}
	return ""
}

// Logs says where the service's log goes and how to follow it.
func (s *Service) Logs() string {
	switch {
	case strings.Contains(s.platform, "systemd") && s.opts.System:
		return "journalctl -u " + Name + " -f"
	case strings.Contains(s.platform, "systemd"):
		return "journalctl --user -u " + Name + " -f"
	case strings.Contains(s.platform, "launchd"):
		return "tail -f " + logFile(s.opts)
	case strings.Contains(s.platform, "windows"):
		return "Event Viewer → Windows Logs → Application, source " + Name
	}
	return "the service manager's log"
}

// Install installs and enables the service, replacing an installed one
// whose file differs; installing the same service again changes nothing.
// It returns what it did, one line each.
func (s *Service) Install() ([]string, error) {
	var did []string
	file := s.File()
	if file != "" {
		if old, err := os.ReadFile(file); err == nil {
			if string(old) == s.fileContent() {
				return []string{"already installed: " + file}, nil
			}
			s.svc.Stop()
			if err := s.svc.Uninstall(); err != nil {
				return nil, fmt.Errorf("replace the old service: %w", err)
			}
			did = append(did, "removed the old "+file)
		}
	}
	_, existed := os.Stat(file)
	if err := s.svc.Install(); err != nil {
		if file != "" && existed != nil {
			// Leave nothing half-installed: a unit file without its
			// enabling would read as "already installed" next time.
			os.Remove(file)
		}
		return did, fmt.Errorf("install the service: %w", s.managerSays(err))
	}
	if file != "" {
		did = append(did, "wrote "+file)
	}
	return append(did, "enabled the service ("+s.platform+")"), nil
}

func (s *Service) fileContent() string {
	if strings.Contains(s.platform, "launchd") {
		return LaunchdPlist(s.opts)
	}
	return SystemdUnit(s.opts)
}

// Uninstall stops the service and removes everything Install wrote.
func (s *Service) Uninstall() ([]string, error) {
	if _, err := s.svc.Status(); errors.Is(err, service.ErrNotInstalled) {
		if f := s.File(); f == "" || !exists(f) {
			return []string{"not installed: nothing to do"}, nil
		}
	}
	s.svc.Stop() // not running is fine
	if err := s.svc.Uninstall(); err != nil {
		return nil, fmt.Errorf("uninstall: %w", err)
	}
	did := []string{"stopped and disabled the service"}
	if f := s.File(); f != "" {
		did = append(did, "removed "+f)
	}
	return did, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Start, Stop and Restart control the installed service.
func (s *Service) Start() error   { return wrap("start", s.managerSays(s.svc.Start())) }
func (s *Service) Stop() error    { return wrap("stop", s.managerSays(s.svc.Stop())) }
func (s *Service) Restart() error { return wrap("restart", s.managerSays(s.svc.Restart())) }

// managerSays adds what systemd itself says to an error of which
// kardianos keeps only the exit status ("exit status 1"), by asking
// systemctl for something harmless and keeping its answer.
func (s *Service) managerSays(err error) error {
	var exit *exec.ExitError
	if err == nil || !errors.As(err, &exit) || !strings.Contains(s.platform, "systemd") {
		return err
	}
	args := []string{"daemon-reload"}
	if !s.opts.System {
		args = append(args, "--user")
	}
	out, _ := exec.Command("systemctl", args...).CombinedOutput()
	msg := strings.Join(strings.Fields(string(out)), " ")
	if msg == "" {
		return err
	}
	return fmt.Errorf("%w; systemctl %s says: %s", err, strings.Join(args, " "), msg)
}

func wrap(what string, err error) error {
	if errors.Is(err, service.ErrNotInstalled) {
		return fmt.Errorf("%s: the service is not installed (run: highroad install)", what)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Status says whether the service is installed and running.
func (s *Service) Status() string {
	st, err := s.svc.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		return "not installed"
	case err != nil:
		return "unknown (" + err.Error() + ")"
	case st == service.StatusRunning:
		return "running"
	case st == service.StatusStopped:
		return "stopped"
	}
	return "unknown"
}

// Lingering returns advice when a systemd user service would stop at
// logout and not start at boot, or "" when nothing needs doing.
func (s *Service) Lingering() string {
	if s.opts.System || !strings.Contains(s.platform, "systemd") {
		return ""
	}
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	out, err := exec.Command("loginctl", "show-user", name, "--property=Linger").Output()
	if err == nil && strings.TrimSpace(string(out)) == "Linger=yes" {
		return ""
	}
	return "systemd stops user services when you log out and starts them only at login.\n" +
		"To keep highroad running without a login session (and start it at boot), run:\n" +
		"  sudo loginctl enable-linger " + name
}
