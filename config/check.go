package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// The checks of single values below are used both to validate a decoded
// configuration file and by highroad init for each answer and flag, so that
// init and the file accept and refuse exactly the same values. Each returns
// nil, or an error that names the value and says what to write instead; the
// caller says which setting it was.

// CheckServer accepts an IMAP server's host name or IP address, written
// bare: no scheme, path or port.
func CheckServer(host string) error {
	switch {
	case host == "":
		return errors.New("a server is required, e.g. imap.example.org")
	case strings.Contains(host, "://") || strings.ContainsAny(host, " \t/"):
		return fmt.Errorf("%q is not a host name; write it bare, e.g. imap.example.org", host)
	case strings.Contains(host, ":") && net.ParseIP(host) == nil:
		return fmt.Errorf("%q holds a port; write the host alone, e.g. imap.example.org, and give the port as the port", host)
	}
	return nil
}

// CheckTLS accepts the TLS modes TLSImplicit, TLSStartTLS and TLSNone.
// Whether TLSNone is allowed also depends on the server; the validation of
// an account checks that.
func CheckTLS(mode string) error {
	switch mode {
	case TLSImplicit, TLSStartTLS, TLSNone:
		return nil
	}
	return fmt.Errorf("%q is not one of imaps, starttls, plain", mode)
}

// CheckPort accepts a TCP port number, 1 to 65535.
func CheckPort(port int) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("%d is not a port number (1-65535)", port)
	}
	return nil
}

// ParsePort reads a port number written as text and checks it as
// CheckPort does.
func ParsePort(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return n, CheckPort(n)
}

// CheckAuth accepts the mechanisms AuthPassword, AuthXOAuth2 and
// AuthOAuthBearer.
func CheckAuth(mech string) error {
	switch mech {
	case AuthPassword, AuthXOAuth2, AuthOAuthBearer:
		return nil
	}
	return fmt.Errorf("%q is not one of password, xoauth2, oauthbearer", mech)
}

// CheckAddress accepts an email address written bare, or nothing (the
// profile's address is optional).
func CheckAddress(addr string) error {
	if addr != "" && (!strings.Contains(addr, "@") || strings.ContainsAny(addr, " <>\r\n")) {
		return fmt.Errorf("%q is not an email address (write it bare: you@example.org)", addr)
	}
	return nil
}

// CheckLinkedIn accepts an http(s) URL, or nothing.
func CheckLinkedIn(url string) error {
	if url != "" && !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return fmt.Errorf("%q is not a URL starting with https://", url)
	}
	return nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckEnv accepts the name of an environment variable.
func CheckEnv(name string) error {
	if !envName.MatchString(name) {
		return fmt.Errorf("%q is not an environment variable name (letters, digits and _)", name)
	}
	return nil
}

// CheckSecretFile accepts a file that exists and, except on Windows, only
// its owner can read. A leading ~/ is the user's home folder.
func CheckSecretFile(path string) error {
	st, err := os.Stat(expandHome(path))
	if err != nil {
		return fmt.Errorf("%w; create it first, readable only by you (chmod 600)", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s can be read by others (mode %v); run: chmod 600 %s", path, st.Mode().Perm(), path)
	}
	return nil
}

// CheckCAFile accepts a file that exists, or nothing (no certificate to
// trust beyond the system's). A leading ~/ is the user's home folder. The
// certificate itself is read when connecting.
func CheckCAFile(path string) error {
	if path == "" {
		return nil
	}
	st, err := os.Stat(expandHome(path))
	if err != nil {
		return fmt.Errorf("%w (give the server's certificate file, or none)", err)
	}
	if st.IsDir() {
		return fmt.Errorf("%s is a folder; give the server's certificate file, or none", path)
	}
	return nil
}

// expandHome replaces a leading ~/ with the user's home folder.
func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}
