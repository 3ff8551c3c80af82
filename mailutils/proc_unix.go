//go:build unix && !linux

package mailutils

import "syscall"

// sysProcAttr puts imap4d in its own process group, so Kill reaches all of it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
