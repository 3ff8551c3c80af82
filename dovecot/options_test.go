package dovecot_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/highroad/highroad/dovecot"
)

// sized returns raw padded with body lines to about n bytes.
func sized(n int) []byte {
	b := []byte(raw)
	for len(b) < n {
		b = append(b, strings.Repeat("x", 76)+"\r\n"...)
	}
	return b
}

func overQuota(err error) bool {
	var e *imap.Error
	return errors.As(err, &e) && e.Code == "OVERQUOTA"
}

// TestQuota: over the limit an APPEND to Drafts is refused with
// [OVERQUOTA] while INBOX takes mail; deleting mail frees room in the same
// session; SetQuota applies to the next login only.
func TestQuota(t *testing.T) {
	s := dovecot.StartWith(t, dovecot.Options{Quota: "4K"})
	if _, err := s.Append("Trash", sized(3<<10)); err != nil {
		t.Fatalf("Append(Trash, 3 KB) under a 4 KB quota = %v", err)
	}
	c := dial(t, s)
	if _, err := s.Append("Drafts", sized(2<<10)); !overQuota(err) {
		t.Fatalf("Append(Drafts, 2 KB) with 3 of 4 KB used = %v, want NO [OVERQUOTA]", err)
	}
	for range 3 {
		if _, err := s.Append("INBOX", sized(4<<10)); err != nil {
			t.Fatalf("Append(INBOX) over quota = %v, want INBOX ignored by the quota", err)
		}
	}

	// An older session takes the new limit only at its next login.
	if err := s.SetQuota("100K"); err != nil {
		t.Fatal(err)
	}
	if err := appendOn(c, "Drafts", sized(2<<10)); !overQuota(err) {
		t.Errorf("Append(Drafts) on a session from before SetQuota = %v, want the old limit", err)
	}
	if _, err := s.Append("Drafts", sized(2<<10)); err != nil {
		t.Errorf("Append(Drafts) after SetQuota(100K) = %v", err)
	}
	if err := s.SetQuota("4K"); err != nil {
		t.Fatal(err)
	}
	c2 := dial(t, s)
	if err := appendOn(c2, "Drafts", sized(2<<10)); !overQuota(err) {
		t.Fatalf("Append(Drafts) after SetQuota(4K) = %v, want NO [OVERQUOTA]", err)
	}
	// Freeing room works at once, in the same session.
	for _, mb := range []string{"Trash", "Drafts"} {
		if _, err := c2.Select(mb, nil).Wait(); err != nil {
			t.Fatal(err)
		}
		if err := c2.Store(imap.SeqSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		if err := c2.Expunge().Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := appendOn(c2, "Drafts", sized(2<<10)); err != nil {
		t.Errorf("Append(Drafts) after emptying Trash = %v, want room", err)
	}
}

func appendOn(c *imapclient.Client, mailbox string, raw []byte) error {
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	_, err := cmd.Write(raw)
	err = errors.Join(err, cmd.Close())
	_, werr := cmd.Wait()
	return errors.Join(err, werr)
}

// TestCourierNamespace: every mailbox under "INBOX." with "." between
// levels, and INBOX.Drafts without \Drafts.
func TestCourierNamespace(t *testing.T) {
	s := dovecot.StartWith(t, dovecot.Options{Courier: true})
	c := dial(t, s)
	list, err := c.List("", "*", &imap.ListOptions{ReturnSpecialUse: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]imap.MailboxAttr{}
	for _, m := range list {
		got[m.Mailbox] = m.Attrs
		if m.Delim != '.' {
			t.Errorf("%s: delimiter %q, want '.'", m.Mailbox, m.Delim)
		}
	}
	for _, name := range []string{"INBOX", "INBOX.Drafts", "INBOX.Sent", "INBOX.Trash", "INBOX.Junk"} {
		if _, ok := got[name]; !ok {
			t.Errorf("LIST has no %s: %v", name, got)
		}
	}
	if slices.Contains(got["INBOX.Drafts"], imap.MailboxAttrDrafts) {
		t.Errorf("INBOX.Drafts is marked \\Drafts: %v", got["INBOX.Drafts"])
	}
	if !slices.Contains(got["INBOX.Sent"], imap.MailboxAttrSent) {
		t.Errorf("INBOX.Sent lost \\Sent: %v", got["INBOX.Sent"])
	}
	ns, err := c.Namespace().Wait()
	if err != nil || len(ns.Personal) != 1 || ns.Personal[0].Prefix != "INBOX." || ns.Personal[0].Delim != '.' {
		t.Errorf("NAMESPACE = %+v, %v; want the personal one \"INBOX.\" with '.'", ns, err)
	}
	if _, err := s.Append("INBOX.Drafts", []byte(raw)); err != nil {
		t.Errorf("Append(INBOX.Drafts) = %v", err)
	}
}

// TestAppendAtAndWriteMaildir: both keep the arrival time they are given,
// and messages written to the Maildir are seen in order.
func TestAppendAtAndWriteMaildir(t *testing.T) {
	s := dovecot.Start(t)
	old := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	if _, err := s.AppendAt("INBOX", []byte(raw), old); err != nil {
		t.Fatal(err)
	}
	err := s.WriteMaildir("INBOX", 3, func(i int) ([]byte, time.Time) {
		return []byte(strings.Replace(raw, "<1@", fmt.Sprintf("<m%d@", i), 1)), old.Add(time.Duration(i+1) * time.Hour)
	})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, s)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSetNum(1, 2, 3, 4), &imap.FetchOptions{UID: true, InternalDate: true}).Collect()
	if err != nil || len(msgs) != 4 {
		t.Fatalf("Fetch = %d messages, %v; want 4", len(msgs), err)
	}
	var dates []time.Time
	for _, m := range msgs {
		dates = append(dates, m.InternalDate.UTC())
	}
	slices.SortFunc(dates, time.Time.Compare)
	for i, d := range dates {
		if want := old.Add(time.Duration(i) * time.Hour); !d.Equal(want) {
			t.Errorf("INTERNALDATE %d = %v, want %v", i, d, want)
		}
	}
}
