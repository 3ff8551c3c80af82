package mailutils

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"text/template"

	"github.com/highroad/highroad/internal/serverproc"
)

const (
	// password is the account's password, and passwordHash its SHA-512
	// crypt(3) form (openssl passwd -6 -salt hr4imap4dtest), which imap4d's
	// "generic" authentication checks it against.
	password     = "highroad-imap4d-test"
	passwordHash = "$6$hr4imap4dtest$uxNXbRwED93OVohX.Q6Dhg9MBaTvZ79sZAZaBtB6HAXi2S569qXqp5/Qb0Lo02HSfvwM1Atq0Pb5P7Eii5Y940"
	// domain is the virtual domain of the account: its password file is
	// Dir/virtdomain/localhost.
	domain = "localhost"
)

// safePath matches paths that need no quoting in imap4d.conf.
var safePath = regexp.MustCompile(`^[A-Za-z0-9/._-]+$`)

// setup creates Dir with everything but the config, which needs ports.
func setup() (*Server, error) {
	bin, err := binary()
	if err != nil {
		return nil, err
	}
	// The config quotes paths and Mailutils expands "$" in some of them:
	// fall back to /tmp from an unusual $TMPDIR.
	base := os.TempDir()
	if !safePath.MatchString(base) {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "imap4d")
	if err != nil {
		return nil, err
	}
	s := &Server{
		User:     "highroad@" + domain,
		Password: password,
		Dir:      dir,
		bin:      bin,
		conf:     dir + "/imap4d.conf",
		logPath:  dir + "/imap4d.log",
	}
	if err := s.populate(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// populate writes the certificate, the home with its mail folder, and the
// virtual domain's password file. The account has the current user's uid
// and gid, so that imap4d, which switches to them after a login, can do so
// unprivileged too.
func (s *Server) populate() error {
	if err := s.writeCert(); err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	for _, d := range []string{"home", "home/mail", "virtdomain"} {
		if err := os.Mkdir(s.path(d), 0o700); err != nil {
			return err
		}
	}
	name, _, _ := strings.Cut(s.User, "@")
	line := fmt.Sprintf("%s:%s:%d:%d:highroad test:%s:/bin/sh\n", name, passwordHash, os.Getuid(), os.Getgid(), s.path("home"))
	return os.WriteFile(s.path("virtdomain/"+domain), []byte(line), 0o600)
}

// writeCert makes a self-signed certificate for localhost and 127.0.0.1.
func (s *Server) writeCert() error {
	cert, err := serverproc.NewCert()
	if err != nil {
		return err
	}
	s.CAFile = s.path("cert.pem")
	s.CAPool = cert.Pool
	if err := os.WriteFile(s.CAFile, cert.CertPEM, 0o600); err != nil {
		return err
	}
	return os.WriteFile(s.path("key.pem"), cert.KeyPEM, 0o600)
}

// choosePorts picks two distinct free ports.
func (s *Server) choosePorts() error {
	addr, plain, err := serverproc.FreePorts()
	if err != nil {
		return err
	}
	s.Addr, s.PlainAddr = addr, plain
	return nil
}

func (s *Server) writeConfig() error {
	var b strings.Builder
	err := configTemplate.Execute(&b, map[string]any{
		"Dir":   s.Dir,
		"IMAPS": s.Addr,
		"IMAP":  s.PlainAddr,
	})
	if err != nil {
		return err
	}
	return os.WriteFile(s.conf, []byte(b.String()), 0o600)
}

// configTemplate is a self-contained imap4d.conf for Mailutils 3.15.
//
// mbox, Mailutils' own default format, rather than Maildir: in 3.15 its
// Maildir drops the flags given to APPEND (drafts would lack \Draft) and
// gives no message an INTERNALDATE that SEARCH SINCE matches. Its mbox
// adds X-IMAPbase, X-UID and Status header fields to the stored mail, as a
// user's real mbox has.
var configTemplate = template.Must(template.New("imap4d.conf").Parse(`# Written by highroad's mailutils test package.
auth {
  authorization virtdomain;
  authentication generic;
};
virtdomain {
  passwd-dir "{{.Dir}}/virtdomain";
};
mailbox {
  mailbox-pattern "mbox://{{.Dir}}/home/INBOX";
};
namespace personal {
  prefix "" {
    directory "{{.Dir}}/home/mail";
    delimiter "/";
    mailbox-type mbox;
  };
};
logging {
  syslog false;
  severity info;
};
tls-file-checks {
  key-file none;
  cert-file none;
  ca-file none;
};
tls {
  ssl-certificate-file "{{.Dir}}/cert.pem";
  ssl-key-file "{{.Dir}}/key.pem";
};
mode daemon;
max-children 100;
server {{.IMAPS}} {
  tls-mode connection;
};
server {{.IMAP}} {
  tls-mode ondemand;
};
`))
