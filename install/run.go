package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/kardianos/service"
)

// ErrStopTimeout is wrapped by Run's error when the daemon did not return
// in time after a stop.
var ErrStopTimeout = errors.New("the daemon did not stop")

// RunOptions say how Run logs and how long it waits for a stop.
type RunOptions struct {
	// Stderr receives the log as text (os.Stderr when nil): journald and
	// launchd keep a service's stderr. A Windows service, whose stderr goes
	// nowhere, logs to the Event Log instead.
	Stderr io.Writer
	// Level is the lowest level logged; info when nil.
	Level slog.Leveler
	// StopTimeout bounds the wait for the daemon after a stop; zero means
	// 20 s, the time Windows and launchd give a service to stop.
	StopTimeout time.Duration
}

// Run runs daemon as a service manager expects, through kardianos/service's
// Run, whether a manager started the process or a terminal did. On Windows
// that is the only way the service control manager starts a service (error
// 1053 otherwise).
//
// daemon runs in a goroutine of its own with a context and the logger Run
// builds from opts. A stop (SIGTERM or SIGINT on Unix, Ctrl+C or the
// service manager's stop on Windows) cancels the context, and Run waits for
// daemon to return, up to opts.StopTimeout. daemon must return nil after
// cancellation and may return early with an error when retrying cannot help
// (a refused login); then Run ends at once, with no stop needed.
//
// Run logs how the daemon ended and returns what it returned: nil after a
// stop, its error when it ended on its own, or an error wrapping
// ErrStopTimeout. The caller chooses the exit status.
func Run(daemon func(ctx context.Context, log *slog.Logger) error, opts RunOptions) error {
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Level == nil {
		opts.Level = slog.LevelInfo
	}
	p := newProgram(daemon, opts.StopTimeout)
	// Catch the stop signals before the daemon starts, so that a stop
	// during start-up is a clean one.
	stop, release := notifyStop()
	defer release()
	p.log = slog.New(slog.NewTextHandler(opts.Stderr, &slog.HandlerOptions{Level: opts.Level}))
	s, err := service.New(p, &service.Config{Name: Name, Option: service.KeyValue{
		// kardianos' own hook on Unix systems: by default Run waits for
		// SIGINT or SIGTERM only; this wait also ends when the daemon did.
		"RunWait": func() {
			select {
			case <-stop:
			case <-p.early:
			}
		},
	}})
	if err != nil {
		err = fmt.Errorf("prepare service: %w", err)
		p.log.Error("highroad cannot start", "err", err)
		return err
	}
	p.log = systemLog(s, p.log, opts.Level)
	err = serve(s, p)
	if err != nil {
		p.log.Error("highroad stopped", "err", err)
	} else {
		p.log.Info("highroad stopped")
	}
	return err
}

// systemLog returns a logger for the Windows Event Log when Windows runs
// highroad as a service, and fallback elsewhere.
func systemLog(s service.Service, fallback *slog.Logger, level slog.Leveler) *slog.Logger {
	if runtime.GOOS != "windows" || service.Interactive() {
		return fallback
	}
	events, err := s.SystemLogger(nil)
	if err != nil {
		// The event source is registered by install; without it the
		// log goes to stderr, which a service may redirect.
		fallback.Warn("cannot log to the Event Log", "err", err)
		return fallback
	}
	return slog.New(newServiceHandler(events, level))
}

// program is what kardianos/service starts and stops: the daemon in a
// goroutine. kardianos calls Start and Stop once each, in that order.
type program struct {
	daemon  func(context.Context, *slog.Logger) error
	log     *slog.Logger
	timeout time.Duration
	ctx     context.Context
	cancel  context.CancelFunc
	early   chan struct{} // closed when the daemon returned without a stop
	done    chan struct{} // closed when the daemon returned
	err     error         // what the daemon returned, set before done closes
}

func newProgram(daemon func(context.Context, *slog.Logger) error, timeout time.Duration) *program {
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &program{daemon: daemon, timeout: timeout, ctx: ctx, cancel: cancel,
		early: make(chan struct{}), done: make(chan struct{})}
}

// Start launches the daemon and returns at once: the Windows service
// control manager waits for Start before it counts the service as running.
func (p *program) Start(service.Service) error {
	go func() {
		defer close(p.done)
		p.err = p.call()
		if p.ctx.Err() == nil {
			close(p.early)
		}
	}()
	return nil
}

// call runs the daemon, logging a panic where the service's log goes (on
// Windows, stderr is lost) before letting it crash the process.
func (p *program) call() error {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("highroad crashed", "panic", r, "stack", string(debug.Stack()))
			panic(r)
		}
	}()
	return p.daemon(p.ctx, p.log)
}

// Stop cancels the daemon and returns what it returned, or an error after
// the timeout if it has not.
func (p *program) Stop(service.Service) error {
	p.cancel()
	t := time.NewTimer(p.timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return p.err
	case <-t.C:
		return fmt.Errorf("%w within %v of the stop", ErrStopTimeout, p.timeout)
	}
}

// Interactive reports whether a person started highroad (from a terminal)
// rather than a service manager. systemd sets INVOCATION_ID for what it
// starts, which also tells a service in a container, where kardianos
// takes everything for interactive.
func Interactive() bool {
	return service.Interactive() && os.Getenv("INVOCATION_ID") == ""
}
