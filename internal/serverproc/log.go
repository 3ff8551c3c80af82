package serverproc

import (
	"fmt"
	"os"
)

// OpenLog opens the log file at path for appending, creating it, and
// returns its size, from which LogSince reads what a new run adds. The
// caller closes the file.
func OpenLog(path string) (f *os.File, size int64, err error) {
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// ReadLog returns the log at path, or a line saying why there is none that
// calls it name's log, for failure messages.
func ReadLog(path, name string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no %s log: %v)", name, err)
	}
	return string(b)
}

// LogSince returns the log at path from offset on, or nil if it cannot be
// read or is shorter.
func LogSince(path string, offset int64) []byte {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < offset {
		return nil
	}
	return b[offset:]
}
