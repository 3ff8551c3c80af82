package install

import (
	"os"
	"time"

	"github.com/kardianos/service"
)

// notifyStop catches nothing on Windows: kardianos takes Ctrl+C and the
// service control manager's stop itself, and ignores RunWait.
func notifyStop() (stop <-chan os.Signal, release func()) {
	return nil, func() {}
}

// serve runs the service. kardianos on Windows has no RunWait: as a
// service it returns when the service control manager sends a stop, and
// from a terminal when Ctrl+C arrives on a channel of its own. So when the
// daemon ends on its own, serve asks the manager to stop the service,
// which calls program.Stop and reports the daemon's error as the service's
// exit code; from a terminal it returns the daemon's error without waiting,
// and the process exits.
func serve(s service.Service, p *program) error {
	ran := make(chan error, 1)
	go func() { ran <- s.Run() }()
	select {
	case err := <-ran:
		return err
	case <-p.early:
	}
	if service.Interactive() {
		return p.err
	}
	refused := make(chan error, 1)
	go func() {
		// On success Stop waits for the stopped state, which ends the
		// process first.
		if err := askStop(s, p.timeout); err != nil {
			refused <- err
		}
	}()
	select {
	case err := <-ran:
		return err
	case err := <-refused:
		p.log.Error("the service manager refused to stop the service; exiting without it", "err", err)
		return p.err
	}
}

// askStop sends the service control manager a stop for this service,
// retrying while it refuses one because the service is still starting.
func askStop(s service.Service, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		err := s.Stop()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(250 * time.Millisecond) // the manager's state, not our goroutines: nothing to wait on
	}
}
