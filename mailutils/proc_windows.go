package mailutils

import (
	"os"
	"syscall"
)

// imap4d does not run on Windows: these only let dependent tests build,
// and Start skips there (or fails in CI).

func sysProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(pid int, sig syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
