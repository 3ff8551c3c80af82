package serverproc

import (
	"os"
	"syscall"
)

// Neither Dovecot nor imap4d runs on Windows: these only let dependent
// tests build, and the servers' Start skips there (or fails in CI).

func sysProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(pid int, sig syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
