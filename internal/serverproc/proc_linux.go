package serverproc

import "syscall"

// sysProcAttr puts the server in its own process group, so Kill reaches all
// of it, and has the kernel stop it if the test binary dies without cleanup.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
