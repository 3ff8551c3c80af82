//go:build unix

package daemon_test

import (
	"os"
	"syscall"
	"time"
)

// usage returns a finished process's peak resident memory in KB (Linux's
// unit for ru_maxrss) and its CPU time.
func usage(ps *os.ProcessState) (rssKB int64, cpu time.Duration) {
	ru := ps.SysUsage().(*syscall.Rusage)
	return int64(ru.Maxrss), time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
