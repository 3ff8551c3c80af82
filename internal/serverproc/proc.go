// Package serverproc holds what the dovecot and mailutils test packages
// share in running a private IMAP server: its master process in a group of
// its own, stopped with SIGTERM and killed with all its children; its log;
// the wait for its greeting; a self-signed certificate, free ports, and a
// logged-in client.
package serverproc

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// Proc is one run of a server's master process. Its methods are safe for
// concurrent use.
type Proc struct {
	name string        // what error messages call the server ("dovecot")
	pid  int           // the master's, which leads its process group
	done chan struct{} // closed once the master has exited and been reaped
	err  error         // the master's exit status; valid once done is closed
}

// Spawn starts cmd as the leader of a new process group, which on Linux the
// kernel sends SIGTERM if the test binary dies without cleanup, and reaps
// it in the background. It sets cmd.SysProcAttr. name is how errors call
// the server.
func Spawn(name string, cmd *exec.Cmd) (*Proc, error) {
	cmd.SysProcAttr = sysProcAttr()
	p := &Proc{name: name, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal fires when the thread that forked the
		// child exits, so hold this thread until the server is gone.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		p.pid = cmd.Process.Pid
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// Done is closed once the master has exited and been reaped.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err returns the master's exit status. It is valid once Done is closed.
func (p *Proc) Err() error { return p.err }

// Stop sends SIGTERM to the process group and waits for the master to exit.
// It returns an error if the master had exited on its own before, or did
// not exit within timeout (the group is then killed). The master's exit
// status after SIGTERM is left to Err.
func (p *Proc) Stop(timeout time.Duration) error {
	select {
	case <-p.done:
		return fmt.Errorf("%s had exited on its own: %v", p.name, p.err)
	default:
	}
	if err := signalGroup(p.pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("signal %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		p.Kill()
		return fmt.Errorf("%s did not stop within %v after SIGTERM; killed it", p.name, timeout)
	}
}

// Kill sends SIGKILL to the process group while the master is still
// unreaped, so the group id cannot have been reused, and waits for the
// master to exit. Killing an exited master does nothing.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	signalGroup(p.pid, syscall.SIGKILL)
	<-p.done
}

// ExitedBy reports whether err is the exit status of a process that sig
// ended.
func ExitedBy(err error, sig syscall.Signal) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}
