//go:build unix && !linux

package dovecot

import "syscall"

// sysProcAttr puts Dovecot in its own process group, so Kill reaches all of it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
