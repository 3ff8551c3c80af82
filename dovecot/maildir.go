package dovecot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WriteMaildir puts n messages straight into mailbox's Maildir, as files
// in cur/ with no flags, bypassing IMAP: message(i) gives the i-th raw
// message and its arrival time (the file's mtime, which Dovecot reports as
// INTERNALDATE). It is for loading a large mailbox fast (100,000 messages
// in seconds); Dovecot indexes the files at the next SELECT, which for
// that many takes a while, so open the mailbox once before measuring.
// UIDs follow the order Dovecot finds the files in, which need not be i's.
//
// mailbox is "INBOX" or a mailbox at the top of the personal namespace
// ("Archive", or "INBOX.Archive" under Options.Courier). A mailbox other
// than INBOX must exist already. Writing while a session has the mailbox
// open is allowed: Dovecot sees the new files at its next look.
func (s *Server) WriteMaildir(mailbox string, n int, message func(i int) (raw []byte, at time.Time)) error {
	dir, err := s.maildir(mailbox)
	if err != nil {
		return err
	}
	for _, sub := range []string{"", "cur", "new", "tmp"} {
		if err := s.mkdirOwned(filepath.Join(dir, sub)); err != nil {
			return err
		}
	}
	host, _ := os.Hostname()
	host = strings.NewReplacer("/", "_", ":", "_").Replace(host)
	pid := os.Getpid()
	for i := range n {
		raw, at := message(i)
		// The Maildir++ name carries the size, which spares Dovecot a stat.
		name := fmt.Sprintf("%d.M%dP%d.%s,S=%d:2,", at.Unix(), i, pid, host, len(raw))
		path := filepath.Join(dir, "cur", name)
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			return err
		}
		if err := os.Lchown(path, s.acct.uid, s.acct.gid); err != nil {
			return err
		}
		if err := os.Chtimes(path, at, at); err != nil {
			return err
		}
	}
	return nil
}

// maildir returns the folder of mailbox in the Maildir++ layout.
func (s *Server) maildir(mailbox string) (string, error) {
	root := filepath.Join(s.path("home"), "Maildir")
	name := mailbox
	if s.opts.Courier {
		name = strings.TrimPrefix(mailbox, "INBOX.")
	}
	if strings.EqualFold(mailbox, "INBOX") {
		return root, nil
	}
	if name == "" || strings.ContainsAny(name, "/.") {
		return "", fmt.Errorf("WriteMaildir(%q): only INBOX and mailboxes at the top level", mailbox)
	}
	dir := filepath.Join(root, "."+name)
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("WriteMaildir(%q): %w", mailbox, err)
	}
	return dir, nil
}

// mkdirOwned makes dir, if missing, owned by the mail user.
func (s *Server) mkdirOwned(dir string) error {
	err := os.Mkdir(dir, 0o700)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return os.Chown(dir, s.acct.uid, s.acct.gid)
}
