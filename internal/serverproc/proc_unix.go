//go:build unix && !linux

package serverproc

import "syscall"

// sysProcAttr puts the server in its own process group, so Kill reaches all
// of it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
