package dovecot

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/highroad/highroad/internal/serverproc"
)

// mailUser is the system user that owns the mail when the tests run as
// root: Dovecot refuses to access mail as uid 0.
const mailUser = "highroadtest"

// account is the system identity Dovecot's mail processes run as.
type account struct {
	name, group string
	uid, gid    int
}

// setup creates Dir with everything but the config, which needs ports.
func setup(opts Options) (*Server, error) {
	bin, err := binary()
	if err != nil {
		return nil, err
	}
	acct, err := mailAccount()
	if err != nil {
		return nil, err
	}
	dir, err := shortTempDir()
	if err != nil {
		return nil, err
	}
	if opts.Quota != "" && !quotaSize.MatchString(opts.Quota) {
		return nil, fmt.Errorf("quota %q: want a size such as 10K or 2M", opts.Quota)
	}
	s := &Server{
		opts: opts,
		User: "highroad@localhost",
		Dir:  dir,
		bin:  bin,
		conf: dir + "/dovecot.conf",
		// One file for Dovecot's log and the master's own output.
		logPath: dir + "/dovecot.log",
	}
	if err := s.populate(acct); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *Server) populate(acct account) error {
	if err := s.writeCert(); err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	pw := make([]byte, 16)
	rand.Read(pw)
	s.Password = hex.EncodeToString(pw)
	home := s.path("home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return err
	}
	if err := os.Chown(home, acct.uid, acct.gid); err != nil {
		return fmt.Errorf("give %s to %s: %w", home, acct.name, err)
	}
	s.acct = acct
	return s.writePasswd(s.opts.Quota)
}

// writePasswd writes the passwd-file, with quota as the user's storage
// limit when it is set. The auth process reads it as Dovecot's internal
// user, and again whenever it changes; the password is a throwaway.
func (s *Server) writePasswd(quota string) error {
	var extra string
	if quota != "" {
		extra = "userdb_quota_rule=*:storage=" + quota
	}
	line := fmt.Sprintf("%s:{PLAIN}%s:%d:%d::%s::%s\n", s.User, s.Password, s.acct.uid, s.acct.gid, s.path("home"), extra)
	// Written aside and renamed, so that a login never reads half a file.
	tmp := s.path("passwd.new")
	if err := os.WriteFile(tmp, []byte(line), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, s.path("passwd"))
}

// quotaSize matches the sizes Options.Quota and SetQuota accept.
var quotaSize = regexp.MustCompile(`^[0-9]+[BKMGT]?$`)

// SetQuota sets the user's storage limit ("10K", "2M"; "0" for none) for
// the logins that follow, by rewriting the userdb; sessions logged in
// before keep the limit they started with, as with any Dovecot userdb
// change. It needs a server started with Options.Quota: without the
// plugin there is no quota to set. It takes up to a second (see
// passwdChanged).
func (s *Server) SetQuota(limit string) error {
	if s.opts.Quota == "" {
		return errors.New("SetQuota: the server was started without Options.Quota")
	}
	if !quotaSize.MatchString(limit) {
		return fmt.Errorf("SetQuota(%q): want a size such as 10K or 2M, or 0", limit)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.path("passwd"))
	if err != nil {
		return err
	}
	if err := s.writePasswd(limit); err != nil {
		return err
	}
	return passwdChanged(s.path("passwd"), fi.ModTime())
}

// passwdChanged makes a rewrite of the passwd-file visible to the next
// login. Dovecot's auth process looks at the file at most once per second
// of its clock and rereads it only when its mtime, in whole seconds, or
// its size changed: the mtime is moved past the old one, and the call
// returns once the second it was written in is over.
func passwdChanged(path string, old time.Time) error {
	now := time.Now()
	mtime := now.Truncate(time.Second)
	if !mtime.After(old.Truncate(time.Second)) {
		mtime = old.Truncate(time.Second).Add(time.Second)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		return err
	}
	time.Sleep(now.Truncate(time.Second).Add(time.Second + 50*time.Millisecond).Sub(now))
	return nil
}

// safePath matches paths that need no quoting in dovecot.conf.
var safePath = regexp.MustCompile(`^[A-Za-z0-9/._-]+$`)

// shortTempDir makes a folder that everyone can traverse, with a path short
// enough for the Unix sockets under it (108 bytes at most) and plain enough
// for dovecot.conf. It falls back from $TMPDIR to /tmp.
func shortTempDir() (string, error) {
	base := os.TempDir()
	if len(base) > 40 || !safePath.MatchString(base) || !traversable(base) {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "dc")
	if err != nil {
		return "", err
	}
	// Dovecot's unprivileged processes and the mail user must reach the
	// home and sockets inside.
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// traversable reports whether every folder from / to dir lets others in.
func traversable(dir string) bool {
	for d := dir; ; {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := d[:max(strings.LastIndex(d, "/"), 1)]
		if parent == d {
			return true
		}
		d = parent
	}
}

var userMu sync.Mutex

// mailAccount returns mailUser, created if missing, when running as root,
// and the current user otherwise.
func mailAccount() (account, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return account{}, err
		}
		return toAccount(u)
	}
	userMu.Lock()
	defer userMu.Unlock()
	u, err := user.Lookup(mailUser)
	if err == nil {
		return toAccount(u)
	}
	if err := createUser(); err != nil {
		// Another test binary may have created it meanwhile.
		if u, lerr := user.Lookup(mailUser); lerr == nil {
			return toAccount(u)
		}
		return account{}, err
	}
	if u, err = user.Lookup(mailUser); err != nil {
		return account{}, err
	}
	return toAccount(u)
}

func createUser() error {
	useradd, err := exec.LookPath("useradd")
	if err != nil {
		useradd = "/usr/sbin/useradd"
	}
	out, err := exec.Command(useradd, "--system", "--user-group", "--no-create-home",
		"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", mailUser).CombinedOutput()
	if err != nil {
		return fmt.Errorf("create user %s: %v: %s", mailUser, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func toAccount(u *user.User) (account, error) {
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return account{}, fmt.Errorf("user %s: %w", u.Username, err)
	}
	if uid == 0 {
		return account{}, errors.New("mail cannot be owned by uid 0")
	}
	group := strconv.Itoa(gid)
	if g, err := user.LookupGroupId(u.Gid); err == nil {
		group = g.Name
	}
	return account{name: u.Username, group: group, uid: uid, gid: gid}, nil
}

// writeCert makes a self-signed certificate for localhost and 127.0.0.1.
func (s *Server) writeCert() error {
	cert, err := serverproc.NewCert()
	if err != nil {
		return err
	}
	s.CAFile = s.path("cert.pem")
	s.CAPool = cert.Pool
	if err := os.WriteFile(s.CAFile, cert.CertPEM, 0o644); err != nil {
		return err
	}
	// Read by the master, which runs as root or as the owner.
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
	_, imaps, _ := net.SplitHostPort(s.Addr)
	_, imap, _ := net.SplitHostPort(s.PlainAddr)
	var b strings.Builder
	err := configTemplate.Execute(&b, map[string]any{
		"Dir":    s.Dir,
		"IMAPS":  imaps,
		"IMAP":   imap,
		"User":   s.acct.name,
		"Group":  s.acct.group,
		"UID":    s.acct.uid,
		"AsRoot": os.Geteuid() == 0,
		"Quota":  s.opts.Quota != "",
		"Sep":    map[bool]string{false: "/", true: "."}[s.opts.Courier],
		"Prefix": map[bool]string{false: "", true: "INBOX."}[s.opts.Courier],
		// Courier-IMAP knows no SPECIAL-USE: its Drafts is found by name.
		"DraftsUse": !s.opts.Courier,
	})
	if err != nil {
		return err
	}
	return os.WriteFile(s.conf, []byte(b.String()), 0o644)
}

// configTemplate is a self-contained dovecot.conf for Dovecot 2.3: nothing
// is read from /etc/dovecot.
var configTemplate = template.Must(template.New("dovecot.conf").Parse(`# Written by highroad's dovecot test package.
protocols = imap
listen = 127.0.0.1
base_dir = {{.Dir}}/run
state_dir = {{.Dir}}/state
log_path = {{.Dir}}/dovecot.log
{{- if not .AsRoot}}

# Running unprivileged: every service runs as the current user, and
# nothing can chroot (see the services below).
default_internal_user = {{.User}}
default_internal_group = {{.Group}}
default_login_user = {{.User}}
{{- end}}

ssl = yes
ssl_cert = <{{.Dir}}/cert.pem
ssl_key = <{{.Dir}}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_verbose = yes

first_valid_uid = {{.UID}}
mail_location = maildir:~/Maildir
mail_fsync = never
mail_max_userip_connections = 100
{{- if .Quota}}

# The limit itself is the userdb field quota_rule (see SetQuota). INBOX is
# not counted, so that deliveries always succeed.
mail_plugins = $mail_plugins quota
protocol imap {
  mail_plugins = $mail_plugins imap_quota
}
plugin {
  quota = count:User quota
  quota_vsizes = yes
  quota_rule2 = INBOX:ignore
}
{{- end}}

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {{.Dir}}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u {{.Dir}}/passwd
}

namespace inbox {
  inbox = yes
  separator = {{.Sep}}
  prefix = {{.Prefix}}
  mailbox Drafts {
{{- if .DraftsUse}}
    special_use = \Drafts
{{- end}}
    auto = subscribe
  }
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \Junk
    auto = subscribe
  }
}

# Without this socket the auth process keeps no per-IP penalty, which
# would delay every login from 127.0.0.1 by up to 15 s after a failed one.
service anvil {
{{- if not .AsRoot}}
  chroot =
{{- end}}
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

service imap-login {
{{- if not .AsRoot}}
  chroot =
{{- end}}
  inet_listener imap {
    port = {{.IMAP}}
  }
  inet_listener imaps {
    port = {{.IMAPS}}
    ssl = yes
  }
}
`))
