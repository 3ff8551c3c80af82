//go:build !windows

package install

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/kardianos/service"
)

// notifyStop delivers SIGINT and SIGTERM, the stops of a terminal, systemd
// and launchd, on a channel until release is called.
func notifyStop() (stop <-chan os.Signal, release func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	return c, func() { signal.Stop(c) }
}

// serve runs the service. Its RunWait option ends kardianos' wait when the
// daemon ends on its own, so Run needs nothing more here.
func serve(s service.Service, _ *program) error {
	return s.Run()
}
